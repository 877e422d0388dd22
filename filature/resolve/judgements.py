"""Analyst judgements: "same person" / "not the same", who decided, when and why.

A judgement is kept against record signatures (content hashes), not against entity ids,
so it survives renumbering, new loads and a change of threshold. When the analyst names an
entity, the judgement stands for the records the entity held at that moment. Every later
run applies the judgements before the model: "same" joins the records whatever the score,
"different" forbids any chain of links that would put the two sides in one entity.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from filature.errors import InputError, NotFound
from filature.resolve.records import SIDES, Side, side_of_reference, signature_sql
from filature.resolve.stable_ids import current_entity_id

VERDICTS = ("same", "different")


@dataclass(frozen=True)
class Judgement:
    """One recorded decision, as the CLI reports it back."""

    judgement_id: str
    side: str
    verdict: str
    a_ref: str
    b_ref: str
    decided_by: str
    decided_at: datetime
    reason: str
    a_records: int
    b_records: int


def records_of(con: duckdb.DuckDBPyConnection, reference: str) -> tuple[Side, list[str]]:
    """The record signatures a reference stands for: itself, or an entity's current records
    (an entity id merged away by a later run stands for the entity that took it over)."""
    side = side_of_reference(reference)
    if reference.startswith(side.record_prefix):
        cols = f"{signature_sql(side)} AS record_id"
        found = con.execute(f"SELECT 1 FROM (SELECT {cols} FROM transfers t) "
                            "WHERE record_id = ? LIMIT 1", [reference]).fetchall()
        if not found:
            raise NotFound(f"no {side.name} record {reference} in the transfers")
        return side, [reference]
    current = current_entity_id(con, reference)   # an id merged away names its heir
    rows = con.execute("SELECT record_id FROM entity_records WHERE side = ? AND entity_id = ? "
                       "ORDER BY record_id", [side.name, current]).fetchall()
    if not rows:
        raise NotFound(f"no {side.name} entity {reference} (run `filature resolve` first)")
    return side, [r[0] for r in rows]


def record_judgement(con: duckdb.DuckDBPyConnection, verdict: str, a_ref: str, b_ref: str, *,
                     by: str, why: str, when: datetime | None = None) -> Judgement:
    """Store a judgement; it takes effect on the next resolution run."""
    if verdict not in VERDICTS:
        raise InputError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    if not by.strip() or not why.strip():
        raise InputError("a judgement needs who decided (--by) and why (--why)")
    side_a, a_records = records_of(con, a_ref)
    side_b, b_records = records_of(con, b_ref)
    if side_a != side_b:
        raise InputError(f"{a_ref} and {b_ref} are not on the same side (sender / receiver)")
    if verdict == "different" and set(a_records) & set(b_records):
        raise InputError(f"{a_ref} and {b_ref} share records; name the records to split")
    judgement_id = f"J-{uuid.uuid4().hex[:12]}"
    decided_at = when or datetime.now(UTC)
    con.execute("INSERT INTO resolution_judgements VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [judgement_id, side_a.name, verdict, a_ref, b_ref, by.strip(), decided_at,
                 why.strip()])
    con.executemany("INSERT OR IGNORE INTO resolution_judgement_records VALUES (?, ?, ?)",
                    [(judgement_id, "a", r) for r in a_records]
                    + [(judgement_id, "b", r) for r in b_records])
    return Judgement(judgement_id, side_a.name, verdict, a_ref, b_ref, by.strip(), decided_at,
                     why.strip(), len(a_records), len(b_records))


@dataclass
class Constraints:
    """The judgements of one side, ready for clustering."""

    must_link: list[tuple[str, str]]
    # judgement id -> (records of part a, records of part b) that must stay apart
    cannot_link: dict[str, tuple[set[str], set[str]]]


def constraints(con: duckdb.DuckDBPyConnection, side: Side) -> Constraints:
    """Every judgement of ``side``, oldest first."""
    if side.name not in SIDES:
        raise InputError(f"unknown side {side.name}")
    rows = con.execute(
        """SELECT j.judgement_id, j.verdict, r.part, r.record_id
           FROM resolution_judgements j JOIN resolution_judgement_records r USING (judgement_id)
           WHERE j.side = ? ORDER BY j.decided_at, j.judgement_id, r.part, r.record_id""",
        [side.name]).fetchall()
    parts: dict[str, dict[str, list[str]]] = {}
    verdicts: dict[str, str] = {}
    for jid, verdict, part, record in rows:
        verdicts[jid] = verdict
        parts.setdefault(jid, {"a": [], "b": []})[part].append(record)
    must: list[tuple[str, str]] = []
    cannot: dict[str, tuple[set[str], set[str]]] = {}
    for jid, verdict in verdicts.items():
        a, b = parts[jid]["a"], parts[jid]["b"]
        if verdict == "same":
            chain = a + b
            must.extend(zip(chain, chain[1:], strict=False))
        else:
            cannot[jid] = (set(a), set(b))
    return Constraints(must, cannot)
