"""A sender's rows as his target page reads them: by query, or held in memory for the run.

Two sources give the same rows: ``SenderQueries`` reads the run's page tables (``prepare``)
with one query per row set, and is the reference; ``HeldSenders`` reads those tables once
per run into memory (``held.PartyRows``) and is what the app serves pages from, a slice
per row set instead of a query (see ``held`` for why). Both run the same SELECT lists,
so a column added to one is in the other; tests compare them row for row.
"""

from __future__ import annotations

from typing import Any, Protocol

import duckdb

from filature.web.services import record, records
from filature.web.services.held import PartyRows, read_party_rows
from filature.web.services.prepare import DB

# The sender's queue row (``SELECT *``), with the JSON breakdown as the text a query gives.
TARGET_COLUMNS = "*"
TRANSFER_COLUMNS = """provider, transfer_id, sent_at, sent_local, amount, currency,
    amount_eur, channel, receiver_id, receiver_name, receiver_city, receiver_country, message,
    sender_name, sender_birth_date, sender_phone_e164, sender_phone, sender_email,
    sender_id_number, sender_city, sender_country"""
LINK_COLUMNS = """receiver_id, transfers, total_eur, first_seen, last_seen,
    receiver_name AS name, receiver_city AS city, receiver_country AS country,
    receiver_score AS score, payers, unrelated_payers, facilitator_rank,
    payer_count, top_payers"""

# (table, columns): the three row sets of a target page, each by ``sender_id``.
READS = {
    "target": ("senders", TARGET_COLUMNS),
    "transfers": ("sender_tx", TRANSFER_COLUMNS),
    "links": ("links_by_sender", LINK_COLUMNS),
}


class SenderSource(Protocol):
    """Where a target page's rows come from."""

    def target_row(self, sender_id: str) -> dict[str, Any] | None: ...

    def transfer_rows(self, sender_id: str) -> list[dict[str, Any]]: ...

    def link_rows(self, sender_id: str) -> list[dict[str, Any]]: ...


class SenderQueries:
    """A sender's rows by query on the page tables (one query each)."""

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self.cur = cur

    def _sql(self, name: str) -> str:
        table, columns = READS[name]
        return f"SELECT {columns} FROM {DB}.{table} WHERE sender_id = ?"  # noqa: S608

    def target_row(self, sender_id: str) -> dict[str, Any] | None:
        return record(self.cur, self._sql("target"), [sender_id])

    def transfer_rows(self, sender_id: str) -> list[dict[str, Any]]:
        return records(self.cur, self._sql("transfers"), [sender_id])

    def link_rows(self, sender_id: str) -> list[dict[str, Any]]:
        return records(self.cur, self._sql("links"), [sender_id])


class HeldSenders:
    """Every sender's rows of one run in memory, read once from the page tables.

    About 1M transfers' worth of Arrow columns; rebuilt with the page
    tables when a new run is prepared. Safe to share between request threads: nothing is
    written after construction."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, run_id: str) -> None:
        self.run_id = run_id
        self._sets: dict[str, PartyRows] = {}
        for name, (table, columns) in READS.items():
            # sender_id first so it can be the key, then dropped where the query leaves it
            # out. Ordered although the tables are stored by sender: a scan's order is a
            # setting of the connection (``preserve_insertion_order``), not a promise, and
            # the table's own order (rowid) within a sender is the point query's.
            keyed = columns if columns == "*" else f"sender_id, {columns}"
            sql = (f"SELECT {keyed} FROM {DB}.{table} "  # noqa: S608
                   "ORDER BY sender_id, rowid")
            self._sets[name] = read_party_rows(cur, sql, "sender_id",
                                               keep_key=columns == "*")

    def target_row(self, sender_id: str) -> dict[str, Any] | None:
        rows = self._sets["target"].rows(sender_id)
        return rows[0] if rows else None

    def transfer_rows(self, sender_id: str) -> list[dict[str, Any]]:
        return self._sets["transfers"].rows(sender_id)

    def link_rows(self, sender_id: str) -> list[dict[str, Any]]:
        return self._sets["links"].rows(sender_id)
