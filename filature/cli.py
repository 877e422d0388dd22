"""The command line: thin Typer commands, one per verb; the work is in the stage packages."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from filature.errors import FilatureError
from filature.settings import get_settings

app = typer.Typer(
    help="Filature: find the buyers of live-streamed child sexual abuse from money transfers.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out_console = Console()


@app.callback()
def root(
    ctx: typer.Context,
    db: Path = typer.Option(None, "--db", envvar="FILATURE_DB",
                            help="The analytical store (default ./filature.duckdb)."),
) -> None:
    ctx.obj = {"db": db or get_settings().db}


def _store(ctx: typer.Context) -> Any:
    from filature.store import open_store
    return open_store(ctx.obj["db"])


@contextmanager
def _progress(label: str) -> Iterator[Callable[[str, float], None]]:
    """A Rich progress bar fed by the stages' (label, fraction) callbacks."""
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                  console=console, transient=False) as bar:
        task = bar.add_task(label, total=1.0)

        def update(stage: str, fraction: float) -> None:
            bar.update(task, completed=fraction, description=f"{label}: {stage}")

        yield update
        bar.update(task, completed=1.0)


@app.command()
def synth(
    out: Path = typer.Argument(..., help="Folder to write the synthetic world into."),
    senders: int = typer.Option(60_000, help="Number of senders (about 8 transfers each)."),
    buyers: int = typer.Option(None, help="Number of buyers (default 0.5% of senders)."),
    seed: int = typer.Option(7, help="Same seed, same world."),
    months: int = typer.Option(24, help="Months of transfers."),
) -> None:
    """Generate a synthetic national data set (transfers + separate truth files)."""
    from filature.synth import generate_world

    with _progress("synth") as update:
        summary = generate_world(out, senders=senders, buyers=buyers, seed=seed, months=months,
                                 progress=update)
    console.print(f"[green]{summary.transfers:,} transfers[/] from {summary.senders:,} senders "
                  f"({summary.buyers} buyers) written to {out}")


@app.command()
def ingest(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="Transfer files (CSV or Parquet)."),
    mapping: str = typer.Option(None, help="TOML mapping file, or a shipped mapping's name."),
    encoding: str = typer.Option(None, help="utf-8 (default), latin-1 or cp1252."),
    delimiter: str = typer.Option(None, help="Field delimiter; detected when absent."),
    timezone: str = typer.Option(None, help="Time zone of times written without an offset."),
) -> None:
    """Load transfer files into the store; bad rows go to quarantine with line and reason."""
    from filature.ingest import ingest_file

    con = _store(ctx)
    for path in files:
        with _progress(f"ingest {path.name}") as update:
            report = ingest_file(con, path, mapping=mapping, encoding=encoding,
                                 delimiter=delimiter, timezone=timezone,
                                 progress=lambda done, total: update(
                                     "reading", done / total if total else 0.0))
        console.print(
            f"{path.name}: [green]{report.added:,} added[/], {report.duplicates:,} already "
            f"loaded, [yellow]{report.conflicts:,} conflicts[/], "
            f"[red]{report.quarantined:,} quarantined[/] of {report.rows_read:,} rows "
            f"({report.elapsed_s:.1f} s)")
        for line, reason in report.quarantine_sample[:10]:
            console.print(f"  line {line}: {reason}")


@app.command()
def quarantine(
    ctx: typer.Context,
    file: str = typer.Option(None, help="Only rows of this file (name as loaded)."),
    limit: int = typer.Option(50, help="Rows shown."),
) -> None:
    """Show quarantined rows with their file, line and reason, for correction."""
    rows = _store(ctx).execute(
        "SELECT f.name, q.line, q.reason FROM quarantine q JOIN source_files f "
        "ON f.file_id = q.source_file_id WHERE ? IS NULL OR f.name = ? "
        "ORDER BY f.file_id, q.line LIMIT ?", [file, file, limit]).fetchall()
    table = Table(title=f"quarantine ({len(rows)} shown)")
    for col in ("file", "line", "reason"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*[str(v) for v in row])
    out_console.print(table)


@app.command()
def resolve(ctx: typer.Context) -> None:
    """Work out which person or receiving identity stands behind each transfer."""
    from filature.resolve.exact import resolve_exact

    report = resolve_exact(_store(ctx))
    console.print(f"{report.senders:,} senders and {report.receivers:,} receiving identities "
                  f"behind {report.transfers:,} transfers ({report.method}, "
                  f"{report.elapsed_s:.1f} s)")


@app.command()
def screen(
    ctx: typer.Context,
    capacity: int = typer.Option(None, help="Targets the team can review (default 300)."),
    pack: Path = typer.Option(None, help="A typology pack folder (default: the shipped one)."),
) -> None:
    """Score every sender and receiver and store a new screening run."""
    from filature.indicators import load_pack
    from filature.resolve.exact import resolve_exact
    from filature.scoring.run import run_screening

    settings = get_settings()
    con = _store(ctx)
    resolve_exact(con)
    with _progress("screen") as update:
        report = run_screening(con, capacity=capacity or settings.capacity,
                               pack=load_pack(pack) if pack else None,
                               language=settings.language, progress=update)
    console.print(f"run {report.run_id}: {report.senders:,} senders, {report.receivers:,} "
                  f"receivers, [bold]{report.targets} targets[/], "
                  f"{report.facilitators} likely facilitators")
    _print_list(con, "targets", None, 15)


def _print_list(con: Any, name: str, run_id: str | None, limit: int) -> None:
    from filature.exports.lists import read_list

    columns, rows = read_list(con, name, run_id, limit=limit)  # type: ignore[arg-type]
    shown = {"targets": ["rank", "name", "country", "score", "transfer_count", "total_eur",
                         "top_indicators"],
             "facilitators": ["rank", "name", "cities", "score", "payers", "transfer_count",
                              "top_indicators"]}[name]
    table = Table(title=f"{name} (top {limit})")
    for col in shown:
        table.add_column(col, overflow="fold")
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        table.add_row(*[f"{values[c]:.2f}" if isinstance(values[c], float) else str(values[c])
                        for c in shown])
    out_console.print(table)


def _list_command(name: str) -> Callable[..., None]:
    def command(
        ctx: typer.Context,
        format: str = typer.Option("table", "--format", "-f", help="table, csv or json."),
        out: Path = typer.Option(None, "--out", "-o", help="File to write (default stdout)."),
        run: str = typer.Option(None, help="A screening run id (default: the latest)."),
        limit: int = typer.Option(30, help="Rows shown in table format."),
    ) -> None:
        from filature.exports.lists import write_list

        con = _store(ctx)
        if format == "table":
            _print_list(con, name, run, limit)
            return
        n = write_list(con, name, format, out, run)  # type: ignore[arg-type]
        if out is not None and str(out) != "-":
            console.print(f"{n} {name} written to {out}")

    command.__doc__ = {"targets": "The ranked targets of a run, cut to capacity.",
                       "facilitators": "Receiving identities that look like facilitators."}[name]
    return command


app.command("targets")(_list_command("targets"))
app.command("facilitators")(_list_command("facilitators"))


@app.command()
def summary(
    ctx: typer.Context,
    out: Path = typer.Option(Path("summary.html"), "--out", "-o"),
    lang: str = typer.Option(None, help="fr or en (default: settings)."),
) -> None:
    """Write a self-contained HTML summary of the latest run."""
    from filature.exports.summary import write_summary

    write_summary(_store(ctx), out, lang or get_settings().language)
    console.print(f"summary written to {out}")


@app.command()
def runs(ctx: typer.Context) -> None:
    """List the screening runs, newest first."""
    rows = _store(ctx).execute(
        "SELECT run_id, started_at, status, capacity, pack_id || ' ' || pack_version, senders "
        "FROM screening_runs ORDER BY started_at DESC").fetchall()
    table = Table(title="screening runs")
    for col in ("run", "started", "status", "capacity", "pack", "senders"):
        table.add_column(col)
    for row in rows:
        table.add_row(*[str(v) for v in row])
    out_console.print(table)


@app.command()
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
) -> None:
    """Serve the investigators' web app on this machine."""
    from filature.web import serve as serve_app

    console.print(f"Filature on http://{host}:{port}/ (Ctrl+C to stop)")
    serve_app(ctx.obj["db"], host=host, port=port)


def main() -> None:
    """Entry point: a FilatureError becomes a one-line message and exit code 1."""
    try:
        app()
    except FilatureError as e:
        console.print(f"[red]error:[/] {e}")
        sys.exit(1)
