"""Command-line administration of the case database: ``filature users ...`` and ``audit ...``.

Commands act as the operating-system account running them (``cli:<login>`` in the audit
trail). Thin wrappers: the work is in ``users``, ``audit`` and ``retention``.
"""

from __future__ import annotations

import getpass
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from filature.errors import InputError
from filature.settings import get_settings

if TYPE_CHECKING:  # the database layers load only when a command runs, not on every CLI call
    from filature.cases.audit import Actor
    from filature.cases.db import CaseDatabase

console = Console(stderr=True)
out_console = Console()

users_app = typer.Typer(help="Accounts of the case database: add, disable, reset, list.",
                        no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail: verify the chain, show entries, apply "
                             "retention.", no_args_is_help=True)


def _open(ctx: typer.Context) -> CaseDatabase:
    from filature.cases.db import CaseDatabase

    url = (ctx.obj or {}).get("cases_url") if isinstance(ctx.obj, dict) else None
    return CaseDatabase.open(url or get_settings().cases_url)


def _cli_actor() -> Actor:
    from filature.cases.audit import Actor

    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        login = "unknown"
    return Actor(username=f"cli:{login}"[:64], role="cli")


def _cases_url_option(ctx: typer.Context, cases_url: str | None) -> None:
    ctx.obj = {**(ctx.obj if isinstance(ctx.obj, dict) else {}), "cases_url": cases_url}


_URL = typer.Option(None, "--cases-url", envvar="FILATURE_CASES_URL",
                    help="The case database (SQLAlchemy URL; default sqlite file).")


@users_app.callback()
def users_root(ctx: typer.Context, cases_url: str | None = _URL) -> None:
    _cases_url_option(ctx, cases_url)


@audit_app.callback()
def audit_root(ctx: typer.Context, cases_url: str | None = _URL) -> None:
    _cases_url_option(ctx, cases_url)


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="Login name: lower case, digits, . _ -"),
    role: str = typer.Option(..., help="analyst, investigator, supervisor, prosecutor, "
                                       "partner_liaison or admin."),
    name: str = typer.Option(None, help="Name shown in the app (default: the username)."),
    email: str = typer.Option(None),
    capacity: int = typer.Option(None, help="Open cases this person can carry."),
) -> None:
    """Create an account with a temporary password, shown once, to change at first login."""
    from filature.cases import users

    db = _open(ctx)
    with db.session() as session:
        user, password = users.add_user(session, _cli_actor(), username, role=role,
                                        display_name=name or username, email=email,
                                        case_capacity=capacity)
    console.print(f"user [bold]{user.username}[/] ({user.role}) added")
    out_console.print(f"temporary password: {password}")


@users_app.command("disable")
def users_disable(ctx: typer.Context, username: str = typer.Argument(...)) -> None:
    """Refuse this user's logins from now on and end their sessions; history is kept."""
    from filature.cases import users

    with _open(ctx).session() as session:
        users.disable_user(session, _cli_actor(), username)
    console.print(f"user {username} disabled")


@users_app.command("reset")
def users_reset(ctx: typer.Context, username: str = typer.Argument(...)) -> None:
    """Give the user a new temporary password (shown once) and end their sessions."""
    from filature.cases import users

    with _open(ctx).session() as session:
        password = users.reset_password(session, _cli_actor(), username)
    console.print(f"password of {username} reset; they must change it at their next login")
    out_console.print(f"temporary password: {password}")


@users_app.command("capacity")
def users_capacity(ctx: typer.Context, username: str = typer.Argument(...),
                   cases: int = typer.Argument(..., help="Open cases; -1 to unset.")) -> None:
    """Set how many open cases this person can carry (the workload page compares)."""
    from filature.cases import users

    with _open(ctx).session() as session:
        users.set_capacity(session, _cli_actor(), username, None if cases < 0 else cases)
    console.print(f"capacity of {username} set")


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """Every account with its role and state."""
    from filature.cases import audit, users

    with _open(ctx).session() as session:
        rows = users.list_users(session)
        table = Table(title="users")
        for col in ("username", "name", "role", "active", "capacity", "created"):
            table.add_column(col)
        for u in rows:
            table.add_row(u.username, u.display_name, u.role, "yes" if u.active else "no",
                          "" if u.case_capacity is None else str(u.case_capacity),
                          f"{audit.utc(u.created_at):%Y-%m-%d}")
    out_console.print(table)


@audit_app.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """Recompute the hash chain; exit 1 and name each entry edited, inserted or removed."""
    from filature.cases import audit

    db = _open(ctx)
    with db.session() as session:
        report = audit.verify_chain(session)
        audit.record(session, _cli_actor(), "audit.verify", subject_type="audit",
                     outcome="ok" if report.ok else "failed",
                     detail={"entries": report.entries, "problems": len(report.problems)})
    if report.ok:
        console.print(f"[green]audit trail intact[/]: {report.entries} entries "
                      f"({report.first_seq} to {report.last_seq}), head {report.last_hash}")
        return
    console.print(f"[red]audit trail BROKEN[/]: {len(report.problems)} problem(s)")
    for problem in report.problems:
        console.print(f"  {problem}")
    raise typer.Exit(1)


def _date(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError as e:
        raise InputError(f"--{name}: {value!r} is not a date (YYYY-MM-DD)") from e


@audit_app.command("show")
def audit_show(
    ctx: typer.Context,
    user: str = typer.Option(None, "--user", help="Only this username."),
    subject: str = typer.Option(None, help="A subject id, or type:id (case:C-2026-00001)."),
    action: str = typer.Option(None, help="Actions starting with this (case., login...)."),
    since: str = typer.Option(None, help="From this day (YYYY-MM-DD)."),
    until: str = typer.Option(None, help="Before this day (YYYY-MM-DD)."),
    limit: int = typer.Option(50, help="Entries shown, newest first."),
    jsonl: bool = typer.Option(False, "--jsonl", help="One JSON object a line, on stdout."),
) -> None:
    """Show the entries matching the filters, newest first; reading the log is logged."""
    from filature.cases import audit
    from filature.cases.audit import AuditFilter

    where = AuditFilter(username=user, subject=subject, action=action,
                        since=_date(since, "since"), until=_date(until, "until"))
    with _open(ctx).session() as session:
        entries, total = audit.query_entries(session, where, limit=limit)
        rows = [(e.seq, f"{audit.utc(e.at):%Y-%m-%d %H:%M:%S}", e.username or "system",
                 e.action, f"{e.subject_type or ''}:{e.subject_id or ''}".strip(":"),
                 e.outcome, e.detail, e.entry_hash) for e in entries]
        audit.record(session, _cli_actor(), "audit.view", subject_type="audit",
                     detail={"user": user, "subject": subject, "action": action,
                             "since": since, "until": until})
    if jsonl:
        keys = ("seq", "at", "username", "action", "subject", "outcome", "detail", "hash")
        for row in rows:
            record = dict(zip(keys, row, strict=True))
            record["detail"] = json.loads(str(record["detail"]))
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    table = Table(title=f"audit ({len(rows)} of {total})")
    for col in ("#", "when (UTC)", "user", "action", "subject", "outcome", "detail"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*[str(v) for v in row[:7]])
    out_console.print(table)


@audit_app.command("purge")
def audit_purge(
    ctx: typer.Context,
    audit_days: int = typer.Option(None, help="Erase audit entries older than this "
                                              "(default FILATURE_AUDIT_RETENTION_DAYS)."),
    case_days: int = typer.Option(None, help="Erase cases closed longer ago than this "
                                             "(default FILATURE_CASE_RETENTION_DAYS)."),
    yes: bool = typer.Option(False, "--yes", help="Do it without asking."),
) -> None:
    """Apply the retention periods; each erasure is itself logged."""
    from filature.cases import retention

    settings = get_settings()
    audit_days = audit_days if audit_days is not None else settings.audit_retention_days
    case_days = case_days if case_days is not None else settings.case_retention_days
    if audit_days is None and case_days is None:
        console.print("no retention period set (FILATURE_AUDIT_RETENTION_DAYS, "
                      "FILATURE_CASE_RETENTION_DAYS): nothing erased")
        return
    if not yes:
        typer.confirm(f"Erase closed cases older than {case_days} days and audit entries "
                      f"older than {audit_days} days?", abort=True)
    with _open(ctx).session() as session:
        report = retention.apply_retention(session, _cli_actor(), case_days=case_days,
                                           audit_days=audit_days,
                                           evidence_dir=settings.evidence_dir)
    console.print(f"{len(report.cases)} closed case(s) erased ({report.files} evidence "
                  f"file(s)), {report.audit_entries} audit entries erased")
