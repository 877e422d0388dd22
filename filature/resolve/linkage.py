"""Splink on the store's DuckDB connection: fit a side's model without labels, score pairs.

Training is unsupervised: the prior match rate from near-certain rules, u probabilities
from random pairs, m probabilities by expectation maximisation on blocked pairs. The fitted
model is a JSON document saved with the resolution run, so a run can be reproduced and any
link explained later with exactly the weights that made it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import duckdb
from splink import Linker
from splink.backends.duckdb import DuckDBAPI

from filature.errors import StoreError
from filature.resolve import splink_settings
from filature.resolve.records import Side

# Random pairs used to estimate u: enough for stable rare-level estimates, bounded in time.
U_SAMPLE_PAIRS = 1_000_000
# EM is fitted on at most this many records; the parameters do not need every record.
TRAINING_RECORDS = 100_000

logging.getLogger("splink").setLevel(logging.ERROR)


def _linker(con: duckdb.DuckDBPyConnection, table: str, model: Any) -> Linker:
    db_api = DuckDBAPI(connection=con)
    records = db_api.register(table)
    return Linker(records, model, log_level=None)


def fit_model(con: duckdb.DuckDBPyConnection, side: Side, table: str, *,
              seed: int = 7) -> dict[str, Any]:
    """Estimate the side's model on ``table`` (records) and return it as a JSON-able dict.

    The same records give the same model: the training records are those of smallest hash
    (not the first rows met, whose order the store does not promise), stored in signature
    order, and Splink's own random samples are drawn with insertion order kept."""
    kept = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("SET preserve_insertion_order = true")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table}_train AS
            SELECT * FROM (SELECT * FROM {table} ORDER BY hash(unique_id, {int(seed)})
                           LIMIT {TRAINING_RECORDS})
            ORDER BY unique_id"""
    )
    try:
        linker = _linker(con, f"{table}_train", splink_settings.settings(side))
        linker.training.estimate_probability_two_random_records_match(
            splink_settings.deterministic_rules(side), recall=0.7)
        linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=seed)
        for rule in splink_settings.training_rules(side):
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True)
        model: dict[str, Any] = linker.misc.save_model_to_json()
        linker.table_management.delete_tables_created_by_splink_from_db()
    except duckdb.Error as e:
        raise StoreError(f"fitting the {side.name} model failed: {e}") from e
    finally:
        con.execute(f"DROP TABLE IF EXISTS {table}_train")
        con.execute(f"SET preserve_insertion_order = {'true' if kept else 'false'}")
    return json.loads(json.dumps(model, default=str))


def predict_links(con: duckdb.DuckDBPyConnection, table: str, model: dict[str, Any],
                  out: str, *, threshold: float) -> int:
    """Write the scored pairs of ``table`` at or above ``threshold`` into temp table ``out``
    (columns: unique_id_l, unique_id_r, match_probability, match_weight).

    Scored without the per-field columns the model keeps for explanations (``score_records``
    computes them for the one pair asked about): carrying them through millions of pairs
    cost about a third of the scoring's CPU at 1M transfers."""
    lean = {**model, "retain_intermediate_calculation_columns": False,
            "retain_matching_columns": False}
    try:
        linker = _linker(con, table, lean)
        predictions = linker.inference.predict(threshold_match_probability=threshold)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {out} AS
                SELECT unique_id_l, unique_id_r, match_probability, match_weight
                FROM {predictions.physical_name}"""
        )
        linker.table_management.delete_tables_created_by_splink_from_db()
    except duckdb.Error as e:
        raise StoreError(f"scoring the pairs of {table} failed: {e}") from e
    rows = con.execute(f"SELECT count(*) FROM {out}").fetchall()
    return int(rows[0][0])


def score_records(con: duckdb.DuckDBPyConnection, table: str, model: dict[str, Any],
                  left: str, right: str) -> dict[str, Any]:
    """Score one pair of records with ``model``: the full Splink row (gamma, bf, tf columns)."""
    db_api = DuckDBAPI(connection=con)
    linker = Linker(db_api.register(table), model, log_level=None)
    for name, record in (("resolve_left", left), ("resolve_right", right)):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS "
                    f"SELECT * FROM {table} WHERE unique_id = ?", [record])
    scored = linker.inference.score_pair(db_api.register("resolve_left"),
                                         db_api.register("resolve_right"))
    result: dict[str, Any] = scored.as_record_list()[0]
    linker.table_management.delete_tables_created_by_splink_from_db()
    for name in ("resolve_left", "resolve_right"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return result


def _shape(model: dict[str, Any]) -> list[Any]:
    """What a model compares and blocks on, without its fitted parameters."""
    rules = [r["blocking_rule"] if isinstance(r, dict) else str(r)
             for r in model["blocking_rules_to_generate_predictions"]]
    levels = [[(lv["sql_condition"], lv.get("tf_adjustment_column"))
               for lv in c["comparison_levels"]] for c in model["comparisons"]]
    return [rules, levels]


def fits_settings(model: dict[str, Any], side: Side) -> bool:
    """True when ``model`` was fitted with the side's current comparisons and blocking
    rules, so that its parameters can be reused."""
    untrained = splink_settings.settings(side).create_settings_dict("duckdb")
    try:
        return _shape(model) == _shape(untrained)
    except (KeyError, TypeError):
        return False
