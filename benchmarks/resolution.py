"""Benchmark of entity resolution: time, peak memory and accuracy against the synthetic truth.

    .venv/bin/python benchmarks/resolution.py --transfers 500000 --screen
    .venv/bin/python benchmarks/resolution.py --transfers 1000000 --no-baseline --again

Generates a synthetic world and ingests it (not timed; --reuse keeps them), then runs
`filature resolve` as a user would, in its own process so that its wall time and peak
memory (RSS) are its own, and scores the result against the world's truth: pairwise
precision and recall and B-cubed F1, for senders and for receiving identities. The
exact-key baseline is scored the same way unless --no-baseline. Writes
benchmarks/out/resolution-N.json and prints a Markdown table for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ingest_stages, run_cli, synth_args  # noqa: E402

from filature.resolve.evaluate import buyers_listed_twice, evaluate  # noqa: E402
from filature.store import open_store  # noqa: E402


def prepare(workdir: Path, transfers: int, seed: int, reuse: bool) -> tuple[Path, Path, int]:
    """A world of about ``transfers`` transfers, ingested into a store by the CLI (each step
    in its own process: a child starts with its parent's peak memory, so the parent stays
    small). With ``reuse``, an existing store is kept and only its resolution is forgotten,
    fitted models included, so that the timed run fits them as a first run does."""
    world, db = workdir / "world", workdir / "filature.duckdb"
    if not (reuse and db.exists()):
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        run_cli(synth_args(world, transfers, seed))
        for _, args in ingest_stages(world, db):
            run_cli(args)
    con = open_store(db)
    for table in ("entity_records", "entity_aliases", "receiver_households", "transfer_parties",
                  "resolution_runs"):
        con.execute(f"DELETE FROM {table}")  # noqa: S608  (constant table names)
    n = int(con.execute("SELECT count(*) FROM transfers").fetchall()[0][0])
    con.close()
    return world, db, n


def scored(db: Path, truth: Path) -> dict[str, dict[str, float | int | str]]:
    con = open_store(db)
    try:
        return {side: s.as_dict() for side, s in evaluate(con, truth).items()}
    finally:
        con.close()


def screened_twice(db: Path, truth: Path) -> dict[str, int]:
    """Screen on this resolution (in this process: after the timed step) and list the true
    buyers that appear more than once in the top 300 targets."""
    from filature.scoring.run import run_screening

    con = open_store(db)
    try:
        run = run_screening(con, capacity=300)
        return buyers_listed_twice(con, truth, run.run_id, top=300)
    finally:
        con.close()


def steps(db: Path) -> dict[str, float]:
    """Seconds per step of the latest Splink run, as the run recorded them."""
    con = open_store(db)
    try:
        rows = con.execute("SELECT parameters->'$.timings' FROM resolution_runs "
                           "WHERE method = 'splink' ORDER BY started_at DESC LIMIT 1").fetchall()
    finally:
        con.close()
    return json.loads(rows[0][0]) if rows and rows[0][0] else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--no-baseline", action="store_true", help="skip the exact-key run")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--screen", action="store_true",
                        help="also screen and count buyers listed twice in the top 300")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the world and store of a previous run of this size")
    parser.add_argument("--again", action="store_true",
                        help="resolve a second time, as after a new load: the fitted models "
                        "are reused")
    args = parser.parse_args()
    workdir = args.workdir or Path(f"benchmarks/out/resolution-{args.transfers}")
    world, db, n = prepare(workdir, args.transfers, args.seed, args.reuse)
    truth = world / "truth" / "transfers.csv"
    runs: dict[str, dict[str, Any]] = {}
    methods = ["splink"] + ([] if args.no_baseline else ["exact"])
    for method in methods:
        cmd = ["--db", str(db), "resolve", "--method", method]
        if args.threshold is not None and method == "splink":
            cmd += ["--threshold", str(args.threshold)]
        wall, rss = run_cli(cmd)
        runs[method] = {"wall_s": round(wall, 1), "peak_rss_mb": round(rss),
                        "scores": scored(db, truth)}
        if method == "splink":
            runs[method]["steps_s"] = steps(db)
        if args.again and method == "splink":
            wall, rss = run_cli(cmd)
            runs["splink, model reused"] = {"wall_s": round(wall, 1), "peak_rss_mb": round(rss),
                                            "scores": scored(db, truth), "steps_s": steps(db)}
        if args.screen:
            runs[method]["buyers_listed_twice_top300"] = screened_twice(db, truth)
    record = {"transfers": n, "seed": args.seed, "threshold": args.threshold,
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "python": platform.python_version()}, "runs": runs}
    out = Path("benchmarks/out") / f"resolution-{args.transfers}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2))
    print(f"{n:,} transfers, {os.cpu_count()} cores ({out})\n")
    print("| method | wall s | peak MB | side | entities / persons | pairwise P | pairwise R "
          "| B-cubed F1 |")
    print("|---|---|---|---|---|---|---|---|")
    for method, run in runs.items():
        for side, s in run["scores"].items():
            print(f"| {method} | {run['wall_s']} | {run['peak_rss_mb']} | {side} | "
                  f"{s['entities']:,} / {s['persons']:,} | {s['pairwise_precision']:.4f} | "
                  f"{s['pairwise_recall']:.4f} | {s['bcubed_f1']:.4f} |")
        if run.get("steps_s"):
            print(f"\n{method}, seconds per step: " + ", ".join(
                f"{stage} {sec}" for stage, sec in run["steps_s"].items()))
        if "buyers_listed_twice_top300" in run:
            print(f"\n{method}: buyers listed twice in the top 300 targets: "
                  f"{len(run['buyers_listed_twice_top300'])}")


if __name__ == "__main__":
    main()
