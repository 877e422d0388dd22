"""Invented people's names, by origin, and the spelling variants an operator captures.

Every name here is a common given name or a surname-like word; the synthetic people are
random combinations of them (plus surnames composed from syllables, so that namesakes stay
as rare as in a real country), never real persons. All characters fit Windows-1252, the
encoding of the operator export.

Each pool entry has fixed spelling forms: canonical, without accents, with one typo, and
(for compound given names) with the hyphen swapped for a space or back. The transfers pick
a form by index, so building a million names is a few Arrow ``take`` calls.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

_FR_M = ("Jean Jean-Luc Jean-Pierre Jean-Marc Philippe Michel Alain Patrick Bernard Christian "
         "Daniel Gérard Thierry Pascal Éric Laurent Frédéric Stéphane Didier Dominique Bruno "
         "Olivier Serge Yves François Hervé Gilles Denis Christophe Joël René Marc Guy Claude "
         "Rémi Sébastien Jérôme Nicolas Vincent Thibault Cédric Loïc Régis André Jacques")
_FR_F = ("Marie Marie-Claire Anne-Sophie Nathalie Isabelle Sylvie Catherine Christine "
         "Véronique Sandrine Valérie Sophie Françoise Monique Céline Hélène Chantal Brigitte "
         "Martine Émilie Aurélie Camille Élodie Julie Laetitia Karine Agnès Nadège Josée")
_FR_LAST = ("Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon "
            "Laurent Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard "
            "André Lefebvre Mercier Dupont Lambert Bonnet François Martinez Legrand Garnier "
            "Faure Rousseau Blanc Guérin Muller Henry Roussel Nicolas Perrin Morin Mathieu "
            "Clément Gauthier Dumont Lopez Fontaine Chevalier Robin Masson Sanchez Gérard "
            "Nguyen Boyer Denis Lemaire Duval Joly Gautier Roger Roche Roy Noël Meyer Lucas "
            "Meunier Jean Perez Marchand Dufour Blanchard Marie Barbier Brun Dumas Brunet "
            "Schmitt Leroux Colin Fernandez Pierre Renard Arnaud Rolland Caron Aubert Giraud "
            "Leclerc Vidal Bourgeois Renaud Lemoine Picard Gaillard Philippe Leclercq Lacroix "
            "Fabre Dupuis Olivier Rodriguez Da Silva Hubert Louis Charles Guillot Rivière "
            "Le Gall Guillaume Adam Rey Moulin Gonzalez Berger Lecomte Menard Fleury Deschamps "
            "Carpentier Julien Benoît Paris Maillard Marchal Aubry Vasseur Le Roux Renault "
            "Jacquet Collet Prévost Poirier Charpentier Royer Huet Baron Dupuy Pons Paul "
            "Laine Carré Breton Rémy Schneider Perrot Guyot Barre Marty Cousin")
_FR_PRE = ("Beau Bel Bon Bour Ch Cham Char Cour Dela Des Du Fon Gar Gran Lan Lar Lau Mar Mal "
           "Mon Mor Per Pla Ro Sau Ver Vil Val Bois Cro Fer Lam Mau Ri")
_FR_SUF = ("champ court fort mont val lier nier rand ret ville bois mas ard ault eau enne ier "
           "in ot ois on et ac oux elle ès aud")
_EN_M = ("John David Michael Paul Mark Richard Peter Stephen Andrew Robert James William "
         "Gary Steven Kevin Brian Alan Ian Graham Neil Keith Barry Trevor Colin Dennis Wayne")
_EN_F = ("Susan Linda Karen Julie Sarah Helen Alison Claire Emma Joanne Tracy Janet Carol "
         "Deborah Angela Lisa Gillian Wendy")
_EN_LAST = ("Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson "
            "Evans Walker White Roberts Green Hall Wood Jackson Clarke Harris Lewis Baker "
            "Turner Hill Cooper Ward Morris Moore King Watson Harrison Morgan Hughes Mitchell "
            "Parker Bennett Cook Carter Shaw Murphy Bailey Collins Bell Marshall Owen Kelly "
            "Chapman Ellis Webb Hunt Palmer Mills Holmes Barnes Knight Lloyd Butler Russell")
_EN_PRE = ("Ash Black Brad Brook Cal Dun Fair Har Hart Hol Kings Lang Mar Mid North Pem Ray "
           "Red Sand Stan Thorn Wes Whit Wood")
_EN_SUF = ("ford ley ton field worth wood well by ham stead more dale wick bury combe hurst")
_DE_M = "Thomas Michael Andreas Stefan Klaus Jürgen Wolfgang Uwe Peter Frank Bernd Dieter Jörg"
_DE_F = "Sabine Petra Monika Claudia Andrea Birgit Ute Heike Karin"
_DE_LAST = ("Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch "
            "Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann "
            "Hartmann Lange Schmitt Werner Krause Meier Lehmann Köhler Herrmann Walter")
_ES_M = ("Juan Carlos José Luis Jorge Andrés Miguel Fernando Diego Alejandro Ramón Héctor "
         "Julián Óscar Rafael")
_ES_F = ("María Ana Luisa Carmen Paola Andrea Daniela Valentina Yesenia Marisol Gabriela "
         "Luz Adriana Rosa Milagros Yaneth Leidy Diana Catalina Dayana Yuliana Ángela")
_ES_LAST = ("García Rodríguez Martínez Hernández López González Pérez Sánchez Ramírez Torres "
            "Flores Rivera Gómez Díaz Reyes Morales Jiménez Ruiz Álvarez Castillo Ortiz "
            "Vargas Castro Rojas Guzmán Muñoz Herrera Medina Aguilar Peña Cardona Ospina "
            "Restrepo Mejía Osorio Franco Acevedo Quintero")
_PH_M = ("Jose Juan Mark John Paul Michael Jerome Ramon Rodel Arnel Rommel Jomar Reynaldo "
         "Joel Danilo Ernesto Noel Roberto Jun Edgardo Rolando Christian Jayson")
_PH_F = ("Maria Mary Grace Ma. Cristina Marites Maricel Rowena Jocelyn Lorna Marilou Analyn "
         "Jennifer Rosalie Gemma Cherry Mae Lovely Jovelyn Rhea Arlene Evangeline Josephine "
         "Imelda Teresita Nenita Remedios Luzviminda Mylene Charmaine Kristine Aileen Liezel "
         "Marjorie Shiela Rachelle Ailyn Mary Jane Angelica Janine Princess Divina Flordeliza")
_PH_LAST = ("Santos Reyes Cruz Bautista Ocampo Garcia Mendoza Torres Tomas Andrada Castillo "
            "Flores Villanueva Ramos Castro Rivera Aquino Navarro Salazar Mercado Gonzales "
            "Lopez Dela Cruz De Guzman Del Rosario Manalo Pascual Soriano Aguilar Dizon "
            "Domingo Fernandez Gutierrez Hernandez Jimenez Lim Tan Magbanua Macaraeg Padilla "
            "Panganiban Quiambao Sarmiento Tolentino Valdez Yap Zamora Abad Alcantara Bernal "
            "Cabrera Dimaculangan Estrada Ferrer Galang Ilagan Lacson Mangubat Nepomuceno "
            "Ortega Pangilinan Roxas Salvador Tiongson Umali Velasco Ybañez Alonzo Baluyot "
            "Cabahug Dacanay Enriquez Gamboa Labrador Mabini Natividad Oliveros Paredes "
            "Quijano Rosales Sison Tabora Villareal Alvarez Belmonte Cortez Diaz Evangelista "
            "Fajardo Gallardo Ignacio Jacinto Lagman Macapagal Marquez Nicolas Orbeta Pacheco")
_TH_M = ("Somchai Somsak Prasert Anan Wichai Sombat Niran Kittisak Thanakorn Pichit "
         "Surachai Chaiwat Apichart Worawit Nattapong Teerapat Kriangsak Pongsak")
_TH_F = ("Malee Somying Ratana Siriporn Nittaya Pranee Kanya Wanida Jintana Supaporn Duangjai "
         "Arunee Benjawan Chanida Kanokwan Lamai Nongnuch Orathai Pimchanok Rungnapa "
         "Sasithorn Thidarat Urai Waraporn Yupin Kesinee Ploypailin Siriwan Nattaya Sunisa")
# Thai surnames are near-unique to a family (a law of 1913 forbids taking one already in
# use), so the pool is wide and drawn flat (see pick_surnames).
_TH_LAST = ("Srisawat Wongsakul Saetang Chaiyaporn Rattanakorn Boonmee Thongdee Kaewkla "
            "Sukprasert Phromma Intharasuk Charoenwong Chaisiri Jantarasorn Kongkaew "
            "Lertsiri Manowong Nakpradit Ounjai Pattanakul Rungrueang Sangthong Tantiwong "
            "Udomsak Wattanapong Yodchai Boonyarit Chansuk Inthawong Jaidee Kittikun "
            "Limsakul Meesuk Noppakao Phetsri Ruangrit Saelim Thammasak Uthaisri Wiriya "
            "Amornrat Bunnag Chuenchom Duangkaew Euamongkol Hongthong Jitprasong Khamwong "
            "Maneerat Nilsuwan Phanthong Rakpong Sombatsiri Thongsuk Wannasri Yenjai "
            "Arunsri Boonsong Chaimongkol Dechapong Kaewmanee Kusolsak Namwong Pongpanit "
            "Saengchan Sirichai Suwannarat Tangsiri Wongchai Yingyong Bamrungsri Chatchai")
_RO_M = "Ion Gheorghe Mihai Andrei Alexandru Vasile Constantin Florin Adrian Marian"
_RO_F = "Maria Elena Ioana Andreea Mihaela Cristina Alina Gabriela Daniela Roxana Florentina"
_RO_LAST = ("Popescu Ionescu Popa Dumitru Stan Stoica Gheorghe Rusu Munteanu Matei Constantin "
            "Moldovan Lazar Ciobanu Ene Radu Dinu Toma Barbu Nistor Florea Vasile Marin "
            "Serban Dobre Cristea Oprea Tudor Ilie Dragomir Mocanu Sandu Preda Lungu Nedelcu "
            "Anghel Voicu Ardelean Bucur Cojocaru Diaconu Georgescu Manole Neagu Olteanu "
            "Paraschiv Sima Tanase Ungureanu Zamfir Avram Bratu Costea Enache Iordache")
_MAG_M = ("Mohamed Ahmed Youssef Karim Rachid Said Hassan Mustapha Abdelkader Khalid Omar "
          "Nabil Hamid Farid Samir Brahim Mehdi Yassine Abdellah Mourad")
_MAG_F = ("Fatima Khadija Aicha Amina Nadia Samira Leila Malika Zohra Naima Saida Houria "
          "Yamina Fatiha Hafida Karima Latifa Rachida")
_MAG_LAST = ("Benali Haddad Bouzid Mansouri Cherif Belkacem Amrani El Idrissi Bennani "
             "Alaoui Tazi Berrada Chaoui Ouali Saidi Hamdi Mebarki Boudiaf Ziani Khelifi "
             "Benmoussa Tahiri Ait Ahmed Belhadj Zerrouki Jaziri Trabelsi Gharbi Ben Salah "
             "Bouazizi Ferchichi Mejri Brahmi Zouari Laabidi Hammami")
_SN_M = "Mamadou Moussa Ousmane Abdoulaye Ibrahima Cheikh Modou Babacar Aliou Lamine Pape"
_SN_F = "Fatou Aminata Aissatou Mariama Awa Khady Ndeye Coumba Astou Bineta"
_SN_LAST = ("Diop Ndiaye Fall Sow Diallo Gueye Sy Ba Faye Mbaye Sarr Cisse Kane Ndoye Seck "
            "Thiam Diouf Niang Camara Toure")
_VN_M = "Van Minh Van Hung Van Thanh Duc Anh Quang Huy Van Long Minh Tuan"
_VN_F = "Thi Mai Thi Lan Thi Hoa Thi Huong Thi Thu Ngoc Anh Thi Hanh Bich Ngoc"
_VN_LAST = "Nguyen Tran Le Pham Hoang Phan Vu Dang Bui Do Ho Ngo Duong Ly"
_CN_M = "Wei Jun Lei Jian Hao Tao Ming Qiang"
_CN_F = "Li Na Xiu Ying Mei Ling Jing Fang Yan Hong Hui"
_CN_LAST = "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin"
_IN_M = "Rahul Amit Suresh Rajesh Vijay Sanjay Arjun Karthik Prakash Anil Ravi"
_IN_F = "Priya Anjali Sunita Pooja Lakshmi Deepa Kavita Meena Divya"
_IN_LAST = ("Sharma Patel Singh Kumar Gupta Reddy Nair Iyer Menon Rao Das Joshi Mehta Shah "
            "Pillai Verma Chaudhary")
_UA_M = "Oleksandr Andriy Serhiy Dmytro Volodymyr Mykola Ihor Yuriy"
_UA_F = "Olena Natalia Iryna Oksana Tetiana Svitlana Yulia Kateryna Anastasia"
_UA_LAST = ("Shevchenko Kovalenko Bondarenko Tkachenko Kravchenko Oliynyk Melnyk Boyko "
            "Moroz Lysenko Marchenko Rudenko Savchenko Petrenko")
_PT_M = "João António José Manuel Francisco Rui Paulo Nuno Luís Carlos"
_PT_F = "Maria Ana Rosa Fernanda Conceição Isabel Paula Sandra Cristina"
_PT_LAST = ("Silva Santos Ferreira Pereira Oliveira Costa Rodrigues Martins Jesus Sousa "
            "Fernandes Gonçalves Gomes Lopes Marques Alves Almeida Ribeiro Pinto Carvalho")
_GH_M = "Kwame Kofi Kwabena Yaw Kwaku Emmanuel Samuel"
_GH_F = "Akosua Ama Abena Adwoa Efua Yaa Afia Esi"
_GH_LAST = "Mensah Owusu Boateng Asante Osei Agyeman Appiah Acheampong Darko Addo"

# Words of invented organisations (charity sponsorship hubs).
_ORG_HEAD = ("Fondation Association Foundation Mission Children's Fund Hope Bright Future "
             "Kalinga Pag-asa Bayanihan Tahanan Sinag Liwanag Kapwa Aruga").split()
_ORG_TAIL = ("Espoir Enfance Avenir Solidarité Children Care Learning Kids Education Ng Bata "
             "Sponsorship Trust Home Shelter Village Scholars").split()

_GIVEN = {
    "fr": (_FR_M, _FR_F), "en": (_EN_M, _EN_F), "de": (_DE_M, _DE_F), "es": (_ES_M, _ES_F),
    "ph": (_PH_M, _PH_F), "th": (_TH_M, _TH_F), "ro": (_RO_M, _RO_F), "mag": (_MAG_M, _MAG_F),
    "sn": (_SN_M, _SN_F), "vn": (_VN_M, _VN_F), "cn": (_CN_M, _CN_F), "in": (_IN_M, _IN_F),
    "ua": (_UA_M, _UA_F), "pt": (_PT_M, _PT_F), "gh": (_GH_M, _GH_F),
}
_SURNAMES = {
    "fr": _FR_LAST, "en": _EN_LAST, "de": _DE_LAST, "es": _ES_LAST, "ph": _PH_LAST,
    "th": _TH_LAST, "ro": _RO_LAST, "mag": _MAG_LAST, "sn": _SN_LAST, "vn": _VN_LAST,
    "cn": _CN_LAST, "in": _IN_LAST, "ua": _UA_LAST, "pt": _PT_LAST, "gh": _GH_LAST,
}
# Multi-word entries of the pools above (kept whole when splitting on spaces).
_MULTI = ("Da Silva", "Le Gall", "Le Roux", "Dela Cruz", "De Guzman", "Del Rosario",
          "El Idrissi", "Ait Ahmed", "Ben Salah", "Mary Grace", "Ma. Cristina", "Cherry Mae",
          "Mary Jane", "Van Minh", "Van Hung", "Van Thanh", "Duc Anh", "Quang Huy", "Van Long",
          "Minh Tuan", "Thi Mai", "Thi Lan", "Thi Hoa", "Thi Huong", "Thi Thu", "Ngoc Anh",
          "Thi Hanh", "Bich Ngoc", "Li Na", "Xiu Ying", "Mei Ling", "Children's Fund",
          "Bright Future", "Ng Bata")


def _split(words: str) -> list[str]:
    """Pool string -> entries, keeping the multi-word entries listed in ``_MULTI`` whole."""
    marked = words
    for multi in _MULTI:
        marked = marked.replace(multi, multi.replace(" ", "\x00"))
    return [w.replace("\x00", " ") for w in marked.split()]


def strip_accents(text: str) -> str:
    """'Gérard Lefèvre' -> 'Gerard Lefevre', as typed on a keyboard without accents."""
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


def _typo(text: str, rng: np.random.Generator) -> str:
    """One-letter typo: a letter doubled, dropped, or swapped with its neighbour."""
    letters = [i for i in range(1, len(text) - 1) if text[i].isalpha() and text[i + 1].isalpha()]
    if not letters:
        return text
    i = int(rng.choice(letters))
    kind = int(rng.integers(3))
    if kind == 0:
        return text[:i] + text[i] + text[i:]
    if kind == 1:
        return text[:i] + text[i + 1:]
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def _compound_variant(text: str) -> str:
    if "-" in text:
        return text.replace("-", " ")
    return text


@dataclass(frozen=True)
class NamePools:
    """Given names and surnames with their spelling forms, indexed by origin.

    ``given_forms[i]`` = (canonical, no accents, typo, compound variant) of given name ``i``;
    ``surname_forms[j]`` = (canonical, no accents, typo). Index 0 of both is the empty name
    (organisations have no given name). ``given[origin][sex]`` and ``surnames[origin]`` hold
    the indices of each pool (sex 0 = female, 1 = male).
    """

    given_forms: list[tuple[str, str, str, str]]
    surname_forms: list[tuple[str, str, str]]
    given: dict[str, tuple[np.ndarray, np.ndarray]]
    surnames: dict[str, np.ndarray]
    organisations: np.ndarray


GIVEN_FORMS = 4
SURNAME_FORMS = 3


def build_pools() -> NamePools:
    """The pools, with typos drawn from a fixed generator so every world spells alike."""
    rng = np.random.default_rng(20240101)
    given_forms: list[tuple[str, str, str, str]] = [("", "", "", "")]
    surname_forms: list[tuple[str, str, str]] = [("", "", "")]
    given_index: dict[str, int] = {}
    surname_index: dict[str, int] = {}

    def given_id(name: str) -> int:
        if name not in given_index:
            given_index[name] = len(given_forms)
            given_forms.append((name, strip_accents(name), _typo(name, rng),
                                _compound_variant(name)))
        return given_index[name]

    def surname_id(name: str) -> int:
        if name not in surname_index:
            surname_index[name] = len(surname_forms)
            surname_forms.append((name, strip_accents(name), _typo(name, rng)))
        return surname_index[name]

    given = {o: (np.array([given_id(n) for n in _split(f)]),
                 np.array([given_id(n) for n in _split(m)]))
             for o, (m, f) in _GIVEN.items()}
    surnames = {o: np.array([surname_id(n) for n in _split(s)]) for o, s in _SURNAMES.items()}
    # Composed surnames keep namesakes rare among tens of thousands of French or English
    # senders, as in a real country; the listed ones come first and are drawn more often.
    for origin, pre, suf in (("fr", _FR_PRE, _FR_SUF), ("en", _EN_PRE, _EN_SUF)):
        composed = [p + s for p in pre.split() for s in suf.split()]
        surnames[origin] = np.concatenate(
            [surnames[origin], [surname_id(n) for n in composed]])
    organisations = np.array([surname_id(f"{h} {t}") for h in _ORG_HEAD for t in _ORG_TAIL])
    return NamePools(given_forms, surname_forms, given, surnames, organisations)


FLAT_SURNAMES = {"th"}


def pick_surnames(pools: NamePools, origin: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Surnames with a Zipf-like frequency: a few common, a long tail, as in most countries;
    drawn flat where surnames are near-unique to a family (Thailand)."""
    pool = pools.surnames[origin]
    weights = 1.0 / np.arange(1, len(pool) + 1) ** (0.0 if origin in FLAT_SURNAMES else 0.8)
    return rng.choice(pool, size=n, p=weights / weights.sum())


def pick_given(pools: NamePools, origin: str, sex: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
    """Given names of the origin's pool for each sex (0 female, 1 male)."""
    female, male = pools.given[origin]
    out = rng.choice(female, size=len(sex))
    is_male = sex == 1
    out[is_male] = rng.choice(male, size=int(is_male.sum()))
    return out
