"""Session logs (docs: shared/specs/sessions-csv.md): import, link accounts to parties, flag.

A platform's return to a legal request lists calls and logins of an account. The call
leaves no recording, but a payment followed within hours by a video session between the
payer and the receiver is strong evidence (typology.md: the buyer pays, then watches).
Accounts are tied to parties by the payer's email or phone as captured in the transfers, or
by a username an investigator attached to a person.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from filature.errors import InputError
from filature.referrals.normalise import email_norm, phone_e164
from filature.referrals.session_layout import (
    OPTIONAL,
    REQUIRED,
    SessionLayout,
    load_session_layout,
)
from filature.referrals.transaction import all_or_nothing
from filature.store.query import first_row, scalar

_PHONE_LIKE = re.compile(r"^\+?[0-9 ().-]{6,}$")


@dataclass
class SessionImport:
    """What one session file added, and the rows set aside with their reasons."""

    file: str
    import_id: int
    rows_read: int
    added: int
    quarantined: int
    already_loaded: bool = False
    quarantine_sample: list[tuple[int, str]] = field(default_factory=list)


def account_key(value: str, regions: list[str]) -> str:
    """The comparable form of an account: email lower case, phone E.164, else the username
    lower case (a number that is not a valid phone is kept as a username)."""
    text = value.strip()
    if "@" in text and email_norm(text):
        return str(email_norm(text))
    if _PHONE_LIKE.match(text):
        e164 = phone_e164(text, regions)
        if e164:
            return e164
    return text.lower()


def _instant(value: str, column: str, zone: str | None) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as e:
        raise ValueError(f"{column} {value!r} is not an ISO 8601 date and time") from e
    if moment.tzinfo is None and zone:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    if moment.tzinfo is None:
        raise ValueError(f"{column} {value!r} has no UTC offset (e.g. +01:00) and the mapping "
                         "names no time zone")
    return moment.astimezone(UTC)


def _regions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Countries for phones written without +: the senders' first (accounts are theirs)."""
    rows = con.execute(
        """SELECT country FROM (
             SELECT sender_country AS country, 0 AS side, count(*) AS n FROM transfers
             GROUP BY ALL UNION ALL
             SELECT receiver_country, 1, count(*) FROM transfers GROUP BY ALL)
           WHERE length(country) = 2 ORDER BY side, n DESC""").fetchall()
    return list(dict.fromkeys(r[0].upper() for r in rows))


def _parse_rows(path: Path, layout: SessionLayout,
                regions: list[str]) -> tuple[int, list[tuple], list[tuple]]:
    """(rows read, good rows, quarantined (line, reason, raw)); the file's header checked."""
    try:
        text = path.read_text(encoding=layout.format.encoding)
    except (UnicodeDecodeError, LookupError) as e:
        raise InputError(f"cannot read as {layout.format.encoding}: {e}", file=path.name) from e
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=layout.format.delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [layout.header_of(c) for c in REQUIRED if layout.header_of(c) not in header]
    if missing:
        raise InputError(f"missing column(s): {', '.join(missing)} (found: "
                         f"{', '.join(header) or 'no header'})", file=path.name, line=1)
    position = {name: header.index(layout.header_of(name)) for name in (*REQUIRED, *OPTIONAL)
                if layout.header_of(name) in header}
    zone = layout.format.timezone
    good, bad, read = [], [], 0
    for line, raw in enumerate(reader, start=2):
        if not any(cell.strip() for cell in raw):
            continue
        read += 1
        row = {name: (raw[i].strip() if i < len(raw) else "") for name, i in position.items()}
        try:
            if not row["account"]:
                raise ValueError("account is empty")
            started = _instant(row["start"], "start", zone)
            ended = _instant(row["end"], "end", zone) if row.get("end") else None
            if ended is not None and ended < started:
                raise ValueError(f"end {row['end']!r} is before start {row['start']!r}")
        except ValueError as e:
            bad.append((line, str(e), ",".join(raw)))
            continue
        peer = row.get("peer_account") or None
        good.append((line, row["account"], account_key(row["account"], regions), peer,
                     account_key(peer, regions) if peer else None, started, ended,
                     row.get("ip") or None, row.get("platform") or None))
    return read, good, bad


def import_sessions(con: duckdb.DuckDBPyConnection, path: Path,
                    mapping: Path | None = None) -> SessionImport:
    """Load a session file in one transaction (bad rows quarantined), then relink accounts.

    ``mapping`` is a TOML file describing another layout (see ``session_layout``)."""
    layout = load_session_layout(mapping)
    if not path.exists():
        raise InputError("no such file", file=str(path))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    done = first_row(con, "SELECT import_id, rows_read FROM session_imports WHERE sha256 = ?",
                     [sha])
    if done:
        return SessionImport(path.name, int(done[0]), int(done[1]), 0, 0, already_loaded=True)
    read, good, bad = _parse_rows(path, layout, _regions(con))
    with all_or_nothing(con):
        import_id = int(scalar(con, "SELECT nextval('session_import_ids')"))
        con.execute("INSERT INTO session_imports VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [import_id, path.name, sha, datetime.now(UTC), read, len(good), len(bad)])
        if good:
            con.executemany("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [(import_id, *row) for row in good])
        if bad:
            con.executemany("INSERT INTO session_quarantine VALUES (?, ?, ?, ?)",
                            [(import_id, *row) for row in bad])
        link_session_accounts(con)
    return SessionImport(path.name, import_id, read, len(good), len(bad),
                         quarantine_sample=[(line, reason) for line, reason, _ in bad[:10]])


def link_session_accounts(con: duckdb.DuckDBPyConnection) -> int:
    """Tie every session account to the parties whose email or phone it is (rebuilt each
    time: after a new load or resolution the parties change); usernames an investigator
    attached are kept. Returns the number of links."""
    con.execute("DELETE FROM session_accounts WHERE via IN ('email', 'phone')")
    con.execute(
        """INSERT INTO session_accounts
        WITH keys AS (SELECT account_key AS k FROM sessions
                      UNION SELECT peer_key FROM sessions WHERE peer_key IS NOT NULL),
        tp AS (SELECT t.sender_email, t.sender_phone_e164, t.receiver_phone_e164,
                      p.sender_id, p.receiver_id
               FROM transfers t JOIN transfer_parties p USING (provider, transfer_id)),
        links AS (
            SELECT sender_email AS k, 'sender' AS side, sender_id AS party_id, 'email' AS via
            FROM tp WHERE sender_email IN (SELECT k FROM keys)
            UNION SELECT sender_phone_e164, 'sender', sender_id, 'phone' FROM tp
            WHERE sender_phone_e164 IN (SELECT k FROM keys)
            UNION SELECT receiver_phone_e164, 'receiver', receiver_id, 'phone' FROM tp
            WHERE receiver_phone_e164 IN (SELECT k FROM keys)
        )
        SELECT k, side, party_id, via, NULL FROM links
        WHERE (k, side, party_id) NOT IN (SELECT (account_key, side, party_id)
                                          FROM session_accounts)""")
    return int(scalar(con, "SELECT count(*) FROM session_accounts"))


def attach_username(con: duckdb.DuckDBPyConnection, username: str, side: str, party_id: str,
                    attached_by: str) -> None:
    """An investigator ties a platform username to a party (the web app calls this)."""
    if side not in ("sender", "receiver"):
        raise InputError(f"side must be sender or receiver, not {side!r}", column="side")
    known = scalar(con, "SELECT count(*) FROM transfer_parties WHERE "
                        "CASE ? WHEN 'sender' THEN sender_id ELSE receiver_id END = ?",
                   [side, party_id])
    if not known:
        raise InputError(f"no {side} {party_id} in the transfers", column="party_id")
    con.execute("INSERT OR REPLACE INTO session_accounts VALUES (?, ?, ?, 'username', ?)",
                [username.strip().lower(), side, party_id, attached_by])
