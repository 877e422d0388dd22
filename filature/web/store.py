"""The app's hold on the analytical store: one DuckDB connection, a cursor per request.

DuckDB lets one process open a file read-write, or several processes read-only; the app
opens it once (read-only when ``settings.store_read_only``: ``filature serve --workers``
above 1) and gives every request its own cursor (``con.cursor()``), which DuckDB makes
safe across threads. The pages of the latest screening run read per-run tables prepared
once (``services.prepare``) in an in-memory database attached to that connection, so a
target page reads a few sorted row groups instead of joining a million transfers (each
process prepares its own). What the busiest pages read is then held in memory for the run
(``RunPages``): the queue's orders, every sender's rows and session flags, so that a queue
or target page reads its rows without a query.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from filature.errors import FilatureError, StoreError
from filature.settings import Settings
from filature.store import open_store
from filature.store.query import first_row
from filature.web.services.aliases import HeldAliases
from filature.web.services.parties import OTHER_PAYERS, night_hours
from filature.web.services.prepare import prepare_run, prepared_run
from filature.web.services.queue import RankedQueue, countries, indicator_choices
from filature.web.services.sender_rows import HeldSenders
from filature.web.services.sessions import HeldFlags

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


@dataclass(frozen=True)
class RunPages:
    """What the pages of one screening run read from memory, built once when the run is
    prepared and replaced as a whole by the next run's (one attribute swapped: a request
    sees one run's pages or the other's, never a mix)."""

    run_id: str
    queue: RankedQueue
    senders: HeldSenders
    flags: HeldFlags
    countries: list[dict[str, Any]]
    aliases: HeldAliases


class WebStore:
    """Opens the store on first use and keeps the latest run's page tables ready."""

    def __init__(self, db_path: Path | str, settings: Settings) -> None:
        self.db_path = Path(db_path) if str(db_path) != ":memory:" else None
        self._target = str(db_path)
        self.settings = settings
        # Read-only: pages read as before; imports and referral uploads are refused (the
        # command line loads files), and no new run can appear while the store is open.
        self.read_only = settings.store_read_only
        if self.read_only and self.db_path is None:  # said at once, not at the first page
            raise StoreError("a store opened read-only must be a file, not :memory:")
        self._con: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()
        self._pages: RunPages | None = None
        self._run_checked = 0.0

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
                con = open_store(self._target, self.settings, read_only=self.read_only)
                # DuckDB's allocator keeps the memory a query freed unless its background
                # threads hand it back: preparing a run (sorts of a million rows) and
                # reading it into memory (``RunPages``) otherwise left ~500 MB resident
                # for nothing at 1M transfers (benchmarks/README.md, web section).
                con.execute("SET allocator_background_threads = true")
                self._con = con
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
        """The latest finished screening run, its page tables prepared; None before any run."""
        pages = self.run_pages(cur)
        return pages.run_id if pages is not None else None

    def run_pages(self, cur: duckdb.DuckDBPyConnection) -> RunPages | None:
        """The latest finished screening run's pages in memory (its page tables prepared);
        None before any run.

        The answer is kept for ``RUN_CHECK_SECONDS``: a new run can only come from this
        process (the store is locked to it; read-only, from none), and every page asks.
        """
        now = time.monotonic()
        pages = self._pages
        if pages is not None and now - self._run_checked < RUN_CHECK_SECONDS:
            return pages
        row = first_row(cur, "SELECT run_id FROM screening_runs WHERE status = 'done' "
                             "ORDER BY started_at DESC LIMIT 1")
        if row is None:
            return None
        run_id = str(row[0])
        if pages is None or run_id != pages.run_id:
            with self._lock:  # one thread prepares; the others wait, then read
                if self._pages is None or self._pages.run_id != run_id:
                    if prepared_run(cur) != run_id:
                        prepare_run(cur, run_id, OTHER_PAYERS + 1)
                    first = self._pages is None
                    self._pages = RunPages(run_id=run_id, queue=RankedQueue(cur, run_id),
                                           senders=HeldSenders(cur, run_id),
                                           flags=HeldFlags(cur),
                                           countries=countries(cur),
                                           aliases=HeldAliases(cur, run_id))
                    if first:
                        warm_up()
                pages = self._pages
        self._run_checked = now
        return pages

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
