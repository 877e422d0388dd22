"""Streaming a transfer file as Arrow batches of text, each row with its line in the file.

Two CSV paths give the same batches. The fast one is Arrow's multi-threaded parser; its line
numbers are exact as long as every record is one well-formed line, which it checks batch by
batch. When it meets a broken record, a blank line or a value spanning lines, the file is
read again by the exact path (Python's csv module, slower), which knows where every record
starts, so a quarantined row always names its true line. Memory holds one batch at a time.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from filature.errors import InputError, MissingColumnsError
from filature.ingest.layout import REQUIRED, Layout

BATCH_ROWS = 200_000
Progress = Callable[[int, int], None]


@dataclass
class BrokenRecord:
    """A record that could not even be split into columns (wrong number of fields)."""

    line: int
    reason: str
    raw: str


@dataclass
class SourceColumns:
    """Which header each canonical column is read from, after matching names."""

    headers: list[str]                      # the file's header, as written
    picked: dict[str, str]                  # canonical column -> header as written
    delimiter: str = ","
    broken: list[BrokenRecord] = field(default_factory=list)


class _NeedsExactLines(Exception):
    """The fast parser met something that would shift its line numbers."""


def _match_columns(headers: list[str], layout: Layout, file: str) -> dict[str, str]:
    """Canonical column -> source header (names compared trimmed and case-insensitive)."""
    by_key = {h.strip().lower(): h for h in headers}
    picked = {}
    for canonical, source in layout.sources.items():
        header = by_key.get(source.strip().lower())
        if header is not None:
            picked[canonical] = header
    missing = [c for c in REQUIRED if c not in picked and c not in layout.defaults]
    if missing:
        named = [c if layout.sources.get(c, c) == c else f"{c} (mapped from "
                 f"'{layout.sources[c]}')" for c in missing]
        raise MissingColumnsError(
            f"missing required column{'s' if len(missing) > 1 else ''}: {', '.join(named)}; "
            "nothing was loaded", file=file, line=1, missing=missing)
    return picked


def _first_line(path: Path, encoding: str) -> str:
    with open(path, "rb") as f:
        head = f.readline()
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
    try:
        return head.decode(encoding).rstrip("\r\n")
    except UnicodeDecodeError as e:
        raise InputError(f"the header is not valid {encoding}: give --encoding cp1252 or "
                         "latin-1", file=path.name, line=1) from e


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def csv_columns(path: Path, layout: Layout) -> SourceColumns:
    """Read and check the header: which columns will be read, with which delimiter."""
    line = _first_line(path, layout.encoding)
    if not line.strip():
        raise InputError("the file is empty or its first line (the header) is blank",
                         file=path.name, line=1)
    delimiter = layout.delimiter or _sniff_delimiter(line)
    headers = next(csv.reader([line], delimiter=delimiter))
    return SourceColumns(headers, _match_columns(headers, layout, path.name), delimiter)


def _as_table(columns: dict[str, list[str] | pa.Array], lines: pa.Array) -> pa.Table:
    return pa.table({"line": lines, **columns})


def _may_span_lines(column: pa.Array) -> bool:
    """Whether a value of ``column`` may hold a line break, which would shift the lines.

    One search through the column's character buffer, much cheaper than a test per value;
    bytes of the buffer outside the column's values, if any, could only raise a false
    alarm, which costs the exact path, never a wrong line.
    """
    text = column.buffers()[2]
    return text is not None and b"\n" in text.to_pybytes()


def _fast_csv(path: Path, cols: SourceColumns, layout: Layout,
              progress: Progress | None) -> Iterator[pa.Table]:
    names = [f"c{i}" for i in range(len(cols.headers))]
    wanted = {c: names[cols.headers.index(h)] for c, h in cols.picked.items()}
    invalid: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append(1)
        return "skip"

    size = path.stat().st_size
    with open(path, "rb") as raw:
        reader = pacsv.open_csv(
            raw,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                           block_size=8 << 20, encoding=layout.encoding),
            parse_options=pacsv.ParseOptions(delimiter=cols.delimiter, newlines_in_values=True,
                                             ignore_empty_lines=False,
                                             invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(wanted.values()),
                column_types={n: pa.string() for n in wanted.values()},
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
        next_line = 2
        for batch in reader:
            if invalid:
                raise _NeedsExactLines
            if any(_may_span_lines(batch.column(name)) for name in wanted.values()):
                raise _NeedsExactLines
            n = batch.num_rows
            lines = pa.array(range(next_line, next_line + n), pa.int64())
            next_line += n
            if progress:
                progress(min(raw.tell(), size), size)
            yield _as_table({c: batch.column(n_) for c, n_ in wanted.items()}, lines)
        if invalid:
            raise _NeedsExactLines


def _undecodable_line(path: Path, encoding: str) -> int:
    """The first line of the file that ``encoding`` cannot decode (1-based)."""
    with open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError:
                return number
    return 0


def _records(path: Path, cols: SourceColumns, layout: Layout,
             raw: io.BufferedReader) -> Iterator[tuple[int, list[str]]]:
    """(first line, fields) of every record after the header, blank lines skipped."""
    text = io.TextIOWrapper(raw, encoding="utf-8-sig" if layout.encoding == "utf-8"
                            else layout.encoding, newline="")
    reader = csv.reader(text, delimiter=cols.delimiter)
    try:
        next(reader)
        start = reader.line_num + 1
        for record in reader:
            if record:
                yield start, record
            start = reader.line_num + 1
    except UnicodeDecodeError as e:
        raise InputError(f"not valid {layout.encoding}: give --encoding cp1252 or latin-1",
                         file=path.name, line=_undecodable_line(path, layout.encoding)) from e
    except csv.Error as e:
        raise InputError(f"unreadable CSV: {e}", file=path.name,
                         line=reader.line_num) from e
    finally:
        # The wrapper would close ``raw`` when dropped; the caller still asks raw.tell().
        text.detach()


def _exact_csv(path: Path, cols: SourceColumns, layout: Layout,
               progress: Progress | None) -> Iterator[pa.Table]:
    width = len(cols.headers)
    index = {c: cols.headers.index(h) for c, h in cols.picked.items()}
    size = path.stat().st_size
    with open(path, "rb") as raw:
        records = _records(path, cols, layout, raw)
        while chunk := list(itertools.islice(records, BATCH_ROWS)):
            good = []
            for line, record in chunk:
                if len(record) == width:
                    good.append((line, record))
                else:
                    cols.broken.append(BrokenRecord(
                        line, f"expected {width} fields, found {len(record)}",
                        cols.delimiter.join(record)))
            if progress:
                progress(min(raw.tell(), size), size)
            if good:
                lines = pa.array([g[0] for g in good], pa.int64())
                yield _as_table({c: pa.array([g[1][i] for g in good], pa.string())
                                 for c, i in index.items()}, lines)


def csv_batches(path: Path, cols: SourceColumns, layout: Layout,
                progress: Progress | None = None,
                restart: Callable[[], None] | None = None) -> Iterator[pa.Table]:
    """Batches of the CSV; ``restart`` is called before the exact path re-reads the file."""
    try:
        yield from _fast_csv(path, cols, layout, progress)
        return
    except _NeedsExactLines:
        pass
    except pa.ArrowInvalid as e:
        if "UTF8" not in str(e) and "utf8" not in str(e).lower():
            raise InputError(f"unreadable CSV: {e}", file=path.name) from e
        # Fall through: the exact path names the line where decoding fails.
    if restart:
        restart()
    yield from _exact_csv(path, cols, layout, progress)


def parquet_columns(path: Path, layout: Layout) -> SourceColumns:
    try:
        headers = pq.ParquetFile(path).schema_arrow.names
    except (pa.ArrowInvalid, OSError) as e:
        raise InputError(f"not a readable Parquet file: {e}", file=path.name) from e
    return SourceColumns(list(headers), _match_columns(list(headers), layout, path.name))


def parquet_batches(path: Path, cols: SourceColumns,
                    progress: Progress | None = None) -> Iterator[pa.Table]:
    """Batches of a Parquet file; a row's "line" is its row number (1 = first row)."""
    file = pq.ParquetFile(path)
    total = file.metadata.num_rows
    done = 0
    for batch in file.iter_batches(batch_size=BATCH_ROWS, columns=list(cols.picked.values())):
        n = batch.num_rows
        columns = {c: pc.cast(batch.column(h), pa.string()) for c, h in cols.picked.items()}
        yield _as_table(columns, pa.array(range(done + 1, done + n + 1), pa.int64()))
        done += n
        if progress:
            progress(done, total)
