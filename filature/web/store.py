"""The app's hold on the analytical store: one DuckDB connection, a cursor per request.

DuckDB lets one process open a file read-write; the app opens it once and gives every
request its own cursor (``con.cursor()``), which DuckDB makes safe across threads. The
pages of the latest screening run read per-run tables prepared once (``services.prepare``)
in an in-memory database attached to that connection, so a target page reads a few
sorted row groups instead of joining a million transfers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from filature.errors import FilatureError
from filature.settings import Settings
from filature.store import open_store
from filature.store.query import first_row
from filature.web.services.parties import OTHER_PAYERS, night_hours
from filature.web.services.prepare import prepare_run, prepared_run
from filature.web.services.queue import indicator_choices, ranked_queue
from filature.web.services.sessions import stored_window

RUN_CHECK_SECONDS = 5.0


def warm_up() -> None:
    """Read the typology pack and compile every template once, before the first readers:
    otherwise each of the first concurrent requests does it for itself, at once.

    Only a head start: a broken pack or template is left for its pages to report."""
    from jinja2 import TemplateError

    from filature.web.pages import TEMPLATES  # pages imports this module

    with suppress(FilatureError):
        night_hours()
        indicator_choices("fr")
    for name in TEMPLATES.env.list_templates(extensions=["html"]):
        with suppress(TemplateError):
            TEMPLATES.env.get_template(name)


class WebStore:
    """Opens the store on first use and keeps the latest run's page tables ready."""

    def __init__(self, db_path: Path | str, settings: Settings) -> None:
        self.db_path = Path(db_path) if str(db_path) != ":memory:" else None
        self._target = str(db_path)
        self.settings = settings
        self._con: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()
        self._run: str | None = None
        self._run_checked = 0.0
        self._window: tuple[float | None] | None = None  # (window,) once read

    def is_open(self) -> bool:
        return self._con is not None

    def open(self) -> None:
        """Open the store (done once; a no-op afterwards)."""
        self._connection()

    def _connection(self) -> duckdb.DuckDBPyConnection:
        con = self._con
        if con is not None:  # no lock once open: a run being prepared holds it for long
            return con
        with self._lock:
            if self._con is None:
                self._con = open_store(self._target, self.settings)
            return self._con

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own for one request, closed when the request ends."""
        cur = self._connection().cursor()
        try:
            yield cur
        finally:
            cur.close()

    def run_id(self, cur: duckdb.DuckDBPyConnection) -> str | None:
        """The latest finished screening run, its page tables prepared; None before any run.

        The answer is kept for ``RUN_CHECK_SECONDS``: a new run can only come from this
        process (the store is locked to it), and every page asks.
        """
        now = time.monotonic()
        if self._run is not None and now - self._run_checked < RUN_CHECK_SECONDS:
            return self._run
        row = first_row(cur, "SELECT run_id FROM screening_runs WHERE status = 'done' "
                             "ORDER BY started_at DESC LIMIT 1")
        if row is None:
            return None
        run_id = str(row[0])
        if run_id != self._run:
            with self._lock:  # one thread prepares; the others wait, then read
                if prepared_run(cur) != run_id:
                    prepare_run(cur, run_id, OTHER_PAYERS + 1)
                ranked_queue(cur, run_id)
                if self._run is None:
                    warm_up()
                self._run, self._window = run_id, None
        self._run_checked = now
        return run_id

    def session_window(self, cur: duckdb.DuckDBPyConnection) -> float | None:
        """The window of the session flags the target pages show (``stored_window``), read
        once per run: flags are written by `filature sessions flags`, which cannot open the
        store while the app holds it, and every target page asks."""
        if self._window is None:
            self._window = (stored_window(cur),)
        return self._window[0]

    def uploads(self) -> Path:
        """Where uploaded files are kept: a folder beside the store."""
        base = self.db_path.parent if self.db_path else Path(self.settings.db).resolve().parent
        folder = base / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
