"""The resolution model's name comparison, reused to weigh a referral name against a party's.

When the latest Splink resolution saved its sender and receiver models, a referral name and
a party name are compared the way resolution compared two records: the pair falls into the
first of the model's name levels whose SQL holds (exact on the sorted tokens, one typo or
swapped order, compound name or initials, similar names, else), and takes that level's match
weight, ``log2(m / u)``. The exact level is term-frequency adjusted as in Splink: its weight
becomes ``log2(m / tf)``, with ``tf`` the share of the side's party records bearing that
name, so a common name counts for less than a rare one.

The weight becomes the hit's confidence through the model's own prior (the probability that
two random records are the same person, ``lambda``): ``p = 1 / (1 + 2^-(w + log2(lambda /
(1 - lambda))))``, the probability Splink would give the pair on the name alone, mapped
linearly into ``NAME_CONFIDENCE`` (low + (high - low) * p). The mapping is monotone in the
weight and stays within the name range, so an identifier still outranks a name alone. Only
levels with a positive weight (the model holds them for evidence of the same person) make
a hit; levels the model left without an m or u probability make none.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import duckdb

from filature.referrals.normalise import name_norm
from filature.resolve.records import SIDES, signature_sql

# The record columns a name level may read; a model whose name levels read others (an older
# comparison) is not used, and matching falls back to Jaro-Winkler.
_NAME_COLUMNS = {"name_norm", "name_sorted", "name_tokens", "initials"}
_COLUMN = re.compile(r"\b([a-z_]+)_[lr]\b")


@dataclass(frozen=True)
class NameLevel:
    """One level of a model's name comparison: its SQL, label and fitted probabilities."""

    number: int
    sql_condition: str
    label: str
    m: float | None
    u: float | None
    tf_adjusted: bool

    @property
    def weight(self) -> float | None:
        """``log2(m / u)``, or None when the model did not estimate both."""
        if not self.m or not self.u:
            return None
        return math.log2(self.m / self.u)


@dataclass(frozen=True)
class NameModel:
    """A side's name levels, in the model's order, and its prior match probability."""

    side: str
    levels: list[NameLevel]
    prior: float

    @property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1 - self.prior))


def _name_model(side: str, model: dict[str, Any]) -> NameModel | None:
    comparison = next((c for c in model.get("comparisons", [])
                       if c.get("output_column_name") == "name"), None)
    prior = model.get("probability_two_random_records_match")
    if comparison is None or not prior or not 0 < prior < 1:
        return None
    levels = []
    for number, level in enumerate(comparison["comparison_levels"], start=1):
        sql = level["sql_condition"]
        if sql != "ELSE" and not set(_COLUMN.findall(sql)) <= _NAME_COLUMNS:
            return None
        levels.append(NameLevel(number, sql, level.get("label_for_charts") or sql,
                                level.get("m_probability"), level.get("u_probability"),
                                bool(level.get("tf_adjustment_column"))))
    return NameModel(side, levels, float(prior))


def saved_name_models(con: duckdb.DuckDBPyConnection) -> dict[str, NameModel] | None:
    """Both sides' name comparisons from the latest Splink run, or None (no saved model, or
    one whose name levels this module cannot evaluate)."""
    # Imported here: the resolution module loads Splink, which plain matching does not need.
    from filature.resolve.people import latest_models

    models = latest_models(con)
    if not models:
        return None
    found = {side: _name_model(side, models[side]) for side in SIDES if side in models}
    if len(found) != len(SIDES) or any(m is None for m in found.values()):
        return None
    return {side: m for side, m in found.items() if m is not None}


def _level_case(model: NameModel) -> str:
    """The level number of a pair: the model's own SQL conditions (Splink's, as saved with
    the run, over the name columns only), first that holds, as Splink evaluates them."""
    whens = " ".join(f"WHEN {lv.sql_condition} THEN {lv.number}"
                     for lv in model.levels if lv.sql_condition != "ELSE")
    last = next((lv.number for lv in model.levels if lv.sql_condition == "ELSE"), "NULL")
    return f"CASE {whens} ELSE {last} END"


def weigh_name_pairs(con: duckdb.DuckDBPyConnection, models: dict[str, NameModel],
                     pairs: str, out: str) -> None:
    """Put each pair of ``pairs`` (a table with ``side``, ``value``: the subject's sorted
    name, ``shown``: as written, ``name``: the party's name) in its model level; ``out`` is
    ``pairs`` plus ``label``, ``weight`` (TF-adjusted) and ``probability``."""
    con.execute("CREATE OR REPLACE TEMP TABLE ref_name_forms (shown VARCHAR, name_norm VARCHAR)")
    shown = [r[0] for r in con.execute(f"SELECT DISTINCT shown FROM {pairs}").fetchall()]
    if shown:
        con.executemany("INSERT INTO ref_name_forms VALUES (?, ?)",
                        [(s, name_norm(s)) for s in shown])
    con.execute("CREATE OR REPLACE TEMP TABLE ref_name_levels (side VARCHAR, number INTEGER, "
                "label VARCHAR, weight DOUBLE, u DOUBLE, tf_adjusted BOOLEAN, prior DOUBLE)")
    con.executemany("INSERT INTO ref_name_levels VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(m.side, lv.number, lv.label, lv.weight, lv.u, lv.tf_adjusted,
                      m.prior_weight) for m in models.values() for lv in m.levels])
    cases = " ".join(f"WHEN '{side}' THEN {_level_case(m)}" for side, m in models.items())
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE ref_name_leveled AS
        WITH forms AS (
            SELECT p.*, f.name_norm AS name_norm_l, p.value AS name_sorted_l,
                   string_split(p.value, ' ') AS name_tokens_l,
                   array_to_string(list_sort(list_transform(string_split(p.value, ' '),
                                                            lambda x: x[1])), '') AS initials_l,
                   p.name AS name_norm_r,
                   list_sort(list_filter(string_split(p.name, ' '), lambda x: x <> ''))
                       AS name_tokens_r
            FROM {pairs} p JOIN ref_name_forms f USING (shown)
        ), both_forms AS (
            SELECT *, array_to_string(name_tokens_r, ' ') AS name_sorted_r,
                   array_to_string(list_sort(list_transform(name_tokens_r, lambda x: x[1])),
                                   '') AS initials_r
            FROM forms
        )
        SELECT *, CASE side {cases} END AS level_no FROM both_forms""")
    _term_frequencies(con)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {out} AS
        WITH weighed AS (
            SELECT p.*, lv.label,
                   lv.weight + CASE WHEN lv.tf_adjusted
                                    THEN coalesce(log2(lv.u / tf.tf), 0) ELSE 0 END AS weight,
                   lv.prior
            FROM ref_name_leveled p
            JOIN ref_name_levels lv ON lv.side = p.side AND lv.number = p.level_no
            LEFT JOIN ref_name_tf tf ON tf.side = p.side AND tf.name_sorted = p.name_sorted_r
        )
        SELECT * EXCLUDE (prior), 1 / (1 + pow(2, -(weight + prior))) AS probability
        FROM weighed""")


def _term_frequencies(con: duckdb.DuckDBPyConnection) -> None:
    """``ref_name_tf(side, name_sorted, tf)``: the share of the side's party records (distinct
    profiles, as resolution counts them) bearing each name met at a TF-adjusted level.

    The records are counted in the entity map of the latest Splink run (``entity_records``),
    so that only the transfers bearing those names are read; records loaded since that run
    are not in the total, which moves a weight by log2 of the growth at most.
    """
    parts = []
    for side in SIDES.values():
        name = side.columns["name_norm"]
        parts.append(
            f"""SELECT '{side.name}' AS side, w.name_sorted, {signature_sql(side)} AS record
                FROM transfers t JOIN wanted w ON w.side = '{side.name}'
                 AND w.name_sorted = array_to_string(list_sort(list_filter(
                         string_split(t.{name}, ' '), lambda x: x <> '')), ' ')""")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE ref_name_tf AS
        WITH wanted AS (
            SELECT DISTINCT p.side, p.name_sorted_r AS name_sorted FROM ref_name_leveled p
            JOIN ref_name_levels lv ON lv.side = p.side AND lv.number = p.level_no
            WHERE lv.tf_adjusted
        ), records AS ({' UNION ALL '.join(parts)}), totals AS (
            SELECT side, count(*) AS n FROM entity_records GROUP BY side
        )
        SELECT r.side, r.name_sorted, count(DISTINCT r.record) / any_value(t.n) AS tf
        FROM records r JOIN totals t USING (side)
        GROUP BY r.side, r.name_sorted""")
