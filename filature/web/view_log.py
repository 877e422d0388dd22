"""Page views written to the audit trail together: one transaction for all waiting views.

Every target and facilitator page is an act of consultation the trail must hold before
the page is sent. One commit per view made the trail's lock the queue that target pages
waited in: under 20 readers an append held it about 20 ms (its commit's fsync, and the
interpreter's lock to get back after each SQLite call), and views waited about 300 ms for
it (benchmarks/web_load.py, 1M transfers). Here the views that arrive while one batch is
being written are written by the next batch, in one transaction and one commit.

Nothing is given up: each view returns only once its own entry is committed (or raises
the batch's error, and its page fails as before), the entries are appended by
``audit.record`` in arrival order under the chain's lock, and a commit is as durable as
before (SQLite's synchronous setting is unchanged).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from filature.cases import audit
from filature.cases.db import CaseDatabase


@dataclass
class _View:
    actor: audit.Actor
    action: str
    fields: dict[str, Any]
    written: bool = False
    error: BaseException | None = None


@dataclass
class ViewLog:
    """Appends page views for every request thread of one app (see the module's doc)."""

    database: CaseDatabase
    # Every audit append of the app queues here, these batches and ``auth.log_event``'s
    # single entries alike, rather than in SQLite's busy handler.
    writing: threading.Lock = field(default_factory=threading.Lock)
    _waiting_lock: threading.Lock = field(default_factory=threading.Lock)
    _waiting: list[_View] = field(default_factory=list)

    def append(self, actor: audit.Actor, action: str, **fields: Any) -> None:
        """Write one view to the trail; return once it is committed."""
        view = _View(actor, action, fields)
        with self._waiting_lock:
            self._waiting.append(view)
        with self.writing:  # the thread that gets it writes every view waiting by then
            if not view.written and view.error is None:
                self._write_waiting()
        if view.error is not None:
            raise view.error

    def _write_waiting(self) -> None:
        with self._waiting_lock:
            batch, self._waiting = self._waiting, []
        try:
            with self.database.session() as session:  # commits at the end of the block
                for view in batch:
                    audit.record(session, view.actor, view.action, **view.fields)
        except Exception as error:  # noqa: BLE001 - handed to each view, whose page fails
            for view in batch:
                view.error = error
            return
        for view in batch:
            view.written = True
