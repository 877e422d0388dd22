"""A target (sender) and a facilitator (receiver) as their pages show them.

Every query reads the run's page tables (``prepare``), sorted by party, so one party's
rows come from a few row groups whatever the size of the store.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import lru_cache
from typing import Any

import duckdb

from filature.errors import NotFound
from filature.indicators.pack import load_pack
from filature.network.follow import household_receivers
from filature.resolve.stable_ids import current_entity_id
from filature.web.gazetteer import locate
from filature.web.services import record, records
from filature.web.services.prepare import DB
from filature.web.services.sender_rows import SenderSource

MAX_TRANSFERS = 1000   # rows in a page's transfer table; the count says when there are more
OTHER_PAYERS = 8       # other payers drawn per beneficiary in the network, the likeliest first


@lru_cache(maxsize=1)
def night_hours() -> tuple[int, int]:
    """The pack's night (local hours, start inclusive, end exclusive), e.g. (22, 6)."""
    start, end = load_pack().parameters.night_hours
    return int(start), int(end)


def is_night(hour: int) -> bool:
    """True when a local hour falls in the pack's night (which may wrap past midnight)."""
    start, end = night_hours()
    return (hour >= start or hour < end) if start > end else (start <= hour < end)


def contributions(breakdown: str | None) -> list[dict[str, Any]]:
    """The score's parts as stored by the run: label_fr/en, source, points, detail_fr/en."""
    return list(json.loads(breakdown)) if breakdown else []


def _scored(cur: duckdb.DuckDBPyConnection, table: str, key: str, party_id: str,
            what: str) -> dict[str, Any]:
    """A party's row of the prepared run tables, with the contributions to its score."""
    row = record(cur, f"SELECT * FROM {DB}.{table} WHERE {key} = ?",  # noqa: S608
                 [party_id])
    return _with_contributions(row, what, party_id)


def target(source: SenderSource, sender_id: str) -> dict[str, Any]:
    """The queue row of a sender, with the contributions to his score."""
    return _with_contributions(source.target_row(sender_id), "sender", sender_id)


def _with_contributions(row: dict[str, Any] | None, what: str,
                        party_id: str) -> dict[str, Any]:
    """``row`` with its breakdown read into ``contributions``; a party without one is not
    in the run."""
    if row is None:
        raise NotFound(f"no {what} {party_id!r} in the latest screening run")
    row["contributions"] = contributions(row.pop("breakdown"))
    return row


def merged_into(cur: duckdb.DuckDBPyConnection, sender_id: str) -> str | None:
    """The sender id in use now for one a later resolution merged away (a link kept in a
    case, a referral or a bookmark), or None when ``sender_id`` was never merged."""
    current = current_entity_id(cur, sender_id)
    return current if current != sender_id else None


# What a party's identity page lists: (heading key, value expression, only rows where).
RECEIVER_IDENTITY = (
    ("names", "receiver_name", "true"),
    ("birth_dates", "CAST(receiver_birth_date AS VARCHAR)", "receiver_birth_date IS NOT NULL"),
    ("phones", "coalesce(receiver_phone_e164, receiver_phone)", "receiver_phone IS NOT NULL"),
    ("id_numbers", "receiver_id_number", "receiver_id_number IS NOT NULL"),
    ("operators", "provider || coalesce(' (' || payout_location || ')', '')", "true"),
)


def _identities(cur: duckdb.DuckDBPyConnection, table: str, key: str, party_id: str,
                parts: tuple[tuple[str, str, str], ...]) -> dict[str, list]:
    # A receiver can have tens of thousands of inflows: counted in SQL, not fetched.
    """Each identity element seen for one party and how often, in one query."""
    branches = " UNION ALL ".join(
        f"SELECT '{kind}' AS kind, {value} AS value, count(*) AS n FROM mine "  # noqa: S608
        f"WHERE {where} GROUP BY ALL" for kind, value, where in parts)
    rows = records(cur, f"""WITH mine AS (
            SELECT * FROM {DB}.{table} WHERE {key} = ?)
        {branches} ORDER BY kind, n DESC, value""", [party_id])  # noqa: S608
    found: dict[str, list] = {kind: [] for kind, _, _ in parts}
    for row in rows:
        found[row["kind"]].append(row)
    return found


def sender_transfers(source: SenderSource, sender_id: str) -> list[dict[str, Any]]:
    """All the sender's transfers, oldest first, each marked when sent at night (local time),
    with the identity he gave on each.

    The rows are read as stored and finished here (order, phone, place, night): for the few
    rows of one sender, DuckDB's sort and expressions cost more than the reading itself."""
    rows = source.transfer_rows(sender_id)
    for tx in rows:
        e164, raw = tx.pop("sender_phone_e164"), tx.pop("sender_phone")
        tx["phone"] = e164 if e164 is not None else raw
        city, country = tx.pop("sender_city"), tx.pop("sender_country")
        tx["place"] = ", ".join(part for part in (city, country) if part is not None)
        tx["night"] = tx["sent_local"] is not None and is_night(tx["sent_local"].hour)
    # The operator last: a transfer id is unique only within its operator.
    rows.sort(key=lambda tx: (tx["sent_at"], tx["transfer_id"], tx["provider"]))
    return rows


def sender_identities(transfers: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Every name, birth date, phone, email, ID number, operator and place the sender gave,
    with how often, and the cities his money went to (transfers and EUR per city).

    Counted here rather than in SQL: one sender's transfers are already fetched for the
    page (hundreds at most), and seven more queries would cost more than the counting.
    """
    columns = {"names": "sender_name", "birth_dates": "sender_birth_date", "phones": "phone",
               "emails": "sender_email", "id_numbers": "sender_id_number", "places": "place"}
    seen: dict[str, Counter[Any]] = {key: Counter() for key in [*columns, "operators"]}
    cities: dict[tuple[str | None, str | None], list[float]] = {}
    for tx in transfers:
        for key, column in columns.items():
            if tx[column] not in (None, ""):
                seen[key][tx[column]] += 1
        seen["operators"][tx["provider"] + (f" ({tx['channel']})" if tx["channel"] else "")] += 1
        count_eur = cities.setdefault((tx["receiver_city"], tx["receiver_country"]), [0, 0.0])
        count_eur[0] += 1
        count_eur[1] += tx["amount_eur"]
    found: dict[str, list[dict[str, Any]]] = {
        key: [{"value": v, "n": n} for v, n in counter.most_common()]
        for key, counter in seen.items()}
    found["cities"] = placed([{"city": city, "country": country, "transfers": int(c),
                               "total_eur": e} for (city, country), (c, e) in cities.items()])
    return found


def placed(cities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Payout cities (city, country, transfers, total_eur), most transfers first, each with
    its label (``place``) and its coordinates where the shipped gazetteer knows the city."""
    for c in cities:
        c["place"] = f"{c['city'] or '?'}, {c['country']}"
        c["lat"], c["lon"] = locate(c["city"], c["country"]) or (None, None)
    return sorted(cities, key=lambda c: (-c["transfers"], c["place"]))


def beneficiaries(source: SenderSource, sender_id: str) -> list[dict[str, Any]]:
    """Who the sender paid, with each receiver's facilitator score, likeliest first.

    Each row also carries the receiver's likeliest payers (``top_payers``) and how many it
    has (``payer_count``), which the network drawing needs.
    """
    rows = source.link_rows(sender_id)
    # Sorted here, as in ``sender_transfers``: score first (unscored last), then euros,
    # then the receiver's id, so that ties come in the same order from either source.
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), -(r["total_eur"] or 0),
                             r["receiver_id"]))
    return rows


def network(sender_id: str, name: str, receivers: list[dict[str, Any]]) -> dict[str, Any]:
    """Two hops: the buyer, his receivers, and their other payers (the likeliest first).

    Returns ``other_payers`` per receiver (for the table) and Cytoscape ``elements``.
    """
    by_receiver: dict[str, list[dict[str, Any]]] = {}
    for r in receivers:
        others = [dict(o) for o in r["top_payers"] if o["sender_id"] != sender_id]
        for o in others[:OTHER_PAYERS]:
            o["of_total"] = r["payer_count"] - 1
        by_receiver[r["receiver_id"]] = others[:OTHER_PAYERS]
    elements: list[dict[str, Any]] = [{"data": {"id": f"s:{sender_id}", "kind": "buyer",
                                                "label": name, "href": ""}}]
    seen = {f"s:{sender_id}"}
    for r in receivers:
        rid = f"r:{r['receiver_id']}"
        elements.append({"data": {"id": rid, "kind": "receiver",
                                  "label": f"{r['name']} ({(r['score'] or 0):.2f})",
                                  "href": f"/facilitators/{r['receiver_id']}",
                                  "score": r["score"] or 0}})
        elements.append({"data": {"id": f"e:{sender_id}>{r['receiver_id']}",
                                  "source": f"s:{sender_id}", "target": rid,
                                  "weight": r["transfers"]}})
        for o in by_receiver[r["receiver_id"]]:
            sid = f"s:{o['sender_id']}"
            if sid not in seen:
                seen.add(sid)
                elements.append({"data": {"id": sid, "kind": "target" if o["is_target"]
                                          else "payer",
                                          "label": f"{o['name']} ({(o['score'] or 0):.1f})",
                                          "href": f"/targets/{o['sender_id']}"}})
            elements.append({"data": {"id": f"e:{o['sender_id']}>{r['receiver_id']}",
                                      "source": sid, "target": rid, "weight": o["transfers"]}})
    return {"other_payers": by_receiver, "elements": elements}


def facilitator(cur: duckdb.DuckDBPyConnection, receiver_id: str) -> dict[str, Any]:
    """A receiving identity's scores and counts, with the contributions to its score."""
    return _scored(cur, "receivers", "receiver_id", receiver_id, "receiving identity")


def receiver_identities(cur: duckdb.DuckDBPyConnection, receiver_id: str) -> dict[str, list]:
    """Names, birth dates, phones, ID numbers and payout places seen for the identity."""
    return _identities(cur, "receiver_tx", "receiver_id", receiver_id, RECEIVER_IDENTITY)


def household(cur: duckdb.DuckDBPyConnection, receiver_id: str) -> list[dict[str, Any]]:
    """The other receiving identities of the same household, with why they are tied."""
    found = [(rid, why) for rid, why in household_receivers(cur, [receiver_id])
             if rid != receiver_id]
    if not found:
        return []
    rows = records(cur, f"""SELECT receiver_id, name, city, score, payers FROM {DB}.receivers
        WHERE list_contains(?, receiver_id)""", [[rid for rid, _ in found]])  # noqa: S608
    by_id = {r["receiver_id"]: r for r in rows}
    return sorted(({**by_id.get(rid, {"receiver_id": rid, "name": rid, "city": None,
                                      "score": None, "payers": None}), "why": why}
                   for rid, why in found), key=lambda r: -(r["score"] or 0))


def payers(cur: duckdb.DuckDBPyConnection, receiver_id: str) -> list[dict[str, Any]]:
    """Every payer of the identity, ranked by his own score (the likeliest buyers first)."""
    return records(cur, f"""SELECT sender_id, transfers, total_eur, sender_name AS name,
            sender_country AS country, sender_score AS score, sender_rank AS rank, is_target,
            top_fr, top_en
        FROM {DB}.links_by_receiver WHERE receiver_id = ?
        ORDER BY sender_score DESC NULLS LAST, total_eur DESC""", [receiver_id])  # noqa: S608


def inflow_places(cur: duckdb.DuckDBPyConnection, receiver_id: str) -> dict[str, list]:
    """Where the money was paid out (cities) and where it came from (payer countries)."""
    return {
        "cities": placed(records(cur, f"""SELECT receiver_city AS city,
                receiver_country AS country, count(*) AS transfers, sum(amount_eur) AS total_eur
            FROM {DB}.receiver_tx WHERE receiver_id = ? GROUP BY ALL""",  # noqa: S608
                                 [receiver_id])),
        "countries": records(cur, f"""SELECT sender_country AS country, count(*) AS transfers,
                count(DISTINCT sender_id) AS payers, sum(amount_eur) AS total_eur
            FROM {DB}.receiver_tx WHERE receiver_id = ? GROUP BY ALL
            ORDER BY transfers DESC""", [receiver_id]),  # noqa: S608
    }
