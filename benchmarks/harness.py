"""What the benchmarks share: running the CLI one process per stage, and the machine's facts."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import duckdb

TRANSFERS_PER_SENDER = 8.4  # what the synthetic world gives on average (see synth/)
CLI = [str(Path(sys.executable).with_name("filature"))]


def run_cli(args: list[str], program: list[str] | None = None) -> tuple[float, float]:
    """Run one CLI command (or ``program`` with ``args``); (wall seconds, peak RSS in MB) of
    that process."""
    wall, rss, _ = run_cli_measured(args, program)
    return wall, rss


def run_cli_measured(args: list[str], program: list[str] | None = None
                     ) -> tuple[float, float, float]:
    """Run one CLI command (or ``program`` with ``args``); (wall seconds, peak RSS in MB,
    CPU seconds) of that process and the children it waited for.

    Each stage runs in its own process because a child starts with its parent's peak memory:
    measured in one process, the stages' peaks would hide each other. CPU seconds (user and
    system) move much less than wall time when other jobs share the machine: a change's
    effect on the work done can be read from them on a busy machine, its effect on
    parallelism only from wall time on a quiet one."""
    started = time.perf_counter()
    proc = subprocess.Popen((CLI if program is None else program) + args,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        assert proc.stderr is not None
        raise SystemExit(f"stage {' '.join(args)} failed:\n{proc.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def world_arguments(parser: argparse.ArgumentParser, workdir: str) -> None:
    """The options of a benchmark that builds a screening world: its size, buyers and seed,
    the team's capacity and the folder it works in."""
    parser.add_argument("--transfers", type=int, default=500_000)
    parser.add_argument("--buyers", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--capacity", type=int, default=300)
    parser.add_argument("--workdir", type=Path, default=Path(workdir))


def synth_args(world: Path, transfers: int, seed: int, buyers: int | None = None) -> list[str]:
    """``filature synth`` of a world of about ``transfers`` transfers."""
    args = ["synth", str(world), "--senders", str(round(transfers / TRANSFERS_PER_SENDER)),
            "--seed", str(seed)]
    return args + (["--buyers", str(buyers)] if buyers is not None else [])


def ingest_stages(world: Path, db: Path) -> list[tuple[str, list[str]]]:
    """Ingest of a synthetic world's two files as a user would: the canonical CSV, then the
    operator's export through its mapping."""
    return [
        ("ingest transfers.csv", ["--db", str(db), "ingest", str(world / "transfers.csv")]),
        ("ingest operator export", ["--db", str(db), "ingest",
                                    str(world / "operator_export.csv"), "--mapping",
                                    str(world / "operator_export.toml")]),
    ]


def machine() -> dict[str, str | int]:
    """The processor, cores, memory and versions a figure was measured with."""
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count() or 0, "memory_gb": round(mem),
            "python": platform.python_version(), "duckdb": duckdb.__version__}
