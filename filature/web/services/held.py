"""Rows of one screening run held in memory by party, so that a page reads a slice, not a query.

A target page read three row sets by sender (his queue row, his transfers, his links to
receivers), each a DuckDB point query on the run's page tables (``prepare``). A query
costs the DuckDB client a fixed 1 to 2 ms of CPU whatever it returns (planning, the
result's conversion, the interpreter's lock taken back): 4.5 ms a target page at 1M
transfers, one page at a time, and more under 20 readers. Here each of those tables is
read once per run into an Arrow table sorted by party, with where each party's rows begin
and end; a page converts the few rows of its party (``to_pylist``): the three reads and
their finishing now take about 0.5 ms (benchmarks/README.md, web section).

The run's tables never change (a new run is a new set of tables, prepared again), so the
copy is as current as the tables it was read from. Arrow keeps the columns out of the
interpreter's heap (no object per value, nothing for the garbage collector to walk) until
a page asks for its rows.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from filature.web.services import Row


class PartyRows:
    """The rows of one query, sorted by a party column, and each party's run of rows.

    ``key`` must be the column the rows are sorted on; with ``keep_key`` False it is left
    out of the rows handed back (as the per-party queries leave it out)."""

    def __init__(self, table: pa.Table, key: str, keep_key: bool = True) -> None:
        ids = table.column(key).combine_chunks()
        runs = pc.run_end_encode(ids) if len(ids) else None
        ends = np.asarray(runs.run_ends, dtype=np.int64) if runs is not None \
            else np.zeros(0, dtype=np.int64)
        values = runs.values.to_pylist() if runs is not None else []
        if len(set(values)) != len(values):
            raise ValueError(f"rows not sorted by {key}: a party's rows must be contiguous")
        # One int per party, and the runs' bounds as arrays: a dict of tuples would cost
        # three objects a party (120,000 senders at 1M transfers).
        self._position = {party: i for i, party in enumerate(values)}
        self._starts = np.concatenate([[0], ends[:-1]]) if len(ends) else ends
        self._ends = ends
        self.table = table if keep_key else table.drop_columns([key])
        self._names = self.table.column_names

    def rows(self, party_id: str) -> list[dict[str, Any]]:
        """The party's rows, as a query would give them (``Row`` of Python values); none
        when the party has no row."""
        i = self._position.get(party_id)
        if i is None:
            return []
        start, stop = int(self._starts[i]), int(self._ends[i])
        part = self.table.slice(start, stop - start)
        columns = [column.to_pylist() for column in part.itercolumns()]
        names = self._names
        return [Row(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def _shared_strings(table: pa.Table, key: str) -> pa.Table:
    """String columns whose values repeat (a sender's name on each of his transfers, an
    operator, a city) stored once each, with an index per row: a third of the transfers'
    memory at 1M. ``to_pylist`` gives the same strings back."""
    for i, field in enumerate(table.schema):
        if field.name == key or not pa.types.is_string(field.type) or table.num_rows == 0:
            continue
        encoded = pc.dictionary_encode(table.column(i).combine_chunks())
        if len(encoded.dictionary) * 2 < table.num_rows:
            table = table.set_column(i, field.name, encoded)
    # A copy in Arrow's own memory: the columns DuckDB exported share one release per
    # batch, so one column kept would keep every replaced column's buffers alive too.
    return table.take(np.arange(table.num_rows))


def read_party_rows(cur: duckdb.DuckDBPyConnection, sql: str, key: str,
                    params: Any = None, keep_key: bool = True) -> PartyRows:
    """``sql`` read once into a ``PartyRows``: its rows must come ordered by ``key``
    (``PartyRows`` refuses rows that are not)."""
    # ``sql(...).to_arrow_table()``: Arrow straight from the result, no DB-API copy.
    table = cur.sql(sql, params=params).to_arrow_table()
    return PartyRows(_shared_strings(table, key), key, keep_key)
