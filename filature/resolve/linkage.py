"""Splink on the store's DuckDB connection: fit a side's model without labels, score pairs.

Training is unsupervised: the prior match rate from near-certain rules, u probabilities
from random pairs, m probabilities by expectation maximisation on blocked pairs. The fitted
model is a JSON document saved with the resolution run, so a run can be reproduced and any
link explained later with exactly the weights that made it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
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

# Splink writes each of its steps as a table of the connection's current database: in the
# store's file, millions of candidate pairs were written to disk only to be dropped. This
# database in memory, beside the store, takes them instead (a fifth less time to score the
# pairs of 1M transfers); the tables Splink reads (the records) stay where they are. Some
# of Splink's tables have fixed names: two fits at once each get a database of their own.
WORK_DB = "splink_work"


def _attach_work(con: duckdb.DuckDBPyConnection, db: str = WORK_DB) -> None:
    con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {db}")


@contextmanager
def _in_work_db(con: duckdb.DuckDBPyConnection, db: str = WORK_DB) -> Iterator[None]:
    """Make the in-memory database ``db`` the connection's current database for the block."""
    previous = con.execute("SELECT current_database()").fetchall()[0][0]
    _attach_work(con, db)
    con.execute(f"USE {db}")
    try:
        yield
    finally:
        con.execute(f"USE {_quoted(previous)}")


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _linker(con: duckdb.DuckDBPyConnection, table: str, model: Any) -> Linker:
    db_api = DuckDBAPI(connection=con)
    records = db_api.register(table)
    return Linker(records, model, log_level=None)


def fit_models(con: duckdb.DuckDBPyConnection, tables: list[tuple[Side, str]], *,
               seed: int = 7) -> dict[str, dict[str, Any]]:
    """Estimate each side's model on its records table ((side, table) pairs); side name ->
    model.

    The sides are fitted at the same time, each on a cursor of its own: Splink runs
    hundreds of small statements and spends much of a fit in Python, so one fit leaves a
    core idle (two fits took 6.5 s instead of 11.4 at 1M transfers, in a throw-away timing).
    A cursor does not see the connection's temporary tables, so each side's training
    records are first copied into an in-memory database of the side, which every cursor
    sees.

    The same records give the same model: the training records are those of smallest hash
    (not the first rows met), kept in signature order for Splink's seeded samples."""
    samples: list[tuple[Side, str]] = []
    for side, table in tables:
        sample = f"{table}_train"
        _attach_work(con, _fit_db(side))
        con.execute(
            f"""CREATE OR REPLACE TABLE {_fit_db(side)}.{sample} AS
                SELECT * FROM (SELECT * FROM {table} ORDER BY hash(unique_id, {int(seed)})
                               LIMIT {TRAINING_RECORDS})
                ORDER BY unique_id""")
        samples.append((side, sample))
    try:
        with ThreadPoolExecutor(max_workers=max(len(samples), 1),
                                thread_name_prefix="splink-fit") as pool:
            futures = {side.name: pool.submit(_fit_sample, con, side, sample, seed)
                       for side, sample in samples}
            return {name: future.result() for name, future in futures.items()}
    finally:
        for side, sample in samples:
            con.execute(f"DROP TABLE IF EXISTS {_fit_db(side)}.{sample}")


def _fit_db(side: Side) -> str:
    return f"{WORK_DB}_{side.name}"


def _fit_sample(con: duckdb.DuckDBPyConnection, side: Side, sample: str,
                seed: int) -> dict[str, Any]:
    """Fit the side's model on the training records ``sample`` of its work database, on a
    cursor of its own."""
    cursor = con.cursor()
    try:
        with _in_work_db(cursor, _fit_db(side)):
            linker = _linker(cursor, sample, splink_settings.settings(side))
            linker.training.estimate_probability_two_random_records_match(
                splink_settings.deterministic_rules(side), recall=0.7)
            linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS,
                                                             seed=seed)
            for rule in splink_settings.training_rules(side):
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True)
            model: dict[str, Any] = linker.misc.save_model_to_json()
            linker.table_management.delete_tables_created_by_splink_from_db()
    except duckdb.Error as e:
        raise StoreError(f"fitting the {side.name} model failed: {e}") from e
    finally:
        cursor.close()
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
        with _in_work_db(con):
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
    for name, record in (("resolve_left", left), ("resolve_right", right)):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS "
                    f"SELECT * FROM {table} WHERE unique_id = ?", [record])
    with _in_work_db(con):
        db_api = DuckDBAPI(connection=con)
        linker = Linker(db_api.register(table), model, log_level=None)
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
