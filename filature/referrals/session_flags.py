"""Flagging payments followed by a video session between the same people, within a window.

A payment is flagged when, within ``window_hours`` after it was sent, a session starts
(a) on an account of the payer whose other side is the receiver, or is not given, or is
unknown to the transfers; or (b) on an account of the receiver with the payer as the other
side. A session whose other side is a *different* known party is not evidence for this
payment and does not flag it. One row per flagged payment, with the first such session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from filature.errors import InputError
from filature.exports.tables import write_table
from filature.referrals.sessions import link_session_accounts

FLAG_COLUMNS = ("provider", "transfer_id", "sender_id", "receiver_id", "sent_at", "amount_eur",
                "session_started_at", "session_ended_at", "minutes_after", "account",
                "peer_account", "platform", "link", "sessions_in_window")


def compute_session_flags(con: duckdb.DuckDBPyConnection, window_hours: float) -> int:
    """Replace the stored flags for this window with a fresh computation; flags written."""
    if not 0 < window_hours <= 24 * 14:
        raise InputError("the window must be between 0 and 336 hours (14 days)",
                         column="window-hours")
    link_session_accounts(con)
    con.execute("DELETE FROM session_flags WHERE window_hours = ?", [window_hours])
    con.execute(
        """INSERT INTO session_flags
        WITH tx AS (
            SELECT t.provider, t.transfer_id, t.sent_at, t.amount_eur, p.sender_id,
                   p.receiver_id
            FROM transfers t JOIN transfer_parties p USING (provider, transfer_id)
        ), payer_side AS (   -- (a) the payer's account, peer the receiver or unknown
            SELECT tx.*, s.*, a.via AS account_via,
                   CASE WHEN s.peer_key IS NULL THEN 'no other side given'
                        WHEN pr.party_id IS NOT NULL THEN 'other side is the receiver ('
                             || pr.via || ')'
                        ELSE 'other side not in the transfers' END AS peer_link,
                   'payer''s ' || a.via AS account_link
            FROM tx JOIN session_accounts a ON a.side = 'sender' AND a.party_id = tx.sender_id
            JOIN sessions s ON s.account_key = a.account_key
                 AND s.started_at >= tx.sent_at
                 AND s.started_at <= tx.sent_at + to_microseconds(
                     CAST($window * 3600e6 AS BIGINT))
            LEFT JOIN session_accounts pr ON pr.account_key = s.peer_key
                 AND pr.side = 'receiver' AND pr.party_id = tx.receiver_id
            WHERE s.peer_key IS NULL OR pr.party_id IS NOT NULL
               OR s.peer_key NOT IN (SELECT account_key FROM session_accounts)
        ), receiver_side AS (  -- (b) the receiver's account with the payer on the other side
            SELECT tx.*, s.*, a.via AS account_via,
                   'other side is the payer (' || pp.via || ')' AS peer_link,
                   'receiver''s ' || a.via AS account_link
            FROM tx JOIN session_accounts a ON a.side = 'receiver'
                 AND a.party_id = tx.receiver_id
            JOIN sessions s ON s.account_key = a.account_key
                 AND s.started_at >= tx.sent_at
                 AND s.started_at <= tx.sent_at + to_microseconds(
                     CAST($window * 3600e6 AS BIGINT))
            JOIN session_accounts pp ON pp.account_key = s.peer_key AND pp.side = 'sender'
                 AND pp.party_id = tx.sender_id
        ), hits AS (
            SELECT * FROM payer_side UNION ALL SELECT * FROM receiver_side
        ), counted AS (
            SELECT *, count(DISTINCT (import_id, line)) OVER (
                       PARTITION BY provider, transfer_id) AS n
            FROM hits
            QUALIFY row_number() OVER (PARTITION BY provider, transfer_id
                                       ORDER BY started_at, import_id, line) = 1
        )
        SELECT $window, provider, transfer_id, sender_id, receiver_id, sent_at, amount_eur,
               started_at, ended_at,
               round(epoch(started_at - sent_at) / 60, 1), account, peer_account, platform,
               account_link || ' ' || account || '; ' || peer_link, n
        FROM counted""",
        {"window": float(window_hours)})
    return int(con.execute("SELECT count(*) FROM session_flags WHERE window_hours = ?",
                           [window_hours]).fetchall()[0][0])


def read_session_flags(con: duckdb.DuckDBPyConnection,
                       window_hours: float) -> list[dict[str, Any]]:
    """The flags stored for this window, by payment time (for exports and the timeline)."""
    cursor = con.execute(
        "SELECT * EXCLUDE (window_hours) FROM session_flags WHERE window_hours = ? "
        "ORDER BY sent_at, provider, transfer_id", [window_hours])
    assert tuple(d[0] for d in cursor.description) == FLAG_COLUMNS
    return [dict(zip(FLAG_COLUMNS, row, strict=True)) for row in cursor.fetchall()]


def flagged_payments_by_sender(con: duckdb.DuckDBPyConnection,
                               window_hours: float) -> dict[str, int]:
    """Flagged payments per sender, for the score's explanation (scoring may call this)."""
    return dict(con.execute(
        "SELECT sender_id, count(*) FROM session_flags WHERE window_hours = ? GROUP BY ALL",
        [window_hours]).fetchall())


def write_session_flags(rows: list[dict[str, Any]], fmt: str, out: Path | None) -> None:
    """``csv`` or ``json``, one row per flagged payment, to ``out`` (stdout when None)."""
    write_table(FLAG_COLUMNS, rows, fmt, out, format_column="format")
