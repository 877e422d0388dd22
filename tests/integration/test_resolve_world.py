"""Splink resolution on a small synthetic world, through the command line as a user runs it:
accuracy against the truth, judgements and explanations by CLI, scoring on the result."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from filature.cli import app
from filature.store import open_store

pytestmark = pytest.mark.slow
runner = CliRunner()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@dataclass(frozen=True)
class Resolved:
    world: Path
    db: str


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> Resolved:
    root = tmp_path_factory.mktemp("resolve-world")
    world, db = root / "world", str(root / "f.duckdb")
    _ok("synth", str(world), "--senders", "2500", "--buyers", "20", "--seed", "13")
    _ok("--db", db, "ingest", str(world / "transfers.csv"))
    _ok("--db", db, "ingest", str(world / "operator_export.csv"),
        "--mapping", str(world / "operator_export.toml"))
    out = _ok("--db", db, "resolve", "--threshold", "0.95")
    assert "splink" in out
    return Resolved(world, db)


def test_senders_are_resolved_better_than_by_exact_keys(resolved):
    from filature.resolve.evaluate import evaluate
    from filature.resolve.exact import resolve_exact

    con = open_store(resolved.db)
    splink = evaluate(con, resolved.world / "truth" / "transfers.csv")
    assert splink["sender"].bcubed_f1 >= 0.97
    assert splink["sender"].pairwise_precision >= 0.97
    assert splink["receiver"].bcubed_precision >= 0.9
    con.execute("CREATE TEMP TABLE kept AS SELECT * FROM transfer_parties")
    resolve_exact(con)
    exact = evaluate(con, resolved.world / "truth" / "transfers.csv")
    assert splink["sender"].bcubed_f1 > exact["sender"].bcubed_f1
    # Put the Splink parties back for the other tests of this module.
    con.execute("DELETE FROM transfer_parties")
    con.execute("INSERT INTO transfer_parties SELECT * FROM kept")
    con.close()


def test_cli_judgement_splits_an_entity_and_explain_shows_weights(resolved):
    con = open_store(resolved.db)
    entity, first, second = con.execute(
        """SELECT entity_id, min(record_id), max(record_id) FROM entity_records
           WHERE side = 'sender' GROUP BY entity_id HAVING count(*) >= 2
           ORDER BY entity_id LIMIT 1""").fetchall()[0]
    con.close()
    shown = _ok("--db", resolved.db, "explain-link", first, second)
    assert "phone" in shown and "name" in shown and "prior" in shown
    _ok("--db", resolved.db, "judge", "different", first, second, "--by", "analyst.leroy",
        "--why", "two brothers on one account")
    _ok("--db", resolved.db, "resolve")
    con = open_store(resolved.db)
    placed = dict(con.execute("SELECT record_id, entity_id FROM entity_records "
                              "WHERE record_id IN (?, ?)", [first, second]).fetchall())
    con.close()
    assert placed[first] != placed[second]
    assert entity in placed.values()        # one side keeps the id the analyst knew


def test_judging_an_unknown_entity_is_refused(resolved):
    from filature.errors import NotFound

    result = runner.invoke(app, ["--db", resolved.db, "judge", "same", "SE-nope", "SE-nada",
                                 "--by", "x", "--why", "y"])
    assert result.exit_code != 0
    assert isinstance(result.exception, NotFound) and "SE-nope" in str(result.exception)


def test_scoring_runs_on_splink_parties(resolved):
    from filature.scoring.run import run_screening

    con = open_store(resolved.db)
    report = run_screening(con, capacity=30)
    targets = con.execute("SELECT target_id FROM targets WHERE run_id = ?",
                          [report.run_id]).fetchall()
    parameters = con.execute("SELECT parameters->>'$.resolution.method' FROM screening_runs "
                             "WHERE run_id = ?", [report.run_id]).fetchall()[0][0]
    con.close()
    assert targets and len({t[0] for t in targets}) == len(targets)
    assert parameters == "splink"
