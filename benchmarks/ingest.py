"""Benchmark of the ingest: both files of a synthetic world, a re-run, and what was stored.

    .venv/bin/python benchmarks/ingest.py --transfers 1000000 --buyers 600
    .venv/bin/python benchmarks/ingest.py --world benchmarks/out/screening-1m/world

Loads the world's two files as a user would (one CLI process each, peak memory per process),
loads transfers.csv a second time (it must add nothing), times DuckDB merely loading the same
CSV for a ratio, and prints fingerprints of what the store holds: an ordered hash of every
column of ``transfers`` (in the store's row order) and of ``quarantine``, so two revisions
of the ingest can be shown to store the same rows and values.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ingest_stages, machine, run_cli, synth_args  # noqa: E402
from screening import plain_duckdb_load  # noqa: E402

from filature.store import open_store  # noqa: E402

# One md5 over every row's text, in the table's own order (rowid), so that a change of
# value, of row or of row order changes it.
FINGERPRINTS = {
    "transfers": "SELECT count(*), md5(string_agg(t::VARCHAR, '\n' ORDER BY rowid)) "
                 "FROM transfers t",
    "quarantine": "SELECT count(*), md5(string_agg(q::VARCHAR, '\n' ORDER BY rowid)) "
                  "FROM quarantine q",
    "conflicts": "SELECT count(*), md5(string_agg(c::VARCHAR, '\n' ORDER BY rowid)) "
                 "FROM conflicts c",
    "phone_numbers": "SELECT count(*), md5(string_agg(p::VARCHAR, '\n' ORDER BY raw, country)) "
                     "FROM phone_numbers p",
    "fx_rates": "SELECT count(*), md5(string_agg(f::VARCHAR, '\n' ORDER BY currency, rate_date)) "
                "FROM fx_rates f",
}


def fingerprints(db: Path) -> dict[str, list[object]]:
    """(rows, md5) of each ingest table of the store at ``db``."""
    con = open_store(db)
    try:
        return {name: list(con.execute(sql).fetchall()[0]) for name, sql in FINGERPRINTS.items()}
    finally:
        con.close()


def children_cpu() -> float:
    """User + system seconds of the finished child processes (and of theirs: the phone
    workers). Less swayed than wall time by other jobs on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, help="an existing world (transfers.csv, "
                        "operator_export.csv and .toml); generated when absent")
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--buyers", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("benchmarks/out/ingest"))
    args = parser.parse_args()

    work = args.workdir
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    world, db = args.world or work / "world", work / "f.duckdb"
    if args.world is None:
        run_cli(synth_args(world, args.transfers, args.seed, args.buyers))
    loads = [os.getloadavg()]
    plain = plain_duckdb_load(world / "transfers.csv", work)
    stages = ingest_stages(world, db)
    stages.append(("ingest transfers.csv again", stages[0][1]))
    timings: dict[str, dict[str, float]] = {}
    for name, cli_args in stages:
        before = children_cpu()
        t, rss = run_cli(cli_args)
        timings[name] = {"seconds": t, "cpu_seconds": children_cpu() - before,
                         "peak_rss_mb": rss}
        loads.append(os.getloadavg())
    prints = fingerprints(db)
    both = sum(timings[name]["seconds"] for name, _ in stages[:2])
    record = {"world": str(world), "machine": machine(), "stages": timings,
              "ingest_seconds": both, "plain_duckdb_load_seconds": plain,
              "ratio_to_plain_load": timings[stages[0][0]]["seconds"] / plain,
              "load_average_1min": [round(a[0], 2) for a in loads],
              "fingerprints": prints}
    (work / "result.json").write_text(json.dumps(record, indent=1))

    print(f"\n## Ingest of {world}\n\nMachine: {record['machine']}\n")
    print("| stage | seconds | CPU seconds | peak RSS (MB) |\n|---|---:|---:|---:|")
    for name, v in timings.items():
        print(f"| {name} | {v['seconds']:.1f} | {v['cpu_seconds']:.1f} | "
              f"{v['peak_rss_mb']:.0f} |")
    print(f"| **both files** | **{both:.1f}** | | |")
    print(f"\nDuckDB merely loading transfers.csv: {plain:.1f} s; ingest of transfers.csv / "
          f"plain load = {record['ratio_to_plain_load']:.1f}x. 1-minute load average before "
          f"and after each step: {record['load_average_1min']}\n")
    for name, (rows, digest) in prints.items():
        print(f"{name}: {rows:,} rows, md5 {digest}")


if __name__ == "__main__":
    main()
