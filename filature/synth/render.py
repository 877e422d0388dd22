"""Writing transfers as an operator captures them: spellings, missing fields, phone styles.

Each operator has its habits (MoneyBridge types names as given, in E.164 phones; SwiftPay
writes capitals without accents and spaced international phones; Operator X writes
"REY Bruno", national phones and day-first dates). On top, per transfer: a typo now and
then, the order swapped, a birth date or phone not asked, a second phone. The truth keeps
one person id behind all of these. Everything is a vectorised Arrow expression.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from filature.synth import calibration as cal
from filature.synth.clock import offset_text
from filature.synth.events import MESSAGES
from filature.synth.identities import CHANNELS
from filature.synth.names import GIVEN_FORMS, SURNAME_FORMS, NamePools
from filature.synth.people import COUNTRY_CODES, Contacts, Parties

# Name layouts: "First Last", "FIRST LAST", "LAST First", "LAST FIRST".
_USUAL_LAYOUT = np.array([0, 1, 2])
_SWAPPED_LAYOUT = np.array([2, 3, 0])


@dataclass(frozen=True)
class Transfers:
    """The drawn transfers, sorted by time, with everything needed to write them."""

    sender: np.ndarray
    receiver: np.ndarray
    provider: np.ndarray        # index in calibration.PROVIDERS
    transfer_id: pa.Array
    written: np.ndarray         # wall-clock seconds since 1970 in the sender's zone
    offset: np.ndarray          # seconds east of UTC
    cents: np.ndarray           # amount in the sender's currency, in cents
    currency: np.ndarray        # ISO code per transfer (object array)
    message: np.ndarray
    number: np.ndarray
    population: np.ndarray


class Renderer:
    """Turns a subset of the transfers into the text columns of one layout."""

    def __init__(self, parties: Parties, contacts: Contacts, pools: NamePools,
                 rng: np.random.Generator) -> None:
        self.p = {name: parties.column(name) for name in parties.columns}
        self.city = pa.array(parties.city(), type=pa.string())
        self.contacts = {k: pa.array(getattr(contacts, k), type=pa.string())
                         for k in Contacts.__dataclass_fields__}
        self.given = pa.array([f for forms in pools.given_forms for f in forms])
        self.surname = pa.array([f for forms in pools.surname_forms for f in forms])
        self.rng = rng
        self.messages = pa.array(MESSAGES)
        self.countries = pa.array(COUNTRY_CODES)
        capitals = np.random.default_rng(rng.integers(1 << 32)).random(parties.size) < 0.15
        self.types_capitals = capitals

    def name(self, party: np.ndarray, provider: np.ndarray) -> pa.Array:
        """The name written for each party on each transfer."""
        rng, n = self.rng, len(party)
        plain = self.p["no_accents"][party] | ((provider == 1) & (rng.random(n) < 0.8))
        gform = np.where(plain, 1, 0)
        gform = np.where(self.p["split_compound"][party], 3, gform)
        sform = np.where(plain, 1, 0)
        typo = rng.random(n) < cal.TYPO_RATE
        on_given = rng.random(n) < 0.5
        gform[typo & on_given] = 2
        sform[typo & ~on_given] = 2
        layout = np.where(rng.random(n) < cal.ORDER_SWAP_RATE, _SWAPPED_LAYOUT[provider],
                          _USUAL_LAYOUT[provider])
        layout[(layout == 0) & self.types_capitals[party]] = 1
        g = self.given.take(pa.array(self.p["given"][party] * GIVEN_FORMS + gform))
        s = self.surname.take(pa.array(self.p["surname"][party] * SURNAME_FORMS + sform))
        first_last = pc.binary_join_element_wise(g, s, " ")
        last_first = pc.binary_join_element_wise(pc.utf8_upper(s), g, " ")
        chosen = pc.choose(pa.array(layout.astype(np.int8)), first_last,
                           pc.utf8_upper(first_last), last_first, pc.utf8_upper(last_first))
        return pc.utf8_trim_whitespace(chosen)

    def canonical_name(self, party: np.ndarray) -> pa.Array:
        """The name as the truth spells it (canonical forms, given name first)."""
        g = self.given.take(pa.array(self.p["given"][party] * GIVEN_FORMS))
        s = self.surname.take(pa.array(self.p["surname"][party] * SURNAME_FORMS))
        return pc.utf8_trim_whitespace(pc.binary_join_element_wise(g, s, " "))

    def shown(self, values: pa.Array, share: float | np.ndarray) -> pa.Array:
        """``values`` where the operator captured them (a share), null elsewhere."""
        hide = self.rng.random(len(values)) >= share
        return pc.if_else(pa.array(hide), pa.nulls(len(values), pa.string()), values)

    def birth(self, party: np.ndarray, fmt: str, share: float | np.ndarray) -> pa.Array:
        days = pa.array(self.p["birth"][party].astype("int32")).cast(pa.date32())
        text = pc.strftime(days.cast(pa.timestamp("s")), format=fmt)
        no_birth = self.p["given"][party] == 0       # organisations have none
        return self.shown(text, np.where(no_birth, 0.0, share))

    def phone(self, party: np.ndarray, style: str, share: float) -> pa.Array:
        """A phone in ``style`` (e164, spaced, national): the party's, or a second one."""
        owner = self.p["phone_of"][party]
        second = self.p["second_phone"][party] & (self.rng.random(len(party))
                                                  < cal.SECOND_PHONE_USE)
        first = self.contacts[f"phone_{style}"].take(pa.array(owner))
        other = self.contacts[f"phone2_{style}"].take(pa.array(owner))
        return self.shown(pc.if_else(pa.array(second), other, first), share)

    def contact(self, key: str, party: np.ndarray, share: float | np.ndarray) -> pa.Array:
        return self.shown(self.contacts[key].take(pa.array(party)), share)

    def cities(self, party: np.ndarray) -> pa.Array:
        return self.city.take(pa.array(party))

    def country(self, party: np.ndarray) -> pa.Array:
        return self.countries.take(pa.array(self.p["country"][party].astype(np.int64)))

    def payout(self, party: np.ndarray) -> pa.Array:
        agent = pa.array(self.p["agent"][party]).cast(pa.string())
        return pc.binary_join_element_wise(self.cities(party), agent, " agent ")

    def channel(self, party: np.ndarray) -> pa.Array:
        return pa.array(CHANNELS).take(pa.array(self.p["channel"][party].astype(np.int64)))

    def message(self, message: np.ndarray, number: np.ndarray) -> pa.Array:
        text = self.messages.take(pa.array(message))
        numbered = pc.binary_join_element_wise(
            text, pa.array(np.maximum(number, 0)).cast(pa.string()), "")
        out = pc.if_else(pa.array(number >= 0), numbered, text)
        return pc.if_else(pc.equal(out, ""), pa.nulls(len(out), pa.string()), out)


def amount_text(cents: np.ndarray, decimal: str) -> pa.Array:
    """12345 -> '123.45' (or '123,45')."""
    units = pa.array(cents // 100).cast(pa.string())
    frac = pc.utf8_lpad(pa.array(cents % 100).cast(pa.string()), 2, "0")
    return pc.binary_join_element_wise(units, frac, decimal)


def time_text(seconds: np.ndarray, fmt: str) -> pa.Array:
    return pc.strftime(pa.array(seconds).cast(pa.timestamp("s")), format=fmt)


def offset_column(offset: np.ndarray) -> pa.Array:
    """'+01:00' per transfer, formatted once per distinct offset."""
    values, inverse = np.unique(offset, return_inverse=True)
    texts = pa.array([offset_text(int(v)) for v in values], type=pa.string())
    return texts.take(pa.array(inverse.ravel(), type=pa.int64()))
