"""Following the money from the browser: the form's filters, the drawing and the downloads.

The work is ``filature.network.follow`` (the same as ``filature follow``); this module reads
the form's text into its filters with clear errors, turns a result into Cytoscape elements
that look like the target page's network, and writes the CSV, JSON and GraphML downloads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from filature.errors import InputError
from filature.network.follow import (
    MAX_HOPS,
    FollowFilters,
    FollowResult,
    follow_bytes,
    parse_day,
)
from filature.web.services import records

DRAWN_NODES = 300   # parties drawn in the graph, the best ranked; the table and files have all
SHOWN_ROWS = 500    # rows per side in the page's table
EXPORTS = {"csv": "text/csv", "json": "application/json", "graphml": "application/xml"}
FILTER_FIELDS = ("date_from", "date_to", "min_eur", "max_eur", "corridor", "min_score")


def _number(value: str | None, column: str) -> float | None:
    text = (value or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError as e:
        raise InputError(f"{value!r} is not a number", column=column) from e


def parse_hops(value: str | None, default: int = 2) -> int:
    """The hops asked for, between 1 and ``MAX_HOPS``."""
    text = (value or "").strip()
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= MAX_HOPS:
        raise InputError(f"hops must be a whole number from 1 to {MAX_HOPS}", column="hops")
    return int(text)


def parse_filters(form: Mapping[str, str]) -> FollowFilters:
    """The filters of the form (every field optional), checked as ``filature follow`` does."""
    filters = FollowFilters(
        date_from=parse_day(form.get("date_from"), "date_from"),
        date_to=parse_day(form.get("date_to"), "date_to"),
        min_eur=_number(form.get("min_eur"), "min_eur"),
        max_eur=_number(form.get("max_eur"), "max_eur"),
        corridor=(form.get("corridor") or "").strip() or None,
        min_facilitator_score=_number(form.get("min_score"), "min_score"))
    filters.corridor_countries()  # a malformed corridor is refused here, before any SQL
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise InputError("the first day is after the last day", column="date_from")
    if filters.min_eur is not None and filters.max_eur is not None \
            and filters.min_eur > filters.max_eur:
        raise InputError("the minimum amount is above the maximum", column="min_eur")
    return filters


def _targets(cur: duckdb.DuckDBPyConnection, run_id: str | None,
             sender_ids: list[str]) -> set[str]:
    """The senders among ``sender_ids`` retained as targets by the run."""
    if run_id is None or not sender_ids:
        return set()
    rows = records(cur, "SELECT target_id FROM targets WHERE run_id = ? "
                        "AND list_contains(?, target_id)", [run_id, sender_ids])
    return {r["target_id"] for r in rows}


@dataclass
class FollowView:
    """A followed network as a page shows it: ranked tables, graph elements, counts."""

    result: FollowResult
    payers: list[dict[str, Any]]
    receivers: list[dict[str, Any]]
    elements: list[dict[str, Any]]
    drawn: int
    cut: bool


def follow_view(cur: duckdb.DuckDBPyConnection, result: FollowResult) -> FollowView:
    """The result with each sender marked when a target, and its Cytoscape elements: the
    seeds ringed, senders that are targets in yellow, receivers as red squares (the target
    page's colours); only the ``DRAWN_NODES`` best ranked parties are drawn."""
    payers = [dict(n) for n in result.payers()]
    targets = _targets(cur, result.run_id, [n["party_id"] for n in payers])
    for n in payers:
        n["is_target"] = n["party_id"] in targets
    receivers = [dict(n) for n in result.receivers()]
    ranked = sorted(payers + receivers, key=lambda n: (n["hop"] > 0, n["rank"]))
    drawn = {(n["side"], n["party_id"]) for n in ranked[:DRAWN_NODES]}
    elements: list[dict[str, Any]] = []
    for n in ranked[:DRAWN_NODES]:
        sender = n["side"] == "sender"
        if sender:
            kind = "buyer" if n["hop"] == 0 else "target" if n["is_target"] else "payer"
            score = f"{n['score']:.1f}" if n["score"] is not None else "–"
        else:
            kind, score = "receiver", f"{(n['score'] or 0):.2f}"
        prefix = "s" if sender else "r"
        elements.append({"data": {
            "id": f"{prefix}:{n['party_id']}", "kind": kind, "seed": n["hop"] == 0,
            "label": f"{n['name'] or n['party_id']} ({score})",
            "href": f"/targets/{n['party_id']}" if sender else f"/facilitators/{n['party_id']}"}})
    for e in result.edges:
        if ("sender", e["sender_id"]) in drawn and ("receiver", e["receiver_id"]) in drawn:
            elements.append({"data": {"id": f"e:{e['sender_id']}>{e['receiver_id']}",
                                      "source": f"s:{e['sender_id']}",
                                      "target": f"r:{e['receiver_id']}",
                                      "weight": e["transfers"]}})
    return FollowView(result, payers[:SHOWN_ROWS], receivers[:SHOWN_ROWS], elements,
                      len(drawn), len(result.nodes) > DRAWN_NODES)


def export_follow(result: FollowResult, fmt: str) -> bytes:
    """The network as ``filature follow --format FMT`` writes it, as bytes to download."""
    if fmt not in EXPORTS:
        raise InputError(f"unknown format '{fmt}': choose csv, json or graphml",
                         column="format")
    return follow_bytes(result, fmt)
