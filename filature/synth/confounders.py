"""The legitimate traffic of the same corridors, which a good screening must not flag.

Family remittances, businesses paying freelancers, online relationships, charity
sponsorship and occasional senders, each as typology.md describes it ("What legitimate
traffic looks like"). Each function draws its senders and receivers and appends their
transfers; only schedules and amounts are vectorised per population, never per transfer.
Published figures are in calibration.py; the few shape numbers written here (ages, shares
of habits, country mixes of the diasporas) are inferred, chosen to be plausible.
"""

from __future__ import annotations

import numpy as np

from filature.synth import calibration as cal
from filature.synth.buyers import Households
from filature.synth.clock import mixed_clock
from filature.synth.events import (
    BUSINESS,
    CHARITY,
    FAMILY,
    FAMILY_EXTRA,
    INVOICE_PREFIXES,
    OCCASIONAL,
    ROMANCE,
    Events,
    draw_messages,
    message_ids,
    repeat_index,
)
from filature.synth.identities import (
    World,
    add_receivers,
    add_senders,
    ages,
    choose,
    cities_in,
    residence,
    sexes,
)
from filature.synth.places import COUNTRIES

# Diaspora origins of family senders in France (inferred from the corridors typology.md
# names: Filipino first, then the other risk-country diasporas; the ordinary corridors).
RISK_DIASPORA = {"PH": 0.6, "CO": 0.1, "RO": 0.1, "TH": 0.08, "DO": 0.05, "IN": 0.04,
                 "UA": 0.03}
OTHER_DIASPORA = {"MA": 0.28, "DZ": 0.22, "TN": 0.12, "SN": 0.12, "PT": 0.1, "CN": 0.06,
                  "VN": 0.1}
FREELANCE = {"PH": 0.45, "IN": 0.2, "UA": 0.1, "CO": 0.1, "MA": 0.05, "TN": 0.05, "VN": 0.05}
PARTNERS = {"PH": 0.55, "TH": 0.15, "CO": 0.1, "DO": 0.05, "UA": 0.08, "RO": 0.04, "MX": 0.03}
SPONSORED = {"PH": 0.5, "IN": 0.15, "SN": 0.1, "MA": 0.1, "CO": 0.1, "TH": 0.05}
ANYWHERE = {"PH": 0.15, "TH": 0.05, "CO": 0.04, "IN": 0.04, "RO": 0.03, "UA": 0.02,
            "DO": 0.01, "MX": 0.01, "MA": 0.15, "SN": 0.08, "DZ": 0.1, "TN": 0.07, "PT": 0.08,
            "CN": 0.05, "VN": 0.05, "GB": 0.04, "DE": 0.03}


def _month_days(w: World, month: np.ndarray) -> np.ndarray:
    """First day (days since 1970) of the world's month number ``month`` (0 = first)."""
    first = np.datetime64(int(w.first_day), "D").astype("datetime64[M]")
    return (first + month.astype("timedelta64[M]")).astype("datetime64[D]").astype(np.int64)


def _months(w: World) -> int:
    first = np.datetime64(int(w.first_day), "D").astype("datetime64[M]")
    last = np.datetime64(int(w.last_day), "D").astype("datetime64[M]")
    return int((last - first).astype(int)) + 1


def _active_months(w: World, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(first month, number of months) of steady senders: half were already sending when
    the data starts, most still are when it ends (inferred: remittances and sponsorships
    last years, longer than the window)."""
    rng, months = w.rng, _months(w)
    m0 = np.where(rng.random(n) < 0.5, 0, rng.integers(0, months, size=n))
    to_end = months - m0
    length = np.where(rng.random(n) < 0.6, to_end,
                      rng.integers(min(6, months), months + 1, size=n))
    return m0, np.clip(length, 1, to_end)


def _keep(w: World, day: np.ndarray) -> np.ndarray:
    return (day >= w.first_day) & (day <= w.last_day)


def family(w: World, events: Events, n: int, *, population: str,
           households: Households | None = None) -> None:
    """Diaspora senders paying relatives monthly around payday (typology.md)."""
    rng = w.rng
    origin_country = choose(w, n, RISK_DIASPORA if population == "family" else OTHER_DIASPORA)
    # Some facilitator households also receive genuine remittances from a relative abroad.
    linked = np.full(n, -1)
    if households is not None:
        ph = np.flatnonzero(households.countries == "PH")
        take = rng.permutation(ph)[:int(len(ph) * cal.HOUSEHOLD_FAMILY_INFLOW_SHARE)]
        slots = np.flatnonzero(origin_country == "PH")[:len(take)]
        linked[slots] = take[:len(slots)]
    origins = np.array([COUNTRIES[c].origin for c in origin_country], dtype=object)
    senders = add_senders(
        w, np.full(n, "FR", dtype=object), origins, role=population, population=population,
        sex=sexes(w, n, 0.35 if population == "family" else 0.55),
        ages=ages(w, n, 42, 10, 22, 70),
        surname_of=(np.where(linked >= 0, households.surnames[linked], -1)
                    if households is not None else None))
    surname = w.parties.column("surname")[senders]
    # Relatives: 1-3 per sender, most sharing the surname (a wife keeps her maiden name).
    n_rel = rng.choice([1, 2, 3], size=n, p=[0.5, 0.35, 0.15])
    n_rel[linked >= 0] = 0
    owner, rank = repeat_index(n_rel)
    keep_name = rng.random(len(owner)) >= cal.FAMILY_OTHER_SURNAME
    household_ids = w.parties.column("household").max(initial=0) + 1 + np.arange(n)
    first_rel = np.cumsum(n_rel) - n_rel
    # Relatives under one roof sometimes give the same phone, as facilitators' relatives do.
    own = w.parties.size + np.arange(len(owner))
    shares = (rank > 0) & (rng.random(len(owner)) < 0.25)
    relatives = add_receivers(
        w, origin_country[owner], role="relative", population=population,
        sex=sexes(w, len(owner), 0.4), ages=ages(w, len(owner), 45, 17, 12, 85),
        cities=cities_in(w, origin_country[owner], 0.25),
        surname=np.where(keep_name, surname[owner], -1), household=household_ids[owner],
        phone_of=np.where(shares, w.parties.size + first_rel[owner], own))

    m0, length = _active_months(w, n)
    mo, rank = repeat_index(length)
    payday = rng.integers(24, 36, size=n)       # the 25th to the 5th of the next month
    day = _month_days(w, m0[mo] + rank) + payday[mo] + rng.integers(-2, 3, size=len(mo))
    keep = _keep(w, day) & (rng.random(len(mo)) >= cal.FAMILY_SKIP_MONTH)
    mo, day = mo[keep], day[keep]
    base = np.clip(rng.lognormal(np.log(cal.FAMILY_EUR_MEDIAN), 0.3, size=n),
                   *cal.FAMILY_EUR_RANGE)
    eur = base[mo] * rng.lognormal(0, 0.07, size=len(mo))
    rounds = rng.random(n) < 0.7
    unit = np.where(rounds[mo], rng.choice([10.0, 50.0], size=len(mo), p=[0.6, 0.4]), 0.0)
    night_worker = rng.random(n) < cal.FAMILY_NIGHT_WORKERS
    habit = np.where(night_worker[mo], rng.choice([0, 1], size=len(mo)),
                     rng.choice([1, 2], size=len(mo), p=[0.4, 0.6]))
    talks = rng.random(n) < 0.5
    receiver = _relative_for(w, mo, n_rel, first_rel, relatives, linked, households, 0.75)
    events.add(sender=senders[mo], receiver=receiver, day=day,
               clock=mixed_clock(rng, habit, ("night", "evening", "daytime")),
               eur=eur, round_unit=unit,
               message=draw_messages(rng, len(mo), FAMILY, np.where(talks[mo], 0.6, 0.05)),
               population=population)
    # Some send each month to a second relative too (a mother and a wife), a smaller sum.
    two = (n_rel >= 2) & (rng.random(n) < 0.35)
    so = mo[two[mo]]
    events.add(sender=senders[so], receiver=relatives[first_rel[so] + 1],
               day=day[two[mo]] + rng.integers(0, 3, size=len(so)),
               clock=mixed_clock(rng, habit[two[mo]], ("night", "evening", "daytime")),
               eur=eur[two[mo]] * rng.uniform(0.3, 0.7, size=n)[so], round_unit=unit[two[mo]],
               message=draw_messages(rng, len(so), FAMILY, np.where(talks[so], 0.6, 0.05)),
               population=population)
    # Extra small sums: a birthday, phone "load" (typology.md).
    extra = rng.poisson(cal.FAMILY_EXTRA_PER_YEAR * length / 12)
    eo, _ = repeat_index(extra)
    e_day = _month_days(w, m0[eo]) + (rng.random(len(eo)) * length[eo] * 30).astype(np.int64)
    keep = _keep(w, e_day)
    eo, e_day = eo[keep], e_day[keep]
    events.add(sender=senders[eo],
               receiver=_relative_for(w, eo, n_rel, first_rel, relatives, linked, households,
                                      0.3),
               day=e_day, clock=mixed_clock(rng, rng.choice([0, 1, 2], size=len(eo),
                                                            p=[0.1, 0.5, 0.4]),
                                            ("night", "evening", "daytime")),
               eur=rng.uniform(20, 80, size=len(eo)), round_unit=10.0,
               message=draw_messages(rng, len(eo), FAMILY_EXTRA, 0.8), population=population)


def _relative_for(w: World, owner: np.ndarray, n_rel: np.ndarray, first_rel: np.ndarray,
                  relatives: np.ndarray, linked: np.ndarray, households: Households | None,
                  main_share: float) -> np.ndarray:
    """The relative paid by each transfer: mostly the main one, sometimes another."""
    rng = w.rng
    count = np.maximum(n_rel[owner], 1)
    pick = np.where(rng.random(len(owner)) < main_share, 0,
                    (rng.random(len(owner)) * count).astype(np.int64))
    out = np.empty(len(owner), dtype=np.int64)
    normal = n_rel[owner] > 0
    out[normal] = relatives[first_rel[owner[normal]] + pick[normal]]
    if households is not None:
        for i in np.flatnonzero(~normal):
            members = households.identities[linked[owner[i]]]
            out[i] = members[min(pick[i], len(members) - 1, 1)]
    return out


def business(w: World, events: Events, n: int) -> None:
    """Businesses paying freelancers weekly or fortnightly, office hours, invoices."""
    rng = w.rng
    senders = add_senders(w, residence(w, n, 0.05), np.full(n, "fr", dtype=object),
                          role="business", population="business", sex=sexes(w, n, 0.6),
                          ages=ages(w, n, 45, 9, 26, 68))
    k = rng.choice(np.arange(cal.BUSINESS_FREELANCERS[0], cal.BUSINESS_FREELANCERS[1] + 1),
                   size=n, p=[0.45, 0.3, 0.15, 0.1])
    boss, _ = repeat_index(k)
    f = len(boss)
    country = choose(w, f, FREELANCE)
    freelancers = add_receivers(w, country, role="freelancer", population="business",
                                sex=sexes(w, f, 0.45), ages=ages(w, f, 30, 6, 20, 50),
                                cities=cities_in(w, country, 0.35))
    cadence = np.where(rng.random(f) < 0.35, 7, 14)
    start = rng.integers(w.first_day, max(w.first_day + 1, w.last_day - 60), size=f)
    duration = (rng.random(f) * (w.last_day - start)).astype(np.int64) + 30
    count = np.maximum(duration // cadence, 1)
    fo, rank = repeat_index(count)
    day = start[fo] + rank * cadence[fo] + rng.integers(0, 2, size=len(fo))
    weekday = (day + 3) % 7                 # 1970-01-01 was a Thursday; Monday = 0
    day = np.where(weekday >= 5, day - (weekday - 4), day)
    keep = _keep(w, day)
    fo, rank, day = fo[keep], rank[keep], day[keep]
    rate = rng.uniform(*cal.BUSINESS_WEEKLY_EUR, size=f) * np.where(cadence == 14, 2, 1)
    eur = rate[fo] * rng.normal(1, 0.02, size=len(fo))
    unit = np.where(rng.random(f) < 0.35, 10.0, 0.0)[fo]
    numbered = rng.random(len(fo)) < 0.45
    message = draw_messages(rng, len(fo), BUSINESS, 0.85)
    message[numbered] = rng.choice(message_ids(INVOICE_PREFIXES), size=int(numbered.sum()))
    number = np.where(numbered, rng.integers(1, 900, size=f)[fo] + rank, -1)
    events.add(sender=senders[boss[fo]], receiver=freelancers[fo], day=day,
               clock=mixed_clock(rng, np.zeros(len(fo), dtype=np.int64), ("office",)),
               eur=eur, round_unit=unit, message=message, number=number,
               population="business")


def romance(w: World, events: Events, n: int) -> None:
    """A man sending irregular, rising sums to one woman abroad, in the evening."""
    rng = w.rng
    countries = residence(w, n, cal.BUYER_ABROAD_SHARE)
    origins = np.array([COUNTRIES[c].origin for c in countries], dtype=object)
    senders = add_senders(w, countries, origins, role="romance", population="romance",
                          sex=sexes(w, n, 0.95), ages=ages(w, n, 54, 10, 30, 78))
    country = choose(w, n, PARTNERS)
    partner = add_receivers(w, country, role="partner", population="romance",
                            sex=np.zeros(n, dtype=np.int8), ages=ages(w, n, 29, 5, 20, 42),
                            cities=cities_in(w, country, 0.4))
    count = np.clip(np.round(rng.lognormal(np.log(10), 0.6, size=n)),
                    *cal.ROMANCE_TRANSFERS).astype(np.int64)
    span = np.minimum(rng.integers(90, 600, size=n), w.days - 1)
    start = w.first_day + (rng.random(n) * (w.days - span)).astype(np.int64)
    o, _ = repeat_index(count)
    u = rng.random(len(o))
    growth = rng.uniform(*cal.ROMANCE_EUR_GROWTH, size=n)
    eur = (rng.uniform(*cal.ROMANCE_EUR_START, size=n)[o] * growth[o] ** u
           * rng.lognormal(0, 0.25, size=len(o)))
    unit = np.where(rng.random(len(o)) < 0.6, rng.choice([10.0, 50.0], size=len(o)), 0.0)
    events.add(sender=senders[o], receiver=partner[o],
               day=start[o] + (u * span[o]).astype(np.int64),
               clock=mixed_clock(rng, rng.choice(3, size=len(o), p=[0.3, 0.6, 0.1]),
                                 ("night", "evening", "daytime")),
               eur=np.minimum(eur, 1500), round_unit=unit,
               message=draw_messages(rng, len(o), ROMANCE, 0.55), population="romance")


def charity(w: World, events: Events, n: int) -> None:
    """Sponsors paying the same fixed sum monthly to one organisation (a benign hub)."""
    rng = w.rng
    n_org = max(2, round(n / cal.CHARITY_SENDERS_PER_ORG))
    country = choose(w, n_org, SPONSORED)
    names = rng.choice(w.pools.organisations, size=n_org,
                       replace=n_org > len(w.pools.organisations))
    orgs = add_receivers(w, country, role="organisation", population="charity",
                         sex=np.zeros(n_org, dtype=np.int8), ages=np.zeros(n_org),
                         cities=cities_in(w, country, 0.3), surname=names,
                         given=np.zeros(n_org, dtype=np.int64))
    popularity = 1.0 / np.arange(1, n_org + 1)
    senders = add_senders(w, residence(w, n, 0.05), np.full(n, "fr", dtype=object),
                          role="charity", population="charity", sex=sexes(w, n, 0.45),
                          ages=ages(w, n, 55, 13, 25, 85))
    which = rng.choice(n_org, size=n, p=popularity / popularity.sum())
    org = orgs[which]
    # Each organisation asks one sum; a few sponsors chose another tier.
    tiers = np.array(cal.CHARITY_EUR, dtype=float)
    amount = np.where(rng.random(n) < 0.85, rng.choice(tiers, size=n_org)[which],
                      rng.choice(tiers, size=n))
    m0, length = _active_months(w, n)
    o, rank = repeat_index(length)
    day = _month_days(w, m0[o] + rank) + rng.integers(0, 28, size=n)[o] + rng.integers(
        -1, 2, size=len(o))
    keep = _keep(w, day)
    o, day = o[keep], day[keep]
    events.add(sender=senders[o], receiver=org[o], day=day,
               clock=mixed_clock(rng, rng.choice(2, size=len(o), p=[0.8, 0.2]),
                                 ("daytime", "evening")),
               eur=amount[o],
               round_unit=0.0, message=draw_messages(rng, len(o), CHARITY, 0.7),
               population="charity")


def occasional(w: World, events: Events, n: int) -> None:
    """One to three transfers, any country, any amount: the bulk of the senders."""
    rng = w.rng
    countries = residence(w, n, 0.08)
    origins = np.array([COUNTRIES[c].origin for c in countries], dtype=object)
    diaspora = (countries == "FR") & (rng.random(n) < 0.25)
    origins[diaspora] = rng.choice(["mag", "sn", "ph", "pt", "es", "vn"], size=int(
        diaspora.sum()))
    senders = add_senders(w, countries, origins, role="occasional", population="occasional",
                          sex=sexes(w, n, 0.5), ages=ages(w, n, 45, 16, 18, 88))
    count = rng.choice([1, 2, 3], size=n, p=[0.55, 0.3, 0.15])
    one_receiver = rng.random(n) < 0.7
    n_rec = np.where(one_receiver, 1, count)
    ro, _ = repeat_index(n_rec)
    country = choose(w, len(ro), ANYWHERE)
    receivers = add_receivers(w, country, role="recipient", population="occasional",
                              sex=sexes(w, len(ro), 0.45), ages=ages(w, len(ro), 40, 15, 16, 85),
                              cities=cities_in(w, country, 0.3))
    first = np.cumsum(n_rec) - n_rec
    o, rank = repeat_index(count)
    receiver = receivers[first[o] + np.where(one_receiver[o], 0, rank)]
    eur = np.clip(rng.lognormal(np.log(cal.OCCASIONAL_EUR_MEDIAN), cal.OCCASIONAL_EUR_SIGMA,
                                size=len(o)), 10, 5000)
    unit = np.where(rng.random(len(o)) < 0.5, np.where(eur > 300, 50.0, 10.0), 0.0)
    events.add(sender=senders[o], receiver=receiver,
               day=rng.integers(w.first_day, w.last_day + 1, size=len(o)),
               clock=mixed_clock(rng, rng.choice(3, size=len(o), p=[0.7, 0.22, 0.08]),
                                 ("daytime", "evening", "night")),
               eur=eur, round_unit=unit,
               message=draw_messages(rng, len(o), OCCASIONAL, 0.3), population="occasional")
