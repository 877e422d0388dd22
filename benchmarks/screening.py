"""Benchmark of the screening spine: time and peak memory per stage, detection quality.

    .venv/bin/python benchmarks/screening.py --transfers 1000000
    .venv/bin/python benchmarks/screening.py --transfers 500000 --buyers 300
    .venv/bin/python benchmarks/screening.py --transfers 500000 --buyers 300 --seed 23 --stress

Generates a synthetic world, then runs each stage as the user would (the `filature` CLI,
one process per stage, so peak memory is measured per stage), times DuckDB merely loading
the same CSV for a ratio, and scores the resulting list against the world's truth next to
the plain red-flag rule baseline computed in the same run. Writes a JSON record to
benchmarks/out/ and prints a Markdown table for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (  # noqa: E402
    TRANSFERS_PER_SENDER,
    ingest_stages,
    machine,
    run_cli,
    run_cli_measured,
    synth_args,
    world_arguments,
)
from quality import evaluate_ranking, listed_ranking, load_truth  # noqa: E402

from filature.indicators import load_pack  # noqa: E402
from filature.scoring.baseline import rank_by_rules  # noqa: E402
from filature.store import open_store  # noqa: E402


def plain_duckdb_load(csv: Path, workdir: Path) -> float:
    """DuckDB merely loading the CSV into a table: the floor the ingest is compared with."""
    target = workdir / "plain.duckdb"
    target.unlink(missing_ok=True)
    started = time.perf_counter()
    con = duckdb.connect(str(target))
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(csv)])
    con.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    world_arguments(parser, "benchmarks/out/screening")
    parser.add_argument("--stress", action="store_true",
                        help="a world with other confounder shares (benchmarks/stress_world.py)")
    args = parser.parse_args()

    work = args.workdir
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    world, db = work / "world", work / "f.duckdb"
    senders = round(args.transfers / TRANSFERS_PER_SENDER)
    stages: dict[str, dict[str, float]] = {}

    if args.stress:
        stress = [sys.executable, str(Path(__file__).with_name("stress_world.py"))]
        t, rss = run_cli(synth_args(world, args.transfers, args.seed, args.buyers)[1:], stress)
    else:
        t, rss = run_cli(synth_args(world, args.transfers, args.seed, args.buyers))
    stages["synth (not counted)"] = {"seconds": t, "peak_rss_mb": rss}
    plain = plain_duckdb_load(world / "transfers.csv", work)
    pipeline = [
        *ingest_stages(world, db),
        ("screen", ["--db", str(db), "screen", "--capacity", str(args.capacity)]),
        ("export targets", ["--db", str(db), "targets", "-f", "csv", "-o",
                            str(work / "targets.csv")]),
        ("export facilitators", ["--db", str(db), "facilitators", "-f", "csv", "-o",
                                 str(work / "facilitators.csv")]),
    ]
    for name, cli_args in pipeline:
        t, rss, cpu = run_cli_measured(cli_args)
        stages[name] = {"seconds": t, "peak_rss_mb": rss, "cpu_seconds": cpu}
    total = sum(v["seconds"] for k, v in stages.items() if not k.startswith("synth"))
    total_cpu = sum(v.get("cpu_seconds", 0) for k, v in stages.items()
                    if not k.startswith("synth"))
    peak = max(v["peak_rss_mb"] for k, v in stages.items() if not k.startswith("synth"))

    con = open_store(db)
    n_transfers = int(con.execute("SELECT count(*) FROM transfers").fetchall()[0][0])
    load_truth(con, world / "truth")
    screening = evaluate_ranking(con, listed_ranking(con), args.capacity)
    baseline = evaluate_ranking(con, [r[0] for r in rank_by_rules(con, load_pack())],
                                args.capacity)
    record = {
        "transfers": n_transfers, "senders_generated": senders, "buyers": args.buyers,
        "seed": args.seed, "stress": args.stress, "machine": machine(), "stages": stages,
        "pipeline_seconds": total, "pipeline_cpu_seconds": total_cpu,
        "pipeline_peak_rss_mb": peak, "load_average": os.getloadavg(),
        "plain_duckdb_load_seconds": plain, "ratio_to_plain_load": total / plain,
        "screening": asdict(screening), "rule_baseline": asdict(baseline),
    }
    (work / "result.json").write_text(json.dumps(record, indent=1))

    print(f"\n## {n_transfers:,} transfers, {args.buyers} buyers, seed {args.seed}"
          f"{', stress world' if args.stress else ''}\n")
    print(f"Machine: {record['machine']}\n")
    print("| stage | seconds | CPU seconds | peak RSS (MB) |\n|---|---:|---:|---:|")
    for name, v in stages.items():
        cpu = f"{v['cpu_seconds']:.1f}" if "cpu_seconds" in v else ""
        print(f"| {name} | {v['seconds']:.1f} | {cpu} | {v['peak_rss_mb']:.0f} |")
    print(f"| **ingest + screen + export** | **{total:.1f}** | **{total_cpu:.1f}** | "
          f"**{peak:.0f}** |")
    print(f"\nLoad average at the end (1, 5, 15 min): {record['load_average']}")
    print(f"\nDuckDB merely loading transfers.csv: {plain:.1f} s; pipeline / plain load = "
          f"{total / plain:.1f}x\n")
    print(f"| list at K={args.capacity} | precision@K | recall@K | average precision | "
          "duplicates@K |\n|---|---:|---:|---:|---:|")
    for name, q in (("screening", screening), ("red-flag rule baseline", baseline)):
        print(f"| {name} | {q.precision_at_k:.3f} | {q.recall_at_k:.3f} | "
              f"{q.average_precision:.3f} | {q.duplicates_at_k} |")
    print(f"\n{screening.buyers} buyers with at least one transfer in the data.")


if __name__ == "__main__":
    main()
