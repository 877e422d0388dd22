"""The README's command line, run as a user would, on a small synthetic world."""

import csv
import json

from typer.testing import CliRunner

from filature.cli import app

runner = CliRunner()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_synth_ingest_screen_export(tmp_path):
    world, db = tmp_path / "data", str(tmp_path / "f.duckdb")
    _ok("synth", str(world), "--senders", "1500", "--buyers", "12", "--seed", "3")
    _ok("--db", db, "ingest", str(world / "transfers.csv"))
    _ok("--db", db, "ingest", str(world / "operator_export.csv"),
        "--mapping", str(world / "operator_export.toml"))
    _ok("--db", db, "screen", "--capacity", "20")
    _ok("--db", db, "targets", "--format", "csv", "--out", str(tmp_path / "t.csv"))
    _ok("--db", db, "facilitators", "--format", "json", "--out", str(tmp_path / "f.json"))
    _ok("--db", db, "summary", "--out", str(tmp_path / "s.html"))

    with open(tmp_path / "t.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert 0 < len(rows) <= 20
    assert [int(r["rank"]) for r in rows] == sorted(int(r["rank"]) for r in rows)
    assert set(rows[0]) >= {"rank", "target_id", "score", "name", "names_seen", "country",
                            "transfer_count", "total_eur", "first_seen", "last_seen",
                            "top_indicators", "receivers", "transfer_ids"}
    facilitators = json.loads((tmp_path / "f.json").read_text())
    assert all(f["score"] >= 0.5 for f in facilitators)
    html = (tmp_path / "s.html").read_text()
    assert rows[0]["name"] in html and "http" not in html.split("<body>")[1]


def test_loading_the_same_file_twice_adds_nothing(tmp_path):
    world, db = tmp_path / "data", str(tmp_path / "f.duckdb")
    _ok("synth", str(world), "--senders", "300", "--seed", "4")
    _ok("--db", db, "ingest", str(world / "transfers.csv"))
    second = _ok("--db", db, "ingest", str(world / "transfers.csv"))
    assert " 0 added" in second


def test_an_error_is_one_line_and_a_failing_exit(tmp_path):
    import subprocess
    import sys

    from filature.cli import main

    result = subprocess.run(
        [sys.executable, "-c", "from filature.cli import main; main()",
         "--db", str(tmp_path / "empty.duckdb"), "targets"],
        capture_output=True, text=True)
    assert result.returncode == 1
    assert "filature screen" in result.stderr
    assert "Traceback" not in result.stderr
    assert main  # the entry point exists
