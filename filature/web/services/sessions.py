"""Payments followed by a video session, as the target page shows them beside the score.

The flags are those ``filature sessions flags`` stored (``session_flags``); the page never
computes them, so reading a target writes nothing. A store may hold flags for several
windows: the page shows the command's default window (6 h) when it was computed, else the
narrowest one stored, and says which. The count is corroborating evidence shown next to
the score, not part of it (the score is the screening run's, unchanged).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from filature.web.services import records
from filature.web.services.held import read_party_rows

DEFAULT_WINDOW_HOURS = 6.0   # the default of `filature sessions flags --window-hours`


@dataclass
class SessionEvidence:
    """A sender's flagged payments within one window, and the session files they came from."""

    window_hours: float | None
    transfers: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # by
    # (provider, transfer_id): a transfer id is unique only within its operator
    sources: list[str] = field(default_factory=list)   # "vidchat.csv (VidChat)"

    @property
    def count(self) -> int:
        return len(self.transfers)


def stored_window(cur: duckdb.DuckDBPyConnection) -> float | None:
    """The window the pages show: the default one if computed, else the narrowest; None
    when no flags were ever computed."""
    rows = cur.execute("SELECT DISTINCT window_hours FROM session_flags").fetchall()
    windows = sorted(float(r[0]) for r in rows)
    if not windows:
        return None
    return DEFAULT_WINDOW_HOURS if DEFAULT_WINDOW_HOURS in windows else windows[0]


def _flags_sql(one_sender: bool) -> str:
    """The flags of the shown window with their sources: one sender's (``?`` after the
    window), or every sender's in sender order (to hold them, ``HeldFlags``)."""
    return f"""SELECT f.sender_id, f.transfer_id, f.provider, f.minutes_after, f.platform,
            f.link, f.sessions_in_window,
            list_sort(list(DISTINCT i.name || coalesce(' (' || s.platform || ')', '')))
                AS sources
        FROM session_flags f
        LEFT JOIN sessions s ON s.account = f.account AND s.started_at = f.session_started_at
        LEFT JOIN session_imports i USING (import_id)
        WHERE f.window_hours = ? {"AND f.sender_id = ?" if one_sender else ""}
        GROUP BY ALL ORDER BY f.sender_id, f.transfer_id, f.provider"""  # noqa: S608


def _evidence(window: float, flags: list[dict[str, Any]]) -> SessionEvidence:
    for f in flags:
        f.pop("sender_id")
    sources = sorted({source for f in flags for source in f.pop("sources") if source})
    return SessionEvidence(window, {(f["provider"], f["transfer_id"]): f for f in flags},
                           sources)


def session_evidence(cur: duckdb.DuckDBPyConnection, sender_id: str,
                     window: float | None) -> SessionEvidence:
    """The sender's payments followed by a session in the shown ``window`` (``stored_window``),
    with their sources, by query (the reference ``HeldFlags`` is tested against)."""
    if window is None:
        return SessionEvidence(None)
    return _evidence(window, records(cur, _flags_sql(True), [window, sender_id]))


class HeldFlags:
    """Every sender's flags of the shown window, read once per run (``held.PartyRows``).

    The flags cannot change while the app runs: ``filature sessions flags`` writes them and
    cannot open the store the app holds."""

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self.window = stored_window(cur)
        self._flags = read_party_rows(cur, _flags_sql(False), "sender_id", [self.window]) \
            if self.window is not None else None

    def evidence(self, sender_id: str) -> SessionEvidence:
        """What ``session_evidence`` gives for this sender, from memory."""
        if self.window is None or self._flags is None:
            return SessionEvidence(None)
        return _evidence(self.window, self._flags.rows(sender_id))


def mark_timeline(points: list[dict[str, Any]], transfers: list[dict[str, Any]],
                  evidence: SessionEvidence) -> None:
    """Mark the timeline's points followed by a session; ``points`` were drawn one for one
    from ``transfers`` (which carry the operator the point lacks)."""
    for point, tx in zip(points, transfers, strict=True):
        flag = evidence.transfers.get((tx["provider"], tx["transfer_id"]))
        point["session"] = flag is not None
        if flag is not None:
            point["minutes_after"] = flag["minutes_after"]
