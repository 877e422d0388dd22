"""Generating a synthetic national world: transfers, an operator's export, and the truth.

``generate_world`` draws the populations (buyers and facilitator households, the five
legitimate look-alikes), places every transfer in time and currency, then writes:
``transfers.csv`` (canonical layout, MoneyBridge and SwiftPay), ``operator_export.csv`` with
its ``operator_export.toml`` mapping (Operator X: French headers, ``;``, decimal comma,
day-first Paris times, Windows-1252), and ``truth/`` (who really is behind each transfer),
which the screening never reads. Same seed, same bytes.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from filature.errors import InputError
from filature.synth import calibration as cal
from filature.synth.buyers import buyers as draw_buyers
from filature.synth.buyers import facilitator_households
from filature.synth.clock import DAY, Zones, window
from filature.synth.confounders import business, charity, family, occasional, romance
from filature.synth.events import Events
from filature.synth.identities import ABROAD, World
from filature.synth.names import build_pools
from filature.synth.people import (
    COUNTRY_CODES,
    POPULATIONS,
    ROLES,
    SIDES,
    Parties,
    draw_contacts,
    unique_numbers,
)
from filature.synth.places import COUNTRIES
from filature.synth.render import Renderer, Transfers, amount_text, offset_column, time_text

Progress = Callable[[str, float], None]

OPERATOR_COLUMNS = {  # canonical column -> Operator X header, in the export's order
    "transfer_id": "MTCN", "sent_at": "Date envoi", "amount": "Montant", "currency": "Devise",
    "sender_name": "Nom expediteur", "receiver_name": "Nom beneficiaire",
    "receiver_country": "Pays beneficiaire", "receiver_city": "Ville paiement",
    "payout_location": "Agence paiement", "receiver_phone": "Tel beneficiaire",
    "receiver_birth_date": "Date naissance beneficiaire", "message": "Motif",
    "channel": "Canal", "sender_birth_date": "Date naissance expediteur",
    "sender_id_number": "Piece identite", "sender_phone": "Tel expediteur",
    "sender_email": "Email expediteur", "sender_address": "Adresse expediteur",
    "sender_city": "Ville expediteur", "sender_country": "Pays expediteur",
}
CANONICAL_ORDER = (
    "transfer_id", "sent_at", "amount", "currency", "channel", "provider", "sender_name",
    "sender_birth_date", "sender_id_number", "sender_phone", "sender_email", "sender_address",
    "sender_city", "sender_country", "receiver_name", "receiver_birth_date",
    "receiver_id_number", "receiver_phone", "receiver_city", "receiver_country",
    "payout_location", "message",
)
_ID_FORMATS = (("MB", 9), ("SP", 10), ("", 10))   # prefix, digits per provider


@dataclass
class WorldSummary:
    """What was written: counts a user (and the benchmarks) can quote."""

    out: str
    seed: int
    months: int
    transfers: int
    senders: int
    buyers: int
    facilitator_households: int
    facilitator_identities: int
    transfers_by_provider: dict[str, int] = field(default_factory=dict)
    senders_by_population: dict[str, int] = field(default_factory=dict)
    transfers_by_population: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def transfers_per_sender(self) -> float:
        return self.transfers / max(self.senders, 1)


def generate_world(out: Path, *, senders: int, buyers: int | None = None, seed: int = 7,
                   months: int = 24, progress: Progress | None = None) -> WorldSummary:
    """Draw and write a world of ``senders`` senders (``buyers`` of them buyers)."""
    started = time.perf_counter()
    say = progress or (lambda stage, fraction: None)
    n_buyers = round(senders * cal.BUYER_SHARE) if buyers is None else buyers
    if senders < 1 or months < 1 or not 0 <= n_buyers <= senders:
        raise InputError(f"a world needs senders >= 1, months >= 1 and 0 <= buyers <= senders "
                         f"(got senders={senders}, buyers={n_buyers}, months={months})")
    out = Path(out)
    rng = np.random.default_rng([seed, 1])
    first_day, last_day = window(months)
    zones = tuple(dict.fromkeys(z for c in ("FR", *ABROAD) for z in COUNTRIES[c].zones))
    w = World(rng, Parties(), build_pools(), first_day, last_day, zones)
    events = Events()
    counts = _population_sizes(senders, n_buyers)

    say("facilitators and buyers", 0.05)
    households = facilitator_households(
        w, max(2, -(-max(n_buyers, 1) // cal.BUYERS_PER_HOUSEHOLD)), first_id=1)
    if n_buyers:
        draw_buyers(w, events, n_buyers, households)
    say("legitimate senders", 0.15)
    family(w, events, counts["family"], population="family", households=households)
    family(w, events, counts["remittance"], population="remittance")
    business(w, events, counts["business"])
    romance(w, events, counts["romance"])
    charity(w, events, counts["charity"])
    occasional(w, events, counts["occasional"])

    say("contacts", 0.35)
    contacts = draw_contacts(rng, w.parties, w.pools)
    say("times and amounts", 0.45)
    transfers = _place(w, events.freeze(), Zones.build(zones, first_day, last_day))
    renderer = Renderer(w.parties, contacts, w.pools, np.random.default_rng([seed, 2]))

    say("writing transfers.csv", 0.55)
    out.mkdir(parents=True, exist_ok=True)
    canonical = transfers.provider < 2
    _write_csv(out / "transfers.csv", _canonical_table(renderer, transfers, canonical),
               ",", "utf-8")
    say("writing operator_export.csv", 0.75)
    operator = ~canonical
    _write_csv(out / "operator_export.csv", _operator_table(renderer, transfers, operator),
               ";", "cp1252")
    (out / "operator_export.toml").write_text(_mapping_toml(), encoding="utf-8")
    say("writing truth", 0.85)
    summary = _write_truth(out / "truth", renderer, transfers, counts, seed, months)
    summary.elapsed_s = round(time.perf_counter() - started, 2)
    # Without the folder and the timing, so the same seed gives the same bytes anywhere.
    facts = {k: v for k, v in asdict(summary).items() if k not in ("out", "elapsed_s")}
    facts["parameters"] = {"senders": senders, "buyers": n_buyers, "seed": seed,
                           "months": months, "first_day": str(np.datetime64(first_day, "D")),
                           "last_day": str(np.datetime64(last_day, "D"))}
    (out / "truth" / "world.json").write_text(
        json.dumps(facts, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    say("done", 1.0)
    return summary


def _population_sizes(senders: int, n_buyers: int) -> dict[str, int]:
    """Senders per population: shares of calibration.py, occasional senders the rest."""
    shares = {"family": cal.FAMILY_SHARE, "remittance": cal.REMITTANCE_SHARE,
              "business": cal.BUSINESS_SHARE, "romance": cal.ROMANCE_SHARE,
              "charity": cal.CHARITY_SHARE}
    rest = senders - n_buyers
    counts = {k: int(round(rest * v)) for k, v in shares.items()}
    counts["occasional"] = max(0, rest - sum(counts.values()))
    return {"buyer": n_buyers, **counts}


def _place(w: World, ev: dict[str, np.ndarray], zones: Zones) -> Transfers:
    """Operator, instant, offset, currency amount and id of each transfer; sorted by time."""
    p = w.parties
    inside = (ev["local"] >= w.first_day * DAY) & (ev["local"] < (w.last_day + 1) * DAY)
    ev = {k: v[inside] for k, v in ev.items()}      # jittered paydays may spill over
    sender = ev["sender"]
    day = ev["local"] // DAY
    provider = np.where(day < p.column("switch_day")[sender], p.column("home_provider")[sender],
                        p.column("next_provider")[sender]).astype(np.int64)
    utc, offset = zones.place(ev["local"], p.column("zone")[sender].astype(np.int64))
    order = np.lexsort((sender, utc))
    currency_of = np.array([COUNTRIES[c].currency for c in COUNTRY_CODES], dtype=object)
    currency = currency_of[p.column("country")[sender]][order]
    written = (utc + offset)[order]
    eur = ev["eur"][order]
    unit = ev["round_unit"][order]
    rate = _rates(currency, written // DAY)
    value = eur * rate
    cents = np.round(np.where(unit > 0, np.maximum(np.round(value / np.where(unit > 0, unit, 1)),
                                                   1) * unit, value) * 100).astype(np.int64)
    provider = provider[order]
    ids = np.empty(len(order), dtype=object)
    id_rng = np.random.default_rng(w.rng.integers(1 << 32))
    for k, (prefix, digits) in enumerate(_ID_FORMATS):
        m = provider == k
        numbers = unique_numbers(id_rng, int(m.sum()), 10 ** digits)
        ids[m] = [f"{prefix}{x:0{digits}d}" for x in numbers]
    return Transfers(sender=sender[order], receiver=ev["receiver"][order], provider=provider,
                     transfer_id=pa.array(ids, type=pa.string()), written=written,
                     offset=offset[order], cents=cents, currency=currency,
                     message=ev["message"][order], number=ev["number"][order],
                     population=ev["population"][order])


def _rates(currency: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Units of each transfer's currency per EUR: ECB reference rate of its month (offline)."""
    from currency_converter import CurrencyConverter

    converter = CurrencyConverter(fallback_on_missing_rate=True, fallback_on_wrong_date=True)
    months = days.astype("datetime64[D]").astype("datetime64[M]")
    rate = np.ones(len(currency))
    for cur in np.unique(currency):
        if cur == "EUR":
            continue
        m = currency == cur
        for month in np.unique(months[m]):
            mid = date.fromisoformat(str(month) + "-01") + timedelta(days=14)
            rate[m & (months == month)] = converter.convert(1, "EUR", str(cur), date=mid)
    return rate


def _canonical_table(r: Renderer, t: Transfers, rows: np.ndarray) -> pa.Table:
    s, v, prov = t.sender[rows], t.receiver[rows], t.provider[rows]
    share = np.array([cal.SENDER_BIRTH_SHOWN[p] for p in cal.PROVIDERS])[prov]
    r_share = np.array([cal.RECEIVER_BIRTH_SHOWN[p] for p in cal.PROVIDERS])[prov]
    online = r.p["channel"][s] > 0
    date_iso = "%Y-%m-%d"
    columns = {
        "transfer_id": t.transfer_id.filter(pa.array(rows)),
        "sent_at": pc.binary_join_element_wise(
            time_text(t.written[rows], "%Y-%m-%dT%H:%M:%S"), offset_column(t.offset[rows]), ""),
        "amount": amount_text(t.cents[rows], "."),
        "currency": pa.array(t.currency[rows], type=pa.string()),
        "channel": r.channel(s),
        "provider": pa.array(np.array(cal.PROVIDERS, dtype=object)[prov], type=pa.string()),
        "sender_name": r.name(s, prov),
        "sender_birth_date": r.birth(s, date_iso, share),
        "sender_id_number": r.contact("id_number", s, 0.0),
        "sender_phone": pc.if_else(pa.array(prov == 0), r.phone(s, "e164", cal.PHONE_SHOWN),
                                   r.phone(s, "spaced", cal.PHONE_SHOWN)),
        "sender_email": r.contact("email", s, np.where(online, cal.EMAIL_SHOWN_ONLINE, 0.0)),
        "sender_address": r.contact("address", s, cal.ADDRESS_SHOWN),
        "sender_city": r.cities(s),
        "sender_country": r.country(s),
        "receiver_name": r.name(v, prov),
        "receiver_birth_date": r.birth(v, date_iso, r_share),
        "receiver_id_number": r.contact("id_number", v, np.where(prov == 1, 0.4, 0.0)),
        "receiver_phone": pc.if_else(pa.array(prov == 0), r.phone(v, "e164", 0.7),
                                     r.phone(v, "spaced", 0.7)),
        "receiver_city": r.cities(v),
        "receiver_country": r.country(v),
        "payout_location": r.shown(r.payout(v), 0.8),
        "message": r.message(t.message[rows], t.number[rows]),
    }
    return pa.table({c: columns[c] for c in CANONICAL_ORDER})


def _operator_table(r: Renderer, t: Transfers, rows: np.ndarray) -> pa.Table:
    s, v = t.sender[rows], t.receiver[rows]
    prov = t.provider[rows]
    online = r.p["channel"][s] > 0
    day_first = "%d/%m/%Y"
    columns = {
        "transfer_id": t.transfer_id.filter(pa.array(rows)),
        "sent_at": time_text(t.written[rows], f"{day_first} %H:%M:%S"),
        "amount": amount_text(t.cents[rows], ","),
        "currency": pa.array(t.currency[rows], type=pa.string()),
        "channel": r.channel(s),
        "sender_name": r.name(s, prov),
        "sender_birth_date": r.birth(s, day_first, cal.SENDER_BIRTH_SHOWN["Operator X"]),
        "sender_id_number": r.contact("id_number", s, 0.95),
        "sender_phone": r.phone(s, "national", cal.PHONE_SHOWN),
        "sender_email": r.contact("email", s, np.where(online, cal.EMAIL_SHOWN_ONLINE, 0.0)),
        "sender_address": r.contact("address", s, 0.95),
        "sender_city": r.cities(s),
        "sender_country": r.country(s),
        "receiver_name": r.name(v, prov),
        "receiver_birth_date": r.birth(v, day_first, cal.RECEIVER_BIRTH_SHOWN["Operator X"]),
        "receiver_phone": r.phone(v, "national", 0.8),
        "receiver_city": r.cities(v),
        "receiver_country": r.country(v),
        "payout_location": r.payout(v),
        "message": r.message(t.message[rows], t.number[rows]),
    }
    return pa.table({header: columns[c] for c, header in OPERATOR_COLUMNS.items()})


def _write_csv(path: Path, table: pa.Table, delimiter: str, encoding: str) -> None:
    """Unquoted CSV (no value holds a delimiter or quote: Arrow refuses to write one)."""
    buffer = io.BytesIO()
    buffer.write((delimiter.join(table.column_names) + "\n").encode("utf-8"))
    pacsv.write_csv(table, buffer, pacsv.WriteOptions(
        include_header=False, delimiter=delimiter, quoting_style="none"))
    data = buffer.getvalue()
    if encoding != "utf-8":
        data = data.decode("utf-8").encode(encoding)
    path.write_bytes(data)


def _mapping_toml() -> str:
    lines = ["# Operator X's own export, read with:",
             "#   filature ingest operator_export.csv --mapping operator_export.toml",
             "", "[format]", 'delimiter = ";"', 'decimal = ","',
             'datetime = "%d/%m/%Y %H:%M:%S"', 'date = "%d/%m/%Y"',
             'timezone = "Europe/Paris"', 'encoding = "cp1252"', "", "[columns]"]
    lines += [f'{c} = "{h}"' for c, h in OPERATOR_COLUMNS.items()]
    lines += ["", "[defaults]", f'provider = "{cal.PROVIDERS[2]}"', ""]
    return "\n".join(lines)


def _person_ids(values: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(
        pa.scalar("P"), pc.utf8_lpad(pa.array(values).cast(pa.string()), 7, "0"), "")


def _household_ids(values: np.ndarray) -> pa.Array:
    text = pc.binary_join_element_wise(
        pa.scalar("H"), pc.utf8_lpad(pa.array(values).cast(pa.string()), 6, "0"), "")
    return pc.if_else(pa.array(values < 0), pa.nulls(len(values), pa.string()), text)


def _write_truth(folder: Path, r: Renderer, t: Transfers, counts: dict[str, int], seed: int,
                 months: int) -> WorldSummary:
    """truth/transfers.csv and truth/people.csv; the summary of what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    person = r.p["person"]
    truth = pa.table({
        "provider": pa.array(np.array(cal.PROVIDERS, dtype=object)[t.provider],
                             type=pa.string()),
        "transfer_id": t.transfer_id,
        "sender_person_id": _person_ids(person[t.sender]),
        "receiver_person_id": _person_ids(person[t.receiver]),
        "household_id": _household_ids(r.p["household"][t.receiver]),
        "population": pa.array(np.array(POPULATIONS, dtype=object)[t.population],
                               type=pa.string()),
    })
    _write_csv(folder / "transfers.csv", truth, ",", "utf-8")
    _, first = np.unique(person, return_index=True)
    people = pa.table({
        "person_id": _person_ids(person[first]),
        "side": pa.array(np.array(SIDES, dtype=object)[r.p["side"][first]], type=pa.string()),
        "role": pa.array(np.array(ROLES, dtype=object)[r.p["role"][first]], type=pa.string()),
        "population": pa.array(np.array(POPULATIONS, dtype=object)[r.p["population"][first]],
                               type=pa.string()),
        "household_id": _household_ids(r.p["household"][first]),
        "name": r.canonical_name(first),
        "country": r.country(first),
    })
    _write_csv(folder / "people.csv", people, ",", "utf-8")
    role = r.p["role"]
    facilitator = role == ROLES.index("facilitator")
    sender_pop = r.p["population"][np.unique(t.sender)]
    return WorldSummary(
        out=str(folder.parent), seed=seed, months=months, transfers=len(t.sender),
        senders=int((r.p["side"] == 0).sum()), buyers=counts["buyer"],
        facilitator_households=len(np.unique(r.p["household"][facilitator])),
        facilitator_identities=int(facilitator.sum()),
        transfers_by_provider={p: int((t.provider == k).sum())
                               for k, p in enumerate(cal.PROVIDERS)},
        senders_by_population={p: int((sender_pop == k).sum())
                               for k, p in enumerate(POPULATIONS) if k < 7},
        transfers_by_population={p: int((t.population == k).sum())
                                 for k, p in enumerate(POPULATIONS) if k < 7},
    )
