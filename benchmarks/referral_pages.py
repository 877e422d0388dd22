"""Latency of the referral and follow-the-money pages on a screened store, signed in.

    nice -n 10 .venv/bin/python benchmarks/referral_pages.py \
        --db benchmarks/out/web-1000000/filature.duckdb --repeat 3

Copies the store into ``--workdir`` (the original is left as it is), takes the first
facilitator of the latest screening run and writes a referral naming her in capitals (the
way a partner writes names), then, in process with the test client and a throw-away case
database: uploads the referral through the page (validation, storage, matching), and times
``--repeat`` requests of the referral page (hits, network, ranked related senders), of the
follow page from her receiver id (2 hops, and 2 hops with a minimum facilitator score of
0.5), and of a download of the followed network as GraphML. Prints a Markdown table of the
medians and writes ``referral-pages.json`` in the workdir.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import machine  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _top_facilitator(db: Path) -> tuple[str, str, int]:
    """(receiver id, name, transfers) of the first facilitator of the latest run."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            """SELECT receiver_id, name, (SELECT count(*) FROM transfer_parties p
                                         WHERE p.receiver_id = f.receiver_id)
               FROM facilitators f WHERE run_id = (SELECT run_id FROM screening_runs
                   WHERE status = 'done' ORDER BY started_at DESC LIMIT 1)
               ORDER BY rank LIMIT 1""").fetchone()
        transfers = con.execute("SELECT count(*) FROM transfers").fetchone()
    finally:
        con.close()
    if row is None or transfers is None:
        raise SystemExit(f"{db} has no screened facilitator: run `filature screen` first")
    return str(row[0]), str(row[1]), int(transfers[0])


def _timed(client: Any, url: str, repeat: int) -> tuple[float, int]:
    """Median seconds of ``repeat`` GETs of ``url`` (each must answer 200), and the size."""
    times, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.text[:300]}")
        size = len(response.content)
    return statistics.median(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a screened store")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from filature.cases.audit import SYSTEM
    from filature.cases.users import add_user
    from filature.settings import Settings
    from filature.web import create_app

    work = args.workdir or Path(tempfile.mkdtemp(prefix="referral-pages-"))
    work.mkdir(parents=True, exist_ok=True)
    store = work / "filature.duckdb"
    shutil.copyfile(args.db, store)
    receiver_id, name, transfers = _top_facilitator(store)
    referral = {"referral_id": "BENCH-1", "source": "benchmark",
                "subjects": [{"role": "suspected_facilitator", "names": [name.upper()]}]}
    settings = Settings(cases_url=f"sqlite:///{work / 'cases.sqlite'}",  # type: ignore[call-arg]
                        evidence_dir=work / "evidence", secret_key="bench",
                        secure_cookies=False)
    app = create_app(store, settings)
    figures: dict[str, Any] = {"transfers": transfers, "facilitator": receiver_id,
                               "repeat": args.repeat, "machine": machine()}
    with TestClient(app) as client:
        with app.state.cases.database.session() as session:
            _, password = add_user(session, SYSTEM, "bench", role="analyst",
                                   display_name="Bench", password="correct horse battery")
        token = CSRF.search(client.get("/login").text)[1]  # type: ignore[index]
        client.post("/login", data={"username": "bench", "password": "correct horse battery",
                                    "csrf_token": token})
        token = CSRF.search(client.get("/referrals").text)[1]  # type: ignore[index]
        started = time.perf_counter()
        upload = client.post("/referrals", data={"csrf_token": token}, files={
            "file": ("bench.json", json.dumps(referral).encode(), "application/json")})
        figures["upload_s"] = time.perf_counter() - started
        if upload.status_code != 200:
            raise SystemExit(f"upload: {upload.status_code} {upload.text[:300]}")
        pages = {
            "referral page": "/referrals/BENCH-1",
            "follow, 2 hops": f"/follow?seed={receiver_id}&hops=2",
            "follow, 2 hops, min score 0.5": f"/follow?seed={receiver_id}&hops=2&min_score=0.5",
            "network as GraphML": "/referrals/BENCH-1/network?format=graphml",
        }
        figures["pages"] = {}
        for label, url in pages.items():
            seconds, size = _timed(client, url, args.repeat)
            figures["pages"][label] = {"median_s": round(seconds, 3), "bytes": size}
    (work / "referral-pages.json").write_text(json.dumps(figures, indent=1) + "\n")
    print(f"{transfers:,} transfers; facilitator {receiver_id}; median of {args.repeat}\n")
    print("| request | median (s) | size (kB) |\n|---|---:|---:|")
    print(f"| upload and match the referral | {figures['upload_s']:.2f} | |")
    for label, figure in figures["pages"].items():
        print(f"| {label} | {figure['median_s']:.2f} | {figure['bytes'] / 1000:.0f} |")
    print(f"\n{figures['machine']}")


if __name__ == "__main__":
    main()
