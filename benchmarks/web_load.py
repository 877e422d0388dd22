"""Load benchmark of the web app: p50/p95 latency of the queue and target pages.

    .venv/bin/python benchmarks/web_load.py --db benchmarks/out/screening/f.duckdb \
        --users 20 --requests 50

Starts `filature serve` on a loopback port against an existing store (for instance the one
`benchmarks/screening.py --transfers 1000000` leaves behind), then runs ``--users``
concurrent simulated users, each making ``--requests`` requests alternating between a queue
page (random page, filter or sort) and a target page (random target of the latest run).
Traffic goes to 127.0.0.1 only; the run is bounded in requests and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx

CLI = str(Path(sys.executable).with_name("filature"))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def target_ids(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [r[0] for r in con.execute(
            "SELECT sender_id FROM sender_scores WHERE run_id = (SELECT run_id FROM "
            "screening_runs WHERE status = 'done' ORDER BY started_at DESC LIMIT 1) "
            "ORDER BY rank LIMIT 2000").fetchall()]
    finally:
        con.close()


async def user(client: httpx.AsyncClient, ids: list[str], n: int, queue_path: str,
               target_path: str, timings: dict[str, list[float]], rng: random.Random) -> None:
    for i in range(n):
        if i % 2 == 0:
            kind = "queue"
            params = rng.choice([{"page": str(rng.randint(1, 50))}, {"country": "FR"},
                                 {"sort": "total_eur"}, {"min_score": "5"}])
            url = queue_path
        else:
            kind, params = "target", {}
            url = target_path.format(id=rng.choice(ids))
        started = time.perf_counter()
        response = await client.get(url, params=params)
        timings[kind].append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")


async def run(args: argparse.Namespace, ids: list[str]) -> dict[str, dict[str, float]]:
    timings: dict[str, list[float]] = {"queue": [], "target": []}
    rng = random.Random(args.seed)
    limits = httpx.Limits(max_connections=args.users)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{args.port}", timeout=30,
                                 limits=limits) as client:
        await client.get(args.queue_path)  # warm-up
        await asyncio.wait_for(asyncio.gather(*[
            user(client, ids, args.requests, args.queue_path, args.target_path, timings,
                 random.Random(rng.random())) for _ in range(args.users)]), timeout=600)
    return {kind: {"requests": len(v), "p50_ms": statistics.median(v),
                   "p95_ms": statistics.quantiles(v, n=20)[18], "max_ms": max(v)}
            for kind, v in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queue-path", default="/targets")
    parser.add_argument("--target-path", default="/targets/{id}")
    args = parser.parse_args()
    ids = target_ids(args.db)  # before the server opens the store: it then holds the lock
    server = subprocess.Popen([CLI, "--db", str(args.db), "serve", "--port", str(args.port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # The app prepares the latest run's page tables before it listens (a few seconds
        # for a million transfers): wait for it, up to two minutes.
        for _ in range(600):
            try:
                httpx.get(f"http://127.0.0.1:{args.port}/", timeout=30)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise SystemExit("the web app did not answer within two minutes")
        cpu_before, started = cpu_seconds(server.pid), time.perf_counter()
        results = asyncio.run(run(args, ids))
        elapsed = time.perf_counter() - started
        served = sum(r["requests"] for r in results.values())
        # Server CPU per request does not depend on what else the machine is running,
        # unlike the latencies: it says how many requests per second a core can serve.
        results["server"] = {"requests": served, "seconds": round(elapsed, 1),
                             "requests_per_s": round(served / elapsed, 1),
                             "cpu_ms_per_request": round(
                                 (cpu_seconds(server.pid) - cpu_before) * 1000 / served, 1),
                             "load_average_1m": os.getloadavg()[0]}
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(json.dumps(results, indent=1))
    print("\n| page | requests | p50 (ms) | p95 (ms) | max (ms) |\n|---|---:|---:|---:|---:|")
    for kind, r in results.items():
        if kind == "server":
            continue
        print(f"| {kind} | {r['requests']} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
              f"{r['max_ms']:.0f} |")


if __name__ == "__main__":
    main()
