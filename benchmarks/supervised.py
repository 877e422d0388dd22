"""Benchmark of the supervised model: does learning from case outcomes raise precision?

    .venv/bin/python benchmarks/supervised.py --transfers 500000 --buyers 300
    .venv/bin/python benchmarks/supervised.py --reuse --label-seeds 1 2 3

Generates a synthetic world (or reuses the one in --workdir), ingests and screens it as a
user would (the `filature` CLI, one process per stage), then plays the unit's case work:
``--confirmed`` buyers drawn among the world's buyers are "charged", and ``--cleared``
senders drawn among the top ``--cleared-from`` of the indicator list who are not buyers are
"cleared" (the false positives investigators reviewed). The learning stage fits on those
labels; the indicator-only ranking and the blended ranking are then scored against the
truth on the same world, **leaving out every person who was labelled** (scoring them would
be circular: the model was told who they are). Repeated for each label seed; the mean is
reported. Writes a JSON record to the workdir and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ingest_stages, machine, run_cli, synth_args, world_arguments  # noqa: E402
from quality import Quality, evaluate_ranking, load_truth  # noqa: E402

from filature.learning import learn_from_outcomes  # noqa: E402
from filature.scoring.run import latest_run_id  # noqa: E402
from filature.store import open_store  # noqa: E402


def build(work: Path, transfers: int, buyers: int, seed: int, capacity: int) -> dict:
    """Synthetic world, ingest, screen (indicator order, no labels): seconds per stage."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    world, db = work / "world", work / "f.duckdb"
    stages = {}
    for name, args in [
        ("synth", synth_args(world, transfers, seed, buyers)),
        *ingest_stages(world, db),
        ("screen", ["--db", str(db), "screen", "--capacity", str(capacity), "--no-labels"]),
    ]:
        stages[name] = run_cli(args)[0]
    return stages


def excluding(con, ranked: list[str], people: set[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """The ranking without any sender entity of the labelled people."""
    person = dict(con.execute("SELECT sender_id, person_id FROM entity_person").fetchall())
    return [s for s in ranked if person.get(s) not in people]


def quality_without(con, ranked: list[str], people: set[str], labelled_buyers: int,  # type: ignore[no-untyped-def]
                    k: int) -> Quality:
    """Precision/recall at k and AP over the unlabelled buyers only."""
    q = evaluate_ranking(con, excluding(con, ranked, people), k)
    left = q.buyers - labelled_buyers
    return Quality(k=k, precision_at_k=q.precision_at_k,
                   recall_at_k=q.recall_at_k * q.buyers / left,
                   average_precision=q.average_precision * q.buyers / left,
                   duplicates_at_k=q.duplicates_at_k, buyers=left)


def draw_labels(rows: list[tuple[str, str, str, int]], *, confirmed: int, cleared: int,
                cleared_from: int, confirmed_from: int, seed: int) -> list[tuple[str, int]]:
    """(sender_id, label): charged buyers and cleared non-buyers, one entity per person."""
    rng = random.Random(seed)
    buyers: dict[str, str] = {}
    for sender_id, person, role, rank in rows:   # rows in indicator order: first entity kept
        if role == "buyer" and (confirmed_from == 0 or rank <= confirmed_from):
            buyers.setdefault(person, sender_id)
    reviewed = [s for s, _, role, rank in rows if role != "buyer" and rank <= cleared_from]
    return ([(s, 1) for s in rng.sample(sorted(buyers.values()), confirmed)]
            + [(s, 0) for s in rng.sample(reviewed, cleared)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    world_arguments(parser, "benchmarks/out/supervised")
    parser.add_argument("--reuse", action="store_true",
                        help="Use the world and store already in --workdir.")
    parser.add_argument("--confirmed", type=int, default=30)
    parser.add_argument("--cleared", type=int, default=100)
    parser.add_argument("--cleared-from", type=int, default=600,
                        help="Cleared senders are drawn among this top of the indicator list.")
    parser.add_argument("--confirmed-from", type=int, default=0,
                        help="Confirmed buyers among this top of the list (0: any buyer).")
    parser.add_argument("--label-seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--pool", type=int, default=None,
                        help="Senders the model re-orders (default: 3 x capacity).")
    args = parser.parse_args()

    work = args.workdir
    stages = {} if args.reuse else build(work, args.transfers, args.buyers, args.seed,
                                         args.capacity)
    con = open_store(work / "f.duckdb")
    run_id = latest_run_id(con)
    load_truth(con, work / "world" / "truth")
    rows = con.execute(
        """SELECT s.sender_id, e.person_id, pp.role, s.rank FROM sender_scores s
           JOIN entity_person e USING (sender_id)
           JOIN truth_people pp ON pp.person_id = e.person_id
           WHERE s.run_id = ? ORDER BY s.rank""", [run_id]).fetchall()
    person = {s: p for s, p, _, _ in rows}
    indicator_order = [r[0] for r in con.execute(
        "SELECT sender_id FROM sender_scores WHERE run_id = ? ORDER BY rank", [run_id])
        .fetchall()]
    per_seed = []
    for label_seed in args.label_seeds:
        labels = draw_labels(rows, confirmed=args.confirmed, cleared=args.cleared,
                             cleared_from=args.cleared_from,
                             confirmed_from=args.confirmed_from, seed=label_seed)
        started = time.perf_counter()
        learnt = learn_from_outcomes(con, run_id, labels, capacity=args.capacity,
                                     reorder_targets=False, pool=args.pool)
        seconds = time.perf_counter() - started
        assert learnt.validation is not None, learnt.skipped
        blended = [r[0] for r in con.execute(
            "SELECT sender_id FROM supervised_scores WHERE run_id = ? ORDER BY rank",
            [run_id]).fetchall()]
        people = {person[s] for s, _ in labels}
        labelled_buyers = sum(y for _, y in labels)
        indicator = quality_without(con, indicator_order, people, labelled_buyers,
                                    args.capacity)
        supervised = quality_without(con, blended, people, labelled_buyers, args.capacity)
        per_seed.append({"label_seed": label_seed, "fit_seconds": seconds,
                         "validation": learnt.validation.as_dict(),
                         "indicator": indicator.__dict__, "supervised": supervised.__dict__})
        print(f"seed {label_seed}: indicator P@K {indicator.precision_at_k:.3f} AP "
              f"{indicator.average_precision:.3f} | supervised P@K "
              f"{supervised.precision_at_k:.3f} AP {supervised.average_precision:.3f} "
              f"({seconds:.1f} s)", file=sys.stderr)

    def mean(kind: str, figure: str) -> float:
        return statistics.mean(s[kind][figure] for s in per_seed)

    n_transfers = int(con.execute("SELECT count(*) FROM transfers").fetchall()[0][0])
    record = {"transfers": n_transfers, "buyers": args.buyers, "seed": args.seed,
              "capacity": args.capacity, "confirmed": args.confirmed,
              "cleared": args.cleared, "cleared_from": args.cleared_from,
              "confirmed_from": args.confirmed_from, "pool": learnt.pool, "run_id": run_id,
              "machine": machine(), "stages": stages, "per_seed": per_seed}
    (work / "result.json").write_text(json.dumps(record, indent=1, default=str))

    k = args.capacity
    print(f"\n{n_transfers:,} transfers, {args.buyers} buyers (world seed {args.seed}); "
          f"labels: {args.confirmed} confirmed buyers "
          f"({'any buyer' if not args.confirmed_from else f'top {args.confirmed_from}'}), "
          f"{args.cleared} cleared among the top {args.cleared_from}; pool {learnt.pool}; "
          "label seeds "
          f"{', '.join(map(str, args.label_seeds))}; labelled people left out.\n")
    print(f"| ranking | precision@{k} | recall@{k} | average precision |\n|---|---:|---:|---:|")
    for kind, name in (("indicator", "indicator score only"),
                       ("supervised", "supervised blend")):
        print(f"| {name} (mean) | {mean(kind, 'precision_at_k'):.3f} | "
              f"{mean(kind, 'recall_at_k'):.3f} | {mean(kind, 'average_precision'):.3f} |")
    print("\n| label seed | indicator P@K | blend P@K | indicator AP | blend AP | "
          "CV AUC (model / score) | CV Brier |\n|---|---:|---:|---:|---:|---:|---:|")
    for s in per_seed:
        v = s["validation"]
        print(f"| {s['label_seed']} | {s['indicator']['precision_at_k']:.3f} | "
              f"{s['supervised']['precision_at_k']:.3f} | "
              f"{s['indicator']['average_precision']:.3f} | "
              f"{s['supervised']['average_precision']:.3f} | {v['auc']:.3f} / "
              f"{v['indicator_auc']:.3f} | {v['brier']:.3f} |")


if __name__ == "__main__":
    main()
