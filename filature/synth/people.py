"""The parties of the world: every sender and receiving identity, as columns of arrays.

A *party* is a name under which money is sent or received. Most parties are one person; a
facilitator's alias (a variant of her own name) is a second party of the same person, so
``person`` (the truth) can be shared while the operator sees two identities. Phones, emails,
ID numbers and addresses are drawn here once per party and then picked per transfer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from filature.synth.names import NamePools, pick_given, pick_surnames, strip_accents
from filature.synth.places import COUNTRIES, STREETS

ROLES = ("buyer", "family", "remittance", "business", "romance", "charity", "occasional",
         "facilitator", "relative", "freelancer", "partner", "organisation", "recipient")
POPULATIONS = ("buyer", "family", "remittance", "business", "romance", "charity",
               "occasional", "facilitator")
COUNTRY_CODES = tuple(COUNTRIES)
SIDES = ("sender", "receiver")

_COLUMNS = {
    "person": np.int64, "side": np.int8, "role": np.int8, "population": np.int8,
    "household": np.int64, "given": np.int64, "surname": np.int64, "sex": np.int8,
    "country": np.int8, "birth": np.int64, "zone": np.int8, "home_provider": np.int8,
    "next_provider": np.int8, "switch_day": np.int64, "channel": np.int8,
    "no_accents": np.bool_, "split_compound": np.bool_, "phone_of": np.int64,
    "second_phone": np.bool_, "agent": np.int64,
}


@dataclass
class Parties:
    """A growing table of parties; ``add`` appends a block and returns its party numbers."""

    columns: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {c: [] for c in _COLUMNS})
    cities: list[np.ndarray] = field(default_factory=list)
    size: int = 0
    persons: int = 0
    _frozen: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def add(self, n: int, *, city: np.ndarray, same_person_as: np.ndarray | None = None,
            **values: np.ndarray | int | float) -> np.ndarray:
        """Append ``n`` parties; unspecified columns take neutral defaults.

        ``same_person_as`` gives, for an alias, the party whose person it is (-1: a new
        person). ``phone_of`` defaults to the party itself (its own phone).
        """
        idx = np.arange(self.size, self.size + n)
        person = np.full(n, -1, dtype=np.int64)
        if same_person_as is not None:
            known = same_person_as >= 0
            person[known] = self.column("person")[same_person_as[known]]
        new = person < 0
        person[new] = np.arange(self.persons, self.persons + int(new.sum()))
        self.persons += int(new.sum())
        defaults: dict[str, np.ndarray | int | float] = {
            "person": person, "household": -1, "zone": 0, "home_provider": 0,
            "next_provider": 0, "switch_day": np.iinfo(np.int64).max, "channel": 0,
            "no_accents": False, "split_compound": False, "phone_of": idx,
            "second_phone": False, "agent": 0, "given": 0, "sex": 0, "birth": 0,
        }
        defaults.update(values)
        missing = set(_COLUMNS) - set(defaults)
        if missing:
            raise TypeError(f"parties need {sorted(missing)}")
        for name, dtype in _COLUMNS.items():
            self.columns[name].append(np.broadcast_to(
                np.asarray(defaults[name], dtype=dtype), (n,)).copy())
        self.cities.append(np.asarray(city, dtype=object))
        self.size += n
        self._frozen = {}
        return idx

    def column(self, name: str) -> np.ndarray:
        """One column over every party added so far."""
        if name not in self._frozen:
            self._frozen[name] = (np.concatenate(self.columns[name]) if self.columns[name]
                                  else np.empty(0, dtype=_COLUMNS[name]))
        return self._frozen[name]

    def city(self) -> np.ndarray:
        return np.concatenate(self.cities) if self.cities else np.empty(0, dtype=object)


def birth_days(rng: np.random.Generator, ages: np.ndarray, on_day: int) -> np.ndarray:
    """Birth dates (days since 1970) of people ``ages`` years old on ``on_day``."""
    return (on_day - ages * 365.25 - rng.uniform(0, 365, size=len(ages))).astype(np.int64)


def named(rng: np.random.Generator, pools: NamePools, origin: str,
          sex: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(given, surname) pool indices for people of one origin."""
    return pick_given(pools, origin, sex, rng), pick_surnames(pools, origin, len(sex), rng)


def country_index(code: str) -> int:
    return COUNTRY_CODES.index(code)


@dataclass(frozen=True)
class Contacts:
    """Per-party strings: phones in three writings, second phone, email, ID, address."""

    phone_e164: np.ndarray        # +33660720427
    phone_spaced: np.ndarray      # +33 6 60 72 04 27
    phone_national: np.ndarray    # 06 60 72 04 27
    phone2_e164: np.ndarray
    phone2_spaced: np.ndarray
    phone2_national: np.ndarray
    email: np.ndarray
    id_number: np.ndarray
    address: np.ndarray


def _group(digits: str, groups: tuple[int, ...]) -> str:
    out, i = [], 0
    for g in groups:
        out.append(digits[i:i + g])
        i += g
    return " ".join(out)


def unique_numbers(rng: np.random.Generator, n: int, high: int) -> np.ndarray:
    """n distinct integers below ``high`` (phones and IDs must not collide by chance)."""
    taken = np.unique(rng.integers(0, high, size=int(n * 1.2) + 16))
    while len(taken) < n:
        taken = np.unique(np.concatenate([taken, rng.integers(0, high, size=n)]))
    return rng.permutation(taken)[:n]


def draw_contacts(rng: np.random.Generator, parties: Parties, pools: NamePools) -> Contacts:
    """Invented but well-formed phones (unique per party), example.org emails, IDs, streets."""
    n = parties.size
    country = parties.column("country")
    out = {k: np.empty(n, dtype=object) for k in Contacts.__dataclass_fields__}
    for c_idx in np.unique(country):
        spec = COUNTRIES[COUNTRY_CODES[c_idx]]
        members = np.flatnonzero(country == c_idx)
        rest = max(len(p) for p in spec.mobile_prefixes)
        width = spec.digits - rest
        numbers = unique_numbers(rng, 2 * len(members), 10 ** width)
        prefixes = rng.choice(np.array(spec.mobile_prefixes, dtype=object), 2 * len(members))
        for key, offset in (("phone", 0), ("phone2", len(members))):
            e164, spaced, national = [], [], []
            for p, num in zip(prefixes[offset:offset + len(members)],
                              numbers[offset:offset + len(members)], strict=True):
                nsn = p + str(num).zfill(spec.digits - len(p))
                e164.append(f"+{spec.calling_code}{nsn}")
                spaced.append(f"+{spec.calling_code} {_group(nsn, spec.groups)}")
                national.append(_group(spec.trunk + nsn, spec.national_groups))
            out[f"{key}_e164"][members] = e164
            out[f"{key}_spaced"][members] = spaced
            out[f"{key}_national"][members] = national
    given = parties.column("given")
    surname = parties.column("surname")
    given_ascii = np.array([strip_accents(f[0]).lower().replace(" ", "").replace(".", "")
                            .replace("'", "") for f in pools.given_forms], dtype=object)
    surname_ascii = np.array([strip_accents(f[0]).lower().replace(" ", "").replace("'", "")
                              for f in pools.surname_forms], dtype=object)
    serial = rng.permutation(n) + 1
    out["email"][:] = [f"{g}.{s}{k}@example.org" if g else f"contact{k}@example.org"
                       for g, s, k in zip(given_ascii[given], surname_ascii[surname], serial,
                                          strict=True)]
    ids = unique_numbers(rng, n, 10 ** 7)
    letters = rng.integers(0, 26, size=(n, 2)) + ord("A")
    out["id_number"][:] = [f"{i // 100_000:02d}{chr(a)}{chr(b)}{i % 100_000:05d}"
                           for i, (a, b) in zip(ids, letters.tolist(), strict=True)]
    street = rng.integers(0, len(STREETS), size=n)
    house = rng.integers(1, 180, size=n)
    out["address"][:] = [f"{h} {STREETS[s]}" for h, s in zip(house, street, strict=True)]
    return Contacts(**out)
