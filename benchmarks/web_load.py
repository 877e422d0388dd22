"""Load benchmark of the web app: p50/p95 latency of the queue and target pages, signed in.

    .venv/bin/python benchmarks/web_load.py --transfers 1000000 --reuse
    .venv/bin/python benchmarks/web_load.py --transfers 50000 --users 5 --requests 10
    .venv/bin/python benchmarks/web_load.py --transfers 1000000 --reuse --workers 2

Builds a store from a synthetic world as a user would (`filature synth`, `ingest` of both
files, `screen`: one CLI process per stage, in ``--workdir``; ``--reuse`` keeps a store
already screened there), then starts `filature serve` (``--workers`` processes, 1 by
default) on a loopback port with a throw-away case database
(``FILATURE_CASES_URL=sqlite:///...``), creates an analyst with
`filature users add`, signs in once to replace the temporary password, and runs ``--users``
simulated users. All sign in together like browsers (GET /login, the form's CSRF token,
POST /login: a session cookie each); then each makes ``--requests`` requests, with no pause
between them, alternating between a queue page (random page, country, score band, status,
indicator or sort) and the page of a random target taken across the whole ranked list.
That is the headline load; ``--think S`` adds a second scenario, labelled as such in the
output: each user pauses a random time (exponential, mean S seconds) after each page, as a
reader does.
Every answer must be the page itself (200, no redirect to the login). Traffic goes to
127.0.0.1 only; the run is bounded in requests and time. Writes ``web-load.json`` in the
workdir and prints a Markdown table.

The load comes from httpx with asyncio (one client, hence one cookie jar, per simulated
user) rather than a load tool such as Locust: httpx is already a development dependency,
twenty users need no distributed workers, and in-process timing gives the exact
percentiles wanted without Locust's web UI and gevent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import CLI, ingest_stages, machine, run_cli, synth_args  # noqa: E402

USERNAME = "bench"
READY = re.compile(r"Filature process (\d+) ready: .* prepared in ([\d.]+) s")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LATEST_RUN = ("(SELECT run_id FROM screening_runs WHERE status = 'done' "
              "ORDER BY started_at DESC LIMIT 1)")


def screened(db: Path) -> bool:
    """True when the store exists and holds a finished screening run."""
    if not db.exists():
        return False
    con = duckdb.connect(str(db), read_only=True)
    try:
        return bool(con.execute("SELECT count(*) FROM screening_runs WHERE status = 'done'")
                    .fetchall()[0][0])
    finally:
        con.close()


def build(workdir: Path, transfers: int, buyers: int, seed: int,
          reuse: bool) -> dict[str, dict[str, float]]:
    """The screened store of a synthetic world of about ``transfers`` transfers, built by the
    CLI one stage per process; with ``reuse``, a store already screened is kept as it is."""
    world, db = workdir / "world", workdir / "filature.duckdb"
    if reuse and screened(db):
        return {}
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    stages = {"synth": synth_args(world, transfers, seed, buyers),
              **dict(ingest_stages(world, db)),
              "screen": ["--db", str(db), "screen"]}
    timings = {}
    for name, args in stages.items():
        seconds, rss = run_cli(args)
        timings[name] = {"seconds": round(seconds, 1), "peak_rss_mb": round(rss)}
        print(f"{name}: {seconds:.1f} s", file=sys.stderr)
    return timings


def sample(db: Path) -> dict[str, Any]:
    """What the simulated users pick from: every ranked sender, countries, transfer count.

    Read before the server opens the store (it then holds DuckDB's lock)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        senders = [r[0] for r in con.execute(
            f"SELECT sender_id FROM sender_scores WHERE run_id = {LATEST_RUN} "  # noqa: S608
            "ORDER BY rank").fetchall()]
        countries = [r[0] for r in con.execute(
            "SELECT sender_country FROM transfers WHERE sender_country IS NOT NULL "
            "GROUP BY ALL ORDER BY count(*) DESC LIMIT 12").fetchall()]
        n = int(con.execute("SELECT count(*) FROM transfers").fetchall()[0][0])
    finally:
        con.close()
    return {"senders": senders, "countries": countries, "transfers": n}


def add_user(env: dict[str, str]) -> str:
    """Create the analyst with `filature users add`; its temporary password."""
    out = subprocess.run(CLI + ["users", "add", USERNAME, "--role", "analyst"], env=env,
                         capture_output=True, text=True, check=True).stdout
    found = re.search(r"temporary password: (\S+)", out)
    if not found:
        raise SystemExit(f"`filature users add` printed no password:\n{out}")
    return found.group(1)


async def form_token(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    page.raise_for_status()
    found = CSRF.search(page.text)
    if not found:
        raise SystemExit(f"no CSRF token in the form of {path}")
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, password: str) -> httpx.Response:
    """The browser's sign-in: the form (and its login cookie), then the POST."""
    token = await form_token(client, "/login")
    answer = await client.post("/login", data={"csrf_token": token, "username": USERNAME,
                                               "password": password, "next": "/targets"})
    if answer.status_code != 303:
        raise SystemExit(f"sign-in refused ({answer.status_code})")
    return answer


async def first_sign_in(base: str, temporary: str) -> tuple[str, list[str]]:
    """Sign in with the temporary password and choose a new one, as the app requires; the
    new password and the indicators the queue's filter offers."""
    new = secrets.token_urlsafe(16)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        answer = await sign_in(client, temporary)
        if answer.headers["location"] != "/account/password":
            raise SystemExit("the app did not ask to change the temporary password")
        token = await form_token(client, "/account/password")
        changed = await client.post("/account/password", data={
            "csrf_token": token, "current": temporary, "new": new, "confirm": new})
        changed.raise_for_status()
        queue = (await client.get("/targets")).text
    select = queue[queue.index('name="indicator"'):]
    indicators = re.findall(r'<option value="([^"]+)"', select[:select.index("</select>")])
    if not indicators:
        raise SystemExit("the queue page offers no indicator to filter on")
    return new, indicators


def queue_params(rng: random.Random, countries: list[str],
                 indicators: list[str]) -> dict[str, str]:
    """One of the ways a reader narrows or orders the queue."""
    choice = rng.randrange(7)
    if choice == 0:
        return {"page": str(rng.randint(1, 200))}
    if choice == 1:
        return {"country": rng.choice(countries), "page": str(rng.randint(1, 5))}
    if choice == 2:
        return {"sort": rng.choice(["score", "name", "country", "transfers", "total_eur",
                                    "receivers", "last_seen"]),
                "order": rng.choice(["asc", "desc"]), "page": str(rng.randint(1, 20))}
    if choice == 3:
        low = rng.choice([0, 1, 2, 3, 5])
        return {"min_score": str(low), "max_score": str(low + rng.choice([1, 2, 5]))}
    if choice == 4:
        return {"status": rng.choice(["target", "below"]), "page": str(rng.randint(1, 3))}
    if choice == 5:
        return {"indicator": rng.choice(indicators)}
    return {}


async def signed_in(base: str, password: str,
                    timings: dict[str, list[float]]) -> httpx.AsyncClient:
    """One investigator's browser, signed in (its own cookie jar and connection)."""
    limits = httpx.Limits(max_connections=1)  # a browser tab waits for its page
    client = httpx.AsyncClient(base_url=base, timeout=60, limits=limits)
    started = time.perf_counter()
    await sign_in(client, password)
    timings["sign-in"].append((time.perf_counter() - started) * 1000)
    return client


async def reader(client: httpx.AsyncClient, world: dict[str, Any], n: int,
                 timings: dict[str, list[float]], rng: random.Random, think: float) -> None:
    """Reads queue and target pages in turn, each as soon as the previous one came (or,
    with ``think`` seconds, after an exponential pause of that mean)."""
    for i in range(n):
        if i % 2 == 0:
            kind, url = "queue", "/targets"
            params = queue_params(rng, world["countries"], world["indicators"])
        else:
            kind, url, params = "target", f"/targets/{rng.choice(world['senders'])}", {}
        started = time.perf_counter()
        answer = await client.get(url, params=params)
        timings[kind].append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{url} {params} answered {answer.status_code}")
        if think > 0:
            await asyncio.sleep(rng.expovariate(1 / think))


async def load(base: str, password: str, world: dict[str, Any], users: int, requests: int,
               seed: int, pids: list[int],
               think: float = 0.0) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Sign every user in (together, as a team starting its day), then have them all read
    pages at once; the timings, and the server's wall and CPU seconds of the reading (in
    all and by process: the kernel shares out connections among the processes, not pages)."""
    timings: dict[str, list[float]] = {"sign-in": [], "queue": [], "target": []}
    rng = random.Random(seed)
    clients = await asyncio.gather(*[signed_in(base, password, timings)
                                     for _ in range(users)])
    cpu_before, started = {pid: cpu_seconds(pid) for pid in pids}, time.perf_counter()
    client_before = time.process_time()
    try:
        await asyncio.wait_for(asyncio.gather(*[
            reader(client, world, requests, timings, random.Random(rng.random()), think)
            for client in clients]), timeout=900)
    finally:
        for client in clients:
            await client.aclose()
    by_process = {pid: cpu_seconds(pid) - cpu_before[pid] for pid in pids}
    return timings, {"seconds": time.perf_counter() - started,
                     "cpu": sum(by_process.values()), "cpu_by_process": by_process,
                     "client_cpu": time.process_time() - client_before}


def rss_mb(pid: int) -> dict[str, float]:
    """Resident memory of a process now and at its peak (Linux /proc), in MB."""
    status = dict(line.split(":", 1) for line in
                  Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {key: round(int(status[field].split()[0]) / 1024)
            for key, field in (("now", "VmRSS"), ("peak", "VmHWM"))}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(base: str, server: subprocess.Popen[bytes], seconds: float) -> float:
    """Wait until the app answers (it prepares the latest run's page tables first)."""
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        if server.poll() is not None:
            raise SystemExit(f"`filature serve` stopped (exit {server.returncode})")
        try:
            httpx.get(f"{base}/login", timeout=30)
            return time.perf_counter() - started
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"the web app did not answer within {seconds:.0f} s")


def wait_for_processes(log: Path, server: subprocess.Popen[bytes], workers: int,
                       seconds: float) -> tuple[float, dict[int, float]]:
    """Wait until each of the ``workers`` processes of `filature serve --workers` says it is
    ready (each prepares the latest run's page tables for itself): the time taken and each
    process's own preparation time, by process id."""
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        if server.poll() is not None:
            raise SystemExit(f"`filature serve` stopped (exit {server.returncode})")
        ready = {int(pid): float(s) for pid, s in READY.findall(log.read_text())}
        if len(ready) >= workers:
            return time.perf_counter() - started, ready
        time.sleep(0.2)
    raise SystemExit(f"the web app's {workers} processes were not ready within {seconds:.0f} s")


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (Linux /proc): with ``--workers``, the serving
    processes and multiprocessing's resource tracker."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def server_processes(pid: int, ready: dict[int, float]) -> tuple[list[int], list[int]]:
    """The processes serving pages (``pid`` itself when it serves alone) and the others of
    the server (the supervisor, multiprocessing's resource tracker)."""
    if not ready:
        return [pid], []
    started = children(pid)
    return [p for p in started if p in ready], [pid] + [p for p in started if p not in ready]


def summary(values: list[float]) -> dict[str, float]:
    """Count, median, 95th percentile and maximum (one value is its own percentile)."""
    p95 = statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 \
        else values[0]
    return {"requests": len(values), "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(p95, 1), "max_ms": round(max(values), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--buyers", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the screened store of a previous run in the workdir")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=50, help="per user")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause in seconds after each page (a second scenario; "
                             "0, the default, is the headline load: no pause)")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes serving pages (`filature serve --workers`)")
    parser.add_argument("--nice", type=int, default=10,
                        help="niceness the load tool takes once the server is started "
                             "(the server keeps this script's own)")
    args = parser.parse_args()
    workdir = args.workdir or Path(f"benchmarks/out/web-{args.transfers}")
    stages = build(workdir, args.transfers, args.buyers, args.seed, args.reuse)
    db = workdir / "filature.duckdb"
    world = sample(db)

    scratch = Path(tempfile.mkdtemp(prefix="filature-web-load-"))
    env = {**os.environ, "FILATURE_CASES_URL": f"sqlite:///{scratch / 'cases.sqlite'}",
           "FILATURE_EVIDENCE_DIR": str(scratch / "evidence"),
           "FILATURE_SECURE_COOKIES": "false", "FILATURE_SECRET_KEY": secrets.token_hex(32)}
    base = f"http://127.0.0.1:{args.port}"
    server = None
    try:
        temporary = add_user(env)
        log = (workdir / "serve.log").open("w")  # the server's own messages, for a failure
        server = subprocess.Popen(CLI + ["--db", str(db), "serve", "--port", str(args.port),
                                         "--workers", str(args.workers)],
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
        # One process is ready when it answers; several say so each (the first one ready
        # would otherwise answer every request while the others prepare).
        if args.workers > 1:
            ready_s, prepared = wait_for_processes(workdir / "serve.log", server,
                                                   args.workers, 300)
        else:
            ready_s, prepared = wait_for(base, server, 300), {}
        serving, others = server_processes(server.pid, prepared)
        # The load tool yields to the server (and to whatever else the machine runs), not
        # the server: started before this, it keeps the priority this script was run with.
        os.nice(args.nice)
        ready_rss = {pid: rss_mb(pid) for pid in serving + others}
        password, world["indicators"] = asyncio.run(first_sign_in(base, temporary))
        load_before = os.getloadavg()[0]
        timings, reading = asyncio.run(load(base, password, world, args.users,
                                            args.requests, args.seed, serving + others,
                                            args.think))
        loaded_rss = {pid: rss_mb(pid) for pid in serving + others}
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)

    served = len(timings["queue"]) + len(timings["target"])
    elapsed, cpu = reading["seconds"], reading["cpu"]
    results: dict[str, Any] = {kind: summary(v) for kind, v in timings.items()}
    # Server CPU per page read (sign-ins apart) depends little on what else the machine is
    # running, unlike the latencies: it says how many pages per second a core can serve.
    record = {
        "transfers": world["transfers"], "ranked_senders": len(world["senders"]),
        "users": args.users, "requests_per_user": args.requests, "think_s": args.think,
        "workers": args.workers, "build": stages,
        "server_ready_s": round(ready_s, 1), "pages": results,
        # With several processes, each prepared the run itself, in this many seconds.
        "process_prepared_s": sorted(prepared.values()),
        # The run's page tables and what pages hold in memory, before and after the load:
        # all the server's processes together, then each serving process.
        "server_rss_mb": {"ready": sum(r["now"] for r in ready_rss.values()),
                          "after_load": sum(r["now"] for r in loaded_rss.values()),
                          "peak": sum(r["peak"] for r in loaded_rss.values()),
                          "per_process": [{"ready": ready_rss[p]["now"],
                                           "after_load": loaded_rss[p]["now"],
                                           "peak": loaded_rss[p]["peak"]} for p in serving],
                          "others": sum(loaded_rss[p]["now"] for p in others)},
        "server": {"requests": served, "seconds": round(elapsed, 1),
                   "requests_per_s": round(served / elapsed, 1),
                   "cpu_ms_per_request": round(cpu * 1000 / served, 1),
                   "cpu_s_per_process": [round(reading["cpu_by_process"][p], 2)
                                         for p in serving]},
        # The load tool runs on the same cores: what it spends is not the server's to use.
        "load_tool_cpu_ms_per_request": round(reading["client_cpu"] * 1000 / served, 1),
        "load_average_1m": {"before": load_before, "after": os.getloadavg()[0]},
        "machine": machine(),
    }
    (workdir / "web-load.json").write_text(json.dumps(record, indent=1))
    print(json.dumps(record, indent=1))
    scenario = (f"each pausing {args.think:g} s on average after a page" if args.think
                else "no pause between pages")
    processes = f"{args.workers} server process{'es' if args.workers > 1 else ''}"
    print(f"\n{world['transfers']:,} transfers, {len(world['senders']):,} ranked senders, "
          f"{processes}, {args.users} users x {args.requests} requests, {scenario}; "
          "load average "
          f"{load_before:.1f} before, {record['load_average_1m']['after']:.1f} after\n")
    print("| page | requests | p50 (ms) | p95 (ms) | max (ms) |\n|---|---:|---:|---:|---:|")
    for kind, r in results.items():
        print(f"| {kind} | {r['requests']} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
              f"{r['max_ms']:.0f} |")
    print(f"\nServer, while the pages were read: {record['server']['requests_per_s']} pages/s, "
          f"{record['server']['cpu_ms_per_request']} ms CPU per page; the load tool "
          f"{record['load_tool_cpu_ms_per_request']} ms CPU per page")
    rss = record["server_rss_mb"]
    each = ", ".join(f"{r['after_load']}" for r in rss["per_process"])
    print(f"Server ready in {record['server_ready_s']} s; resident memory "
          f"{rss['ready']} MB when ready, {rss['after_load']} MB after the load "
          f"(peak {rss['peak']} MB; serving processes {each} MB after the load)")


if __name__ == "__main__":
    main()
