"""Why two records were (or were not) linked: each compared field's match weight.

A Splink match weight is log2 of how much more likely the observed agreement is between
records of one person than between two random records; the link's weight is the prior plus
the sum of the fields' weights (a waterfall). The explanation uses the model saved with the
latest Splink run, so it shows the weights that actually made the link. When entities are
named, their most similar pair of records is explained.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import duckdb

from filature.errors import InputError, NotFound
from filature.resolve.judgements import records_of
from filature.resolve.linkage import score_records
from filature.resolve.people import latest_models
from filature.resolve.records import build_records

# Pairs of records scored at most when two entities are compared (their best pair is shown).
MAX_PAIRS = 25


@dataclass(frozen=True)
class FieldWeight:
    """One compared field: the values on each side, the level reached and its weight."""

    field: str
    level: str
    left: str
    right: str
    match_weight: float


@dataclass
class LinkExplanation:
    """The waterfall of one record pair."""

    left_record: str
    right_record: str
    prior_weight: float
    match_weight: float
    match_probability: float
    fields: list[FieldWeight] = field(default_factory=list)
    same_entity: bool = False


def _level_labels(model: dict[str, Any]) -> dict[str, dict[int, str]]:
    """gamma value -> level label, per comparison (null level -1, else level 0)."""
    labels: dict[str, dict[int, str]] = {}
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        named = [lv for lv in levels if not lv.get("is_null_level")]
        out = {-1: "missing on one side"}
        for i, level in enumerate(named):
            out[len(named) - 1 - i] = level.get("label_for_charts") or level["sql_condition"]
        labels[comparison["output_column_name"]] = out
    return labels


def _fields(row: dict[str, Any], model: dict[str, Any]) -> list[FieldWeight]:
    labels = _level_labels(model)
    out = []
    for name, by_gamma in labels.items():
        shown = "name_norm" if name == "name" else name
        weight = float(row.get(f"mw_{name}") or 0.0) + float(row.get(f"mw_tf_adj_{name}") or 0.0)
        gamma = int(row[f"gamma_{name}"])
        out.append(FieldWeight(name, by_gamma.get(gamma, str(gamma)),
                               "" if row.get(f"{shown}_l") is None else str(row[f"{shown}_l"]),
                               "" if row.get(f"{shown}_r") is None else str(row[f"{shown}_r"]),
                               round(weight, 2)))
    return out


def explain_link(con: duckdb.DuckDBPyConnection, a_ref: str, b_ref: str) -> LinkExplanation:
    """Explain the link between two records or entities of the same side."""
    models = latest_models(con)
    if models is None:
        raise NotFound("no Splink resolution has run yet: run `filature resolve` first")
    side_a, a_records = records_of(con, a_ref)
    side_b, b_records = records_of(con, b_ref)
    if side_a != side_b:
        raise InputError(f"{a_ref} and {b_ref} are not on the same side (sender / receiver)")
    model = models[side_a.name]
    table = f"resolve_explain_{side_a.name}"
    build_records(con, side_a, table)
    best: LinkExplanation | None = None
    try:
        for left, right in list(product(a_records, b_records))[:MAX_PAIRS]:
            if left == right:
                continue
            row = score_records(con, table, model, left, right)
            if best is None or row["match_weight"] > best.match_weight:
                prior = model["probability_two_random_records_match"]
                best = LinkExplanation(left, right, round(math.log2(prior / (1 - prior)), 2),
                                       round(float(row["match_weight"]), 2),
                                       float(row["match_probability"]), _fields(row, model))
    finally:
        con.execute(f"DROP TABLE IF EXISTS {table}")
    if best is None:
        raise InputError(f"{a_ref} and {b_ref} are the same record")
    entity = con.execute(
        "SELECT count(*) = 2 AND count(DISTINCT entity_id) = 1 FROM entity_records WHERE side = ? "
        "AND record_id IN (?, ?)", [side_a.name, best.left_record, best.right_record]).fetchall()
    best.same_entity = bool(entity[0][0])
    return best
