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

from filature.cases.commands import audit_app, users_app
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
    files: list[Path] = typer.Argument(..., help="Transfer files (CSV, Parquet or ISO 20022 "
                                       "XML: pain.001, pacs.008)."),
    mapping: str = typer.Option(None, help="TOML mapping file, or a shipped mapping's name."),
    encoding: str = typer.Option(None, help="utf-8 (default), latin-1 or cp1252."),
    delimiter: str = typer.Option(None, help="Field delimiter; detected when absent."),
    timezone: str = typer.Option(None, help="Time zone of times written without an offset."),
    source_format: str = typer.Option(None, "--format",
                                      help="csv, parquet or iso20022; detected when absent."),
    provider: str = typer.Option(None, help="Operator or bank of every row, over the file's."),
) -> None:
    """Load transfer files into the store; bad rows go to quarantine with line and reason."""
    from filature.ingest import ingest_file

    con = _store(ctx)
    for path in files:
        with _progress(f"ingest {path.name}") as update:
            report = ingest_file(con, path, mapping=mapping, encoding=encoding,
                                 delimiter=delimiter, timezone=timezone,
                                 source_format=source_format, provider=provider,
                                 progress=lambda done, total: update(
                                     "reading", done / total if total else 0.0))
        console.print(
            f"{path.name}: [green]{report.added:,} added[/], {report.duplicates:,} already "
            f"loaded, [yellow]{report.conflicts:,} conflicts[/], "
            f"[red]{report.quarantined:,} quarantined[/] of {report.rows_read:,} rows "
            f"({report.elapsed_s:.1f} s)")
        for line, reason in report.quarantine_sample[:10]:
            console.print(f"  line {line}: {reason}")
    # A referral with no hit yet is matched again against what was just loaded.
    from filature.referrals.matching import rematch_open_referrals

    found = {rid: n for rid, n in rematch_open_referrals(con).items() if n}
    if found:
        console.print(f"[bold]open referrals now matched:[/] {', '.join(found)} "
                      "(`filature referrals report ID`)")


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
def resolve(
    ctx: typer.Context,
    threshold: float = typer.Option(None, help="Match probability to link two records "
                                    "(default 0.95)."),
    method: str = typer.Option("splink", help="splink (probabilistic) or exact (shared keys)."),
    refit: bool = typer.Option(False, "--refit", help="Fit the Splink models again instead "
                               "of reusing the latest run's."),
) -> None:
    """Work out which person or receiving identity stands behind each transfer."""
    from filature.resolve.exact import resolve_exact
    from filature.resolve.people import resolve_people

    if method not in ("splink", "exact"):
        raise typer.BadParameter("--method is splink or exact")
    con = _store(ctx)
    if method == "exact":
        report = resolve_exact(con)
    else:
        with _progress("resolve") as update:
            report = resolve_people(con, threshold=threshold, progress=update, refit=refit)
    console.print(f"{report.senders:,} senders and {report.receivers:,} receiving identities "
                  f"behind {report.transfers:,} transfers ({report.method}, "
                  f"{report.elapsed_s:.1f} s)")


@app.command()
def judge(
    ctx: typer.Context,
    verdict: str = typer.Argument(..., help="same or different"),
    a: str = typer.Argument(..., help="A record (s:... r:...) or entity (SE-... RE-...) id."),
    b: str = typer.Argument(..., help="The other record or entity id."),
    by: str = typer.Option(..., "--by", help="Who decides."),
    why: str = typer.Option(..., "--why", help="Why, in words."),
) -> None:
    """Record that two records or entities are the same person, or not; wins on every run."""
    from filature.resolve.judgements import record_judgement

    j = record_judgement(_store(ctx), verdict, a, b, by=by, why=why)
    console.print(f"{j.judgement_id}: {j.a_ref} and {j.b_ref} judged {j.verdict} by "
                  f"{j.decided_by} ({j.a_records} + {j.b_records} records); applied on the "
                  "next `filature resolve`")


@app.command("explain-link")
def explain_link(
    ctx: typer.Context,
    a: str = typer.Argument(..., help="A record or entity id."),
    b: str = typer.Argument(..., help="The other record or entity id."),
) -> None:
    """Show each compared field's match weight for the link between two records or entities."""
    from filature.resolve.explain import explain_link as explain

    e = explain(_store(ctx), a, b)
    table = Table(title=f"{e.left_record} vs {e.right_record}: weight {e.match_weight:+.2f}, "
                        f"probability {e.match_probability:.4f}"
                        f"{' (same entity)' if e.same_entity else ''}")
    for col in ("field", "left", "right", "level", "match weight"):
        table.add_column(col, overflow="fold")
    table.add_row("prior", "", "", "two random records", f"{e.prior_weight:+.2f}")
    for f in e.fields:
        table.add_row(f.field, f.left, f.right, f.level, f"{f.match_weight:+.2f}")
    out_console.print(table)


@app.command()
def screen(
    ctx: typer.Context,
    capacity: int = typer.Option(None, help="Targets the team can review (default 300)."),
    pack: Path = typer.Option(None, help="A typology pack folder (default: the shipped one)."),
    method: str = typer.Option("splink", help="How people are resolved when transfers were "
                               "loaded since the last resolution: splink or exact."),
    labels_from_cases: bool | None = typer.Option(
        None, "--labels-from-cases/--no-labels",
        help="Learn from case outcomes (charged / cleared) in FILATURE_CASES_URL. Default: "
             "when that database exists and has enough outcomes."),
    ranking: str = typer.Option("supervised", help="Order of the targets when a model is "
                                "fitted: supervised (blended) or indicators."),
    cases_url: str = typer.Option(None, "--cases-url", envvar="FILATURE_CASES_URL",
                                  help="The case database the outcomes are read from."),
) -> None:
    """Resolve people if new transfers came in, then score everyone and store a new run."""
    from filature.indicators import load_pack
    from filature.resolve.exact import resolve_exact
    from filature.resolve.people import resolution_is_stale, resolve_people
    from filature.scoring.run import run_screening

    if method not in ("splink", "exact"):
        raise typer.BadParameter("--method is splink or exact")
    if ranking not in ("supervised", "indicators"):
        raise typer.BadParameter("--ranking is supervised or indicators")
    settings = get_settings()
    con = _store(ctx)
    if resolution_is_stale(con):
        if method == "exact":
            resolve_exact(con)
        else:
            with _progress("resolve") as update:
                resolve_people(con, progress=update)
    with _progress("screen") as update:
        report = run_screening(con, capacity=capacity or settings.capacity,
                               pack=load_pack(pack) if pack else None,
                               language=settings.language, progress=update)
    console.print(f"run {report.run_id}: {report.senders:,} senders, {report.receivers:,} "
                  f"receivers, [bold]{report.targets} targets[/], "
                  f"{report.facilitators} likely facilitators")
    if labels_from_cases is not False:
        _learn(con, report.run_id, cases_url or settings.cases_url, settings.language,
               required=bool(labels_from_cases), capacity=capacity or settings.capacity,
               reorder=ranking == "supervised")
    _print_list(con, "targets", None, 15)


def _learn(con: Any, run_id: str, cases_url: str, language: str, *, required: bool,
           capacity: int, reorder: bool) -> None:
    """Case outcomes -> the learning stage; without a case database, say so and go on."""
    from filature.cases.labels import case_database_labels
    from filature.learning import learn_from_outcomes

    try:
        labels = case_database_labels(cases_url)
    except FilatureError as e:
        if required:
            raise
        console.print(f"no supervised model: {e}")
        return
    if labels is None:
        if required:
            raise FilatureError(f"no case database at {cases_url}")
        return
    learnt = learn_from_outcomes(con, run_id, labels, capacity=capacity, language=language,
                                 reorder_targets=reorder)
    if learnt.skipped:
        console.print(f"no supervised model: {learnt.skipped}")
        return
    v = learnt.validation
    assert v is not None
    console.print(f"supervised model {learnt.model_id} ({learnt.positives} confirmed, "
                  f"{learnt.negatives} cleared): cross-validated AUC {v.auc:.3f} (indicator "
                  f"score {v.indicator_auc:.3f}), Brier {v.brier:.3f}; targets ordered by "
                  f"{learnt.ranking}, {learnt.targets_moved} new in the list")


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
    workers: int = typer.Option(
        1, min=1, help="Processes serving pages; above 1 the store is opened read-only and "
        "files are loaded with the command line."),
) -> None:
    """Serve the investigators' web app on this machine."""
    from filature.web import serve as serve_app

    console.print(f"Filature on http://{host}:{port}/ (Ctrl+C to stop)")
    if workers > 1:
        console.print(f"{workers} processes, each ready once it has prepared the latest run.\n"
                      "The store is read-only while they run: stop them to load files.")
    serve_app(ctx.obj["db"], host=host, port=port, workers=workers)


referrals_app = typer.Typer(help="Alerts from partners: import, match, report.",
                            no_args_is_help=True)
app.add_typer(referrals_app, name="referrals")
sessions_app = typer.Typer(help="Platform returns of calls and logins.", no_args_is_help=True)
app.add_typer(sessions_app, name="sessions")
app.add_typer(users_app, name="users")
model_app = typer.Typer(help="The supervised model taught by case outcomes.",
                        no_args_is_help=True)
app.add_typer(model_app, name="model")
app.add_typer(audit_app, name="audit")


@referrals_app.command("import")
def referrals_import(ctx: typer.Context, file: Path = typer.Argument(
        ..., help="A referral (JSON), many (JSON Lines) or a CSV list of subjects.")) -> None:
    """Validate and store referrals (all or nothing), then match their subjects."""
    from filature.referrals.intake import import_referrals

    report = import_referrals(_store(ctx), file)
    console.print(f"{file.name}: {len(report.referral_ids)} referral(s), {report.subjects} "
                  f"subject(s), [green]{report.hits} hit(s)[/]")
    for rid in report.open_referrals:
        console.print(f"  {rid}: no hit yet, kept open and matched again after each load")


@referrals_app.command("list")
def referrals_list(ctx: typer.Context) -> None:
    """The referrals, newest first, with their hits."""
    rows = _store(ctx).execute(
        "SELECT r.referral_id, r.source, r.received_at, r.status, count(h.party_id), "
        "round(max(h.confidence), 2) FROM referrals r LEFT JOIN referral_hits h "
        "USING (referral_id) GROUP BY ALL ORDER BY r.received_at DESC NULLS LAST, "
        "r.referral_id").fetchall()
    table = Table(title="referrals")
    for col in ("referral", "source", "received", "status", "hits", "best"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    out_console.print(table)


@referrals_app.command("match")
def referrals_match(ctx: typer.Context, all_: bool = typer.Option(
        False, "--all", help="Also re-match referrals that already have hits.")) -> None:
    """Match the open referrals (or all) against the transfers loaded so far."""
    from filature.referrals.matching import rematch_all_referrals, rematch_open_referrals

    con = _store(ctx)
    counts = rematch_all_referrals(con) if all_ else rematch_open_referrals(con)
    for rid, hits in counts.items():
        console.print(f"{rid}: {hits} hit(s)")
    console.print(f"{len(counts)} referral(s) matched")


@referrals_app.command("report")
def referrals_report(
    ctx: typer.Context,
    referral_id: str = typer.Argument(...),
    format: str = typer.Option("csv", "--format", "-f", help="csv or json."),
    out: Path = typer.Option(None, "--out", "-o", help="File to write (default stdout)."),
) -> None:
    """For each subject: the hits and the related senders, ranked, with the path to them."""
    from filature.referrals.report import write_referral_report

    n = write_referral_report(_store(ctx), referral_id, format, out)
    if out is not None and str(out) != "-":
        console.print(f"{n} related sender row(s) written to {out}")


@referrals_app.command("open-case")
def referrals_open_case(
    ctx: typer.Context,
    referral_id: str = typer.Argument(...),
    case: str = typer.Option(None, "--case", help="Add to this open case (its reference, "
                                                  "e.g. C-2026-00012) instead of a new one."),
    user: str = typer.Option(..., "--user", envvar="FILATURE_USER",
                             help="The account acting (its role is checked)."),
    cases_url: str = typer.Option(None, "--cases-url", envvar="FILATURE_CASES_URL",
                                  help="The case database (default from the settings)."),
    evidence_dir: Path = typer.Option(None, "--evidence-dir", envvar="FILATURE_EVIDENCE_DIR",
                                      help="Where evidence files are stored (default from "
                                           "the settings)."),
) -> None:
    """Open a case from a referral (its strong hits as subjects, the followed network
    attached as JSON and GraphML), or add them to an open case; audited as that user."""
    from filature.cases import referrals as case_referrals
    from filature.cases.db import CaseDatabase
    from filature.cases.users import get_user
    from filature.referrals.network import referral_network

    con = _store(ctx)
    network = referral_network(con, referral_id)
    opening = case_referrals.referral_opening(con, referral_id, network)
    files = case_referrals.network_files(referral_id, network)
    settings = get_settings()
    evidence_dir = evidence_dir or settings.evidence_dir
    database = CaseDatabase.open(cases_url or settings.cases_url)
    try:
        with database.session() as session:
            actor = get_user(session, user.strip().lower())
            if not actor.active:
                raise FilatureError(f"the account {actor.username} is disabled")
            if case:
                found = case_referrals.case_by_reference(session, case)
                added = case_referrals.extend_with_referral(session, actor, found, opening,
                                                            files, evidence_dir)
                console.print(f"{found.reference}: {len(added)} party(ies) added or made "
                              f"subject(s), {len(files)} network file(s) attached")
            else:
                found = case_referrals.open_from_referral(session, actor, opening, files,
                                                          evidence_dir)
                console.print(f"opened {found.reference} from referral {referral_id}: "
                              f"{len(opening.subjects)} subject(s), {len(files)} network "
                              "file(s) attached")
            session.commit()
            out_console.print(found.reference)
    finally:
        database.dispose()


@app.command()
def follow(
    ctx: typer.Context,
    seed: str = typer.Argument(..., help="A party id, referral:ID, an email, a phone or a "
                                         "transfer id."),
    hops: int = typer.Option(2, help="Hops through the transfers (1: direct payers)."),
    date_from: str = typer.Option(None, "--from", help="First day (YYYY-MM-DD)."),
    date_to: str = typer.Option(None, "--to", help="Last day, included (YYYY-MM-DD)."),
    min_eur: float = typer.Option(None, "--min-eur"),
    max_eur: float = typer.Option(None, "--max-eur"),
    corridor: str = typer.Option(None, help="SENDER-RECEIVER countries, e.g. FR-PH or -PH."),
    min_facilitator_score: float = typer.Option(None, help="Skip receivers below (0..1)."),
    format: str = typer.Option("csv", "--format", "-f", help="csv, json or graphml."),
    out: Path = typer.Option(None, "--out", "-o", help="File to write (default: a table)."),
) -> None:
    """Follow the money from a seed, hop by hop, and rank the payers and receivers found."""
    from filature.network.follow import FollowFilters, follow_money, parse_day, write_follow

    filters = FollowFilters(parse_day(date_from, "from"), parse_day(date_to, "to"), min_eur,
                            max_eur, corridor, min_facilitator_score)
    result = follow_money(_store(ctx), seed, hops=hops, filters=filters)
    if out is not None:
        write_follow(result, format, out)
        console.print(f"{len(result.nodes)} parties, {len(result.edges)} links written to {out}")
        return
    table = Table(title=f"follow {seed} ({hops} hop(s))")
    for col in ("side", "rank", "name", "hop", "score", "transfers", "total_eur", "via"):
        table.add_column(col, overflow="fold")
    for n in result.nodes:
        table.add_row(*["" if n[c] is None else str(n[c]) for c in
                        ("side", "rank", "name", "hop", "score", "transfers", "total_eur",
                         "via")])
    out_console.print(table)


@sessions_app.command("import")
def sessions_import(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A session log CSV (account, peer_account, start, "
                                          "end, ip, platform)."),
    mapping: Path = typer.Option(None, help="TOML mapping of another layout."),
) -> None:
    """Load a platform's session log; bad rows go to quarantine with line and reason."""
    from filature.referrals.sessions import import_sessions

    report = import_sessions(_store(ctx), file, mapping=mapping)
    if report.already_loaded:
        console.print(f"{file.name}: already loaded (import {report.import_id})")
        return
    console.print(f"{file.name}: [green]{report.added:,} sessions added[/], "
                  f"[red]{report.quarantined:,} quarantined[/] of {report.rows_read:,} rows")
    for line, reason in report.quarantine_sample:
        console.print(f"  line {line}: {reason}")


@sessions_app.command("flags")
def sessions_flags(
    ctx: typer.Context,
    window_hours: float = typer.Option(6.0, help="A session this long after a payment flags "
                                                 "it."),
    format: str = typer.Option("csv", "--format", "-f", help="csv or json."),
    out: Path = typer.Option(None, "--out", "-o", help="File to write (default stdout)."),
) -> None:
    """One row per payment followed by a session between payer and receiver in the window."""
    from filature.referrals.session_flags import (
        compute_session_flags,
        read_session_flags,
        write_session_flags,
    )

    con = _store(ctx)
    n = compute_session_flags(con, window_hours)
    write_session_flags(read_session_flags(con, window_hours), format, out)
    if out is not None and str(out) != "-":
        console.print(f"{n} flagged payment(s) written to {out}")


@model_app.command("report")
def model_report(
    ctx: typer.Context,
    run: str = typer.Option(None, help="A screening run id (default: the newest model)."),
) -> None:
    """Validation figures and weights of the model fitted on a run's outcomes."""
    from filature.learning.records import read_model
    from filature.learning.report import model_report as describe

    for line in describe(read_model(_store(ctx), run)):
        out_console.print(line, highlight=False, markup=False, soft_wrap=True)


def main() -> None:
    """Entry point: a FilatureError becomes a one-line message and exit code 1."""
    try:
        app()
    except FilatureError as e:
        console.print(f"[red]error:[/] {e}")
        sys.exit(1)
