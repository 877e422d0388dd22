"""Creating senders and receiving identities with their habits (operator, channel, spelling).

Every population goes through these two functions, so no habit is peculiar to one
population: a buyer and a family sender draw their operator, channel, accent habit and
second phone from the same distributions. Only what the typology describes differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from filature.synth import calibration as cal
from filature.synth.names import NamePools
from filature.synth.people import (
    COUNTRY_CODES,
    POPULATIONS,
    ROLES,
    Parties,
    birth_days,
    country_index,
    named,
)
from filature.synth.places import COUNTRIES, HOTSPOTS

# Channels: agent (cash at a counter), online, app (spec column ``channel``).
CHANNELS = ("agent", "online", "app")
_CHANNEL_SHARE = (0.45, 0.35, 0.2)
# Senders abroad, for buyers and the populations that mirror them (AMLC payer countries).
ABROAD = {"BE": 0.2, "CH": 0.15, "DE": 0.15, "GB": 0.2, "US": 0.15, "AU": 0.15}


@dataclass(frozen=True)
class World:
    """What every population needs: the generator, the tables, the pools and the window."""

    rng: np.random.Generator
    parties: Parties
    pools: NamePools
    first_day: int
    last_day: int
    zones: tuple[str, ...]

    @property
    def days(self) -> int:
        return self.last_day - self.first_day + 1


def residence(w: World, n: int, abroad_share: float) -> np.ndarray:
    """Country codes of senders: France, or abroad for a share."""
    out = np.full(n, "FR", dtype=object)
    away = w.rng.random(n) < abroad_share
    out[away] = w.rng.choice(list(ABROAD), size=int(away.sum()), p=list(ABROAD.values()))
    return out


def add_senders(w: World, countries: np.ndarray, origins: np.ndarray, *, role: str,
                population: str, sex: np.ndarray, ages: np.ndarray,
                switch_share: float = cal.SWITCH_SHARE,
                switch_day: np.ndarray | None = None,
                surname_of: np.ndarray | None = None) -> np.ndarray:
    """Senders living in ``countries`` (codes), named after ``origins`` (name pools)."""
    rng, n = w.rng, len(countries)
    given = np.zeros(n, dtype=np.int64)
    surname = np.zeros(n, dtype=np.int64)
    for origin in np.unique(origins):
        m = origins == origin
        given[m], surname[m] = named(rng, w.pools, str(origin), sex[m])
    if surname_of is not None:
        surname = np.where(surname_of >= 0, surname_of, surname)
    city = np.empty(n, dtype=object)
    zone = np.zeros(n, dtype=np.int64)
    for code in np.unique(countries):
        m = countries == code
        spec = COUNTRIES[str(code)]
        city[m] = rng.choice(np.array(spec.cities, dtype=object), size=int(m.sum()))
        zone[m] = [w.zones.index(z) for z in rng.choice(spec.zones, size=int(m.sum()))]
    in_france = countries == "FR"
    home = np.where(in_france, rng.choice(3, size=n, p=cal.PROVIDER_SHARE),
                    rng.choice(2, size=n, p=np.array(cal.PROVIDER_SHARE[:2]) / sum(
                        cal.PROVIDER_SHARE[:2])))
    other = np.where(in_france, (home + rng.integers(1, 3, size=n)) % 3, 1 - home)
    channel = rng.choice(3, size=n, p=_CHANNEL_SHARE)
    channel[(home == 2) & (rng.random(n) < 0.6)] = 0   # Operator X: mostly counters
    switches = rng.random(n) < switch_share
    if switch_day is None:
        switch_day = rng.integers(w.first_day, w.last_day + 1, size=n)
    day = np.where(switches, switch_day, np.iinfo(np.int64).max)
    return w.parties.add(
        n, city=city, side=0, role=ROLES.index(role), population=POPULATIONS.index(population),
        given=given, surname=surname, sex=sex,
        country=np.array([country_index(str(c)) for c in countries]),
        birth=birth_days(rng, ages, w.last_day), zone=zone, home_provider=home,
        next_provider=other, switch_day=day, channel=channel,
        no_accents=rng.random(n) < cal.ACCENT_DROP_HABIT,
        split_compound=rng.random(n) < 0.4,
        second_phone=rng.random(n) < cal.SECOND_PHONE_SHARE)


def add_receivers(w: World, countries: np.ndarray, *, role: str, population: str,
                  sex: np.ndarray, ages: np.ndarray, cities: np.ndarray,
                  surname: np.ndarray | None = None, given: np.ndarray | None = None,
                  household: np.ndarray | int = -1, same_person_as: np.ndarray | None = None,
                  phone_of: np.ndarray | None = None, birth: np.ndarray | None = None
                  ) -> np.ndarray:
    """Receiving identities in ``countries``; names from each country's pool unless given."""
    rng, n = w.rng, len(countries)
    g = np.zeros(n, dtype=np.int64)
    s = np.zeros(n, dtype=np.int64)
    for code in np.unique(countries):
        m = countries == code
        g[m], s[m] = named(rng, w.pools, COUNTRIES[str(code)].origin, sex[m])
    if given is not None:
        g = np.where(given >= 0, given, g)
    if surname is not None:
        s = np.where(surname >= 0, surname, s)
    start = w.parties.size
    own = np.arange(start, start + n)
    return w.parties.add(
        n, city=cities, same_person_as=same_person_as, side=1, role=ROLES.index(role),
        population=POPULATIONS.index(population), household=household, given=g, surname=s,
        sex=sex, country=np.array([country_index(str(c)) for c in countries]),
        birth=birth if birth is not None else birth_days(rng, ages, w.last_day),
        no_accents=rng.random(n) < cal.ACCENT_DROP_HABIT,
        split_compound=rng.random(n) < 0.4, phone_of=own if phone_of is None else phone_of,
        second_phone=rng.random(n) < cal.SECOND_PHONE_SHARE / 2,
        agent=rng.integers(1, 60, size=n))


def cities_in(w: World, countries: np.ndarray, hotspot_share: float) -> np.ndarray:
    """Payout cities: in the Philippines a hotspot city for a share, else any listed city."""
    out = np.empty(len(countries), dtype=object)
    for code in np.unique(countries):
        m = np.flatnonzero(countries == code)
        out[m] = w.rng.choice(np.array(COUNTRIES[str(code)].cities, dtype=object), size=len(m))
        if code == "PH":
            hot = m[w.rng.random(len(m)) < hotspot_share]
            out[hot] = w.rng.choice(np.array(HOTSPOTS, dtype=object), size=len(hot))
    return out


def choose(w: World, n: int, shares: dict[str, float]) -> np.ndarray:
    """n country codes drawn with the given shares."""
    keys = list(shares)
    p = np.array([shares[k] for k in keys], dtype=float)
    return w.rng.choice(np.array(keys, dtype=object), size=n, p=p / p.sum())


def sexes(w: World, n: int, male_share: float) -> np.ndarray:
    return (w.rng.random(n) < male_share).astype(np.int8)


def ages(w: World, n: int, mean: float, sd: float, lo: int, hi: int) -> np.ndarray:
    return np.clip(w.rng.normal(mean, sd, size=n), lo, hi)


__all__ = ["COUNTRY_CODES", "World", "add_receivers", "add_senders", "ages", "choose",
           "cities_in", "residence", "sexes"]
