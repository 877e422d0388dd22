"""Countries of the synthetic world: currency, time zone, phone plan, cities and name origin.

Phone numbers follow each country's public numbering plan (mobile prefixes and lengths, so
``phonenumbers`` accepts them) with random subscriber digits: syntactically valid, invented.
Hotspot cities are those named by AMLC and IJM (typology.md, receiver side).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    """What the generator needs to know about one country."""

    code: str
    origin: str                    # name pool (names.py)
    currency: str
    zones: tuple[str, ...]         # time zones of its senders
    calling_code: str
    mobile_prefixes: tuple[str, ...]
    digits: int                    # national significant number length, prefix included
    groups: tuple[int, ...]        # grouping of the NSN in international format
    trunk: str                     # national prefix ("0"), "" where none is dialled
    national_groups: tuple[int, ...]   # grouping of trunk + NSN in national format
    cities: tuple[str, ...]


COUNTRIES: dict[str, Country] = {c.code: c for c in (
    Country("FR", "fr", "EUR", ("Europe/Paris",), "33",
            ("61", "62", "64", "65", "66", "67", "68", "76", "77", "78"), 9, (1, 2, 2, 2, 2),
            "0", (2, 2, 2, 2, 2),
            ("Paris", "Marseille", "Lyon", "Toulouse", "Nice", "Nantes", "Strasbourg",
             "Montpellier", "Bordeaux", "Lille", "Rennes", "Reims", "Le Havre", "Saint-Étienne",
             "Toulon", "Grenoble", "Dijon", "Angers", "Nîmes", "Villeurbanne", "Aix-en-Provence",
             "Brest", "Limoges", "Tours", "Amiens", "Perpignan", "Metz", "Besançon", "Orléans",
             "Rouen", "Mulhouse", "Caen", "Nancy", "Argenteuil", "Montreuil", "Roubaix",
             "Créteil", "Avignon", "Poitiers", "Pau", "La Rochelle", "Béziers", "Colmar")),
    Country("BE", "fr", "EUR", ("Europe/Brussels",), "32", ("47", "48", "49"), 9,
            (3, 2, 2, 2), "0", (4, 2, 2, 2), ("Bruxelles", "Liège", "Namur", "Charleroi")),
    Country("CH", "fr", "CHF", ("Europe/Zurich",), "41", ("76", "78", "79"), 9, (2, 3, 2, 2),
            "0", (3, 3, 2, 2), ("Genève", "Lausanne", "Zürich", "Bern")),
    Country("DE", "de", "EUR", ("Europe/Berlin",), "49", ("151", "160", "170", "176"), 11,
            (3, 8), "0", (4, 8), ("Berlin", "Köln", "Hamburg", "München", "Frankfurt")),
    Country("GB", "en", "GBP", ("Europe/London",), "44", ("740", "741", "742", "743"), 10,
            (4, 6), "0", (5, 6), ("London", "Manchester", "Leeds", "Bristol", "Birmingham")),
    Country("US", "en", "USD", ("America/New_York", "America/Chicago", "America/Los_Angeles"),
            "1", ("2125", "3127", "4156", "7132", "2064", "3056"), 10, (3, 3, 4), "", (3, 3, 4),
            ("New York", "Chicago", "San Francisco", "Houston", "Seattle", "Miami")),
    Country("AU", "en", "AUD", ("Australia/Sydney", "Australia/Brisbane"), "61",
            ("412", "413", "423", "438"), 9, (3, 3, 3), "0", (4, 3, 3),
            ("Sydney", "Brisbane", "Gold Coast", "Newcastle")),
    Country("PH", "ph", "PHP", ("Asia/Manila",), "63",
            ("917", "918", "919", "920", "921", "927", "928", "995", "998", "939"), 10,
            (3, 3, 4), "0", (4, 3, 4),
            ("Iloilo City", "Bacolod", "Zamboanga City", "Baguio", "Dumaguete", "Tacloban",
             "General Santos", "Batangas City", "Legazpi", "Tagbilaran", "San Fernando",
             "Olongapo", "Lucena", "Butuan", "Iligan", "Cabanatuan")),
    Country("TH", "th", "THB", ("Asia/Bangkok",), "66", ("81", "86", "89", "91", "95"), 9,
            (2, 3, 4), "0", (3, 3, 4), ("Bangkok", "Pattaya", "Udon Thani", "Chiang Mai",
                                        "Khon Kaen")),
    Country("CO", "es", "COP", ("America/Bogota",), "57", ("310", "311", "312", "315", "320"),
            10, (3, 3, 4), "", (3, 3, 4), ("Medellín", "Cali", "Cartagena", "Bogotá",
                                            "Barranquilla")),
    Country("DO", "es", "DOP", ("America/Santo_Domingo",), "1", ("809", "829", "849"), 10,
            (3, 3, 4), "", (3, 3, 4), ("Santo Domingo", "Puerto Plata", "Boca Chica",
                                       "Santiago de los Caballeros")),
    Country("MX", "es", "MXN", ("America/Mexico_City",), "52", ("55", "33", "81"), 10,
            (2, 4, 4), "", (2, 4, 4), ("Cancún", "Tijuana", "Guadalajara", "Acapulco")),
    Country("RO", "ro", "RON", ("Europe/Bucharest",), "40", ("72", "74", "75", "76"), 9,
            (3, 3, 3), "0", (4, 3, 3), ("Bucuresti", "Iasi", "Constanta", "Craiova")),
    Country("GH", "gh", "GHS", ("Africa/Accra",), "233", ("24", "54", "20"), 9, (2, 3, 4), "0",
            (3, 3, 4), ("Accra", "Kumasi", "Tema")),
    Country("UA", "ua", "UAH", ("Europe/Kyiv",), "380", ("67", "50", "63"), 9, (2, 3, 2, 2),
            "0", (3, 3, 2, 2), ("Kyiv", "Odesa", "Kharkiv", "Lviv")),
    Country("IN", "in", "INR", ("Asia/Kolkata",), "91", ("98", "99", "97"), 10, (5, 5), "0",
            (6, 5), ("Mumbai", "Bengaluru", "Chennai", "Pune", "Hyderabad", "Kochi")),
    Country("MA", "mag", "MAD", ("Africa/Casablanca",), "212", ("61", "66", "67"), 9,
            (3, 2, 2, 2), "0", (4, 2, 2, 2), ("Casablanca", "Rabat", "Fès", "Marrakech",
                                              "Oujda", "Agadir", "Tanger")),
    Country("DZ", "mag", "DZD", ("Africa/Algiers",), "213", ("55", "66", "77"), 9, (3, 2, 2, 2),
            "0", (4, 2, 2, 2), ("Alger", "Oran", "Constantine", "Sétif", "Tizi Ouzou")),
    Country("TN", "mag", "TND", ("Africa/Tunis",), "216", ("20", "22", "50", "98"), 8,
            (2, 3, 3), "", (2, 3, 3), ("Tunis", "Sfax", "Sousse", "Bizerte")),
    Country("SN", "sn", "XOF", ("Africa/Dakar",), "221", ("77", "78", "76"), 9, (2, 3, 2, 2),
            "", (2, 3, 2, 2), ("Dakar", "Touba", "Thiès", "Saint-Louis", "Ziguinchor")),
    Country("VN", "vn", "VND", ("Asia/Ho_Chi_Minh",), "84", ("90", "91", "98"), 9,
            (2, 3, 2, 2), "0", (3, 3, 2, 2), ("Hà Noi", "Ho Chi Minh", "Da Nang", "Hai Phong")),
    Country("CN", "cn", "CNY", ("Asia/Shanghai",), "86", ("138", "139", "186"), 11,
            (3, 4, 4), "", (3, 4, 4), ("Wenzhou", "Shanghai", "Beijing", "Guangzhou")),
    Country("PT", "pt", "EUR", ("Europe/Lisbon",), "351", ("91", "93", "96"), 9, (3, 3, 3),
            "", (3, 3, 3), ("Lisboa", "Porto", "Braga", "Coimbra")),
)}

# Hotspot cities named by AMLC and IJM (typology.md): payout places of most facilitators.
HOTSPOTS = ("Angeles City", "Lapu-Lapu", "Cordova", "Mandaue", "Cebu City", "Taguig", "Manila",
            "Pasay", "Quezon City", "Davao City", "Cagayan de Oro")

STREETS = ("rue de la République", "rue Victor Hugo", "avenue Jean Jaurès", "rue Pasteur",
           "boulevard Gambetta", "rue des Écoles", "rue du Moulin", "place de l'Église",
           "rue de la Gare", "avenue de la Libération", "rue Voltaire", "chemin des Vignes",
           "allée des Tilleuls", "rue Émile Zola", "impasse des Lilas", "rue Nationale",
           "rue du Château", "avenue Foch", "rue Saint-Michel", "quai de la Loire")
