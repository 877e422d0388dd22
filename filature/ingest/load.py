"""Loading one transfer file into the store: all or nothing, idempotent, nothing lost.

The whole load is one DuckDB transaction: the file is staged batch by batch as raw text
(memory holds one batch), parsed and checked against the rules in one set-based pass,
enriched (E.164 phones, reference rates), compared with what the store already holds under
the same key (provider, transfer_id), and only then written. A process killed half-way
leaves the store as it was; loading the same file again adds nothing; a different row under
a known key is reported as a conflict and not loaded; a row that breaks a rule goes to
``quarantine`` with its line and reason.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytz

from filature.errors import ConfigError, InputError, StoreError
from filature.ingest.fx import SOURCE as FX_SOURCE
from filature.ingest.fx import rate_table
from filature.ingest.layout import Layout, build_layout
from filature.ingest.phones import read_phones
from filature.ingest.readers import (
    SourceColumns,
    csv_batches,
    csv_columns,
    parquet_batches,
    parquet_columns,
)
from filature.ingest.rules import parse_parameters, parse_sql, single_zone_countries
from filature.settings import Settings, get_settings
from filature.store.query import scalar

Progress = Callable[[int, int], None]

# What makes two rows with one key "the same transfer": every captured value.
CONTENT = (
    "sent_at", "amount", "currency", "channel", "sender_name", "sender_birth_date",
    "sender_id_number", "sender_phone", "sender_email", "sender_address", "sender_city",
    "sender_country", "receiver_name", "receiver_birth_date", "receiver_id_number",
    "receiver_phone", "receiver_city", "receiver_country", "payout_location", "message",
)
STORED = (
    "provider", "transfer_id", "sent_at", "sent_local", "amount", "currency", "amount_eur",
    "fx_rate", "fx_date", "channel", "sender_name", "sender_name_norm", "sender_birth_date",
    "sender_id_number", "sender_phone", "sender_phone_e164", "sender_email", "sender_address",
    "sender_city", "sender_country", "receiver_name", "receiver_name_norm",
    "receiver_birth_date", "receiver_id_number", "receiver_phone", "receiver_phone_e164",
    "receiver_city", "receiver_country", "payout_location", "message",
)
PARQUET_SUFFIXES = {".parquet", ".pq"}


@dataclass
class IngestReport:
    """What one load did, for the terminal, the web page and the ``source_files`` record."""

    file: str
    file_id: int
    rows_read: int
    added: int
    duplicates: int
    conflicts: int
    quarantined: int
    quarantine_sample: list[tuple[int, str]] = field(default_factory=list)
    elapsed_s: float = 0.0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stage(con: duckdb.DuckDBPyConnection, path: Path, cols: SourceColumns, parquet: bool,
           layout: Layout, progress: Progress | None) -> None:
    """``staged_raw``: every record of the file as text, with its line."""
    present = sorted(cols.picked)
    columns = ", ".join(f"{c} VARCHAR" for c in present)
    con.execute(f"CREATE OR REPLACE TEMP TABLE staged_raw (line BIGINT, {columns})")

    def restart() -> None:
        con.execute("DELETE FROM staged_raw")
        cols.broken.clear()

    batches = (parquet_batches(path, cols, progress) if parquet
               else csv_batches(path, cols, layout, progress, restart))
    names = ", ".join(["line", *present])
    for batch in batches:
        con.register("batch", batch)
        con.execute(f"INSERT INTO staged_raw SELECT {names} FROM batch")
    con.unregister("batch")


def _parse(con: duckdb.DuckDBPyConnection, cols: SourceColumns, layout: Layout) -> None:
    """``parsed``: typed values, reasons, and the wall-clock time at the sender."""
    present = set(cols.picked)
    con.execute("CREATE OR REPLACE TEMP TABLE country_zone (country VARCHAR, zone VARCHAR)")
    con.executemany("INSERT INTO country_zone VALUES (?, ?)", single_zone_countries())
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE parsed AS
            SELECT p.* EXCLUDE (sent_written),
                   CASE WHEN z.zone IS NOT NULL THEN timezone(z.zone, p.sent_at)
                        ELSE p.sent_written END AS sent_local
            FROM ({parse_sql(layout, present)}) p
            LEFT JOIN country_zone z ON z.country = p.sender_country""",
        parse_parameters(layout, present))
    con.execute("DROP TABLE staged_raw")


def _lookups(con: duckdb.DuckDBPyConnection, reporting_currency: str) -> None:
    """New phones into ``phone_numbers``; ``fx_lookup`` for the (currency, date) pairs seen."""
    new = con.execute(
        """WITH seen AS (
               SELECT DISTINCT sender_phone AS raw, coalesce(sender_country, '') AS country
               FROM parsed WHERE sender_phone IS NOT NULL
               UNION SELECT DISTINCT receiver_phone, coalesce(receiver_country, '')
               FROM parsed WHERE receiver_phone IS NOT NULL)
           SELECT raw, country FROM seen ANTI JOIN phone_numbers USING (raw, country)"""
    ).fetchall()
    if new:
        e164 = read_phones(new)
        con.register("new_phones", pa.table({
            "raw": pa.array([p[0] for p in new], pa.string()),
            "country": pa.array([p[1] for p in new], pa.string()),
            "e164": pa.array(e164, pa.string())}))
        con.execute("INSERT INTO phone_numbers SELECT raw, country, e164 FROM new_phones")
        con.unregister("new_phones")
    wanted = con.execute(
        """SELECT DISTINCT currency, sent_local::DATE FROM parsed
           WHERE sent_local IS NOT NULL AND regexp_matches(currency, '^[A-Z]{3}$')""").fetchall()
    con.execute("""CREATE OR REPLACE TEMP TABLE fx_lookup (currency VARCHAR, rate_date DATE,
                   fx_date DATE, rate DOUBLE, reason VARCHAR)""")
    rates = rate_table(wanted, reporting_currency)
    if rates:
        con.executemany("INSERT INTO fx_lookup VALUES (?, ?, ?, ?, ?)", rates)


def _check(con: duckdb.DuckDBPyConnection, file_id: int) -> None:
    """``checked`` (every record, final values and reason) and ``load_status`` (each valid
    record: add, duplicate or conflict against the store and earlier lines of the file)."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE checked AS
            SELECT p.* EXCLUDE (reason), round(p.amount::DOUBLE * f.rate, 2) AS amount_eur,
                   f.rate AS fx_rate, f.fx_date, ps.e164 AS sender_phone_e164,
                   pr.e164 AS receiver_phone_e164,
                   concat_ws('; ', nullif(p.reason, ''), f.reason) AS reason,
                   hash({", ".join(f"p.{c}" for c in CONTENT)}) AS content
            FROM parsed p
            LEFT JOIN fx_lookup f ON f.currency = p.currency
                 AND f.rate_date = p.sent_local::DATE
            LEFT JOIN phone_numbers ps ON ps.raw = p.sender_phone
                 AND ps.country = coalesce(p.sender_country, '')
            LEFT JOIN phone_numbers pr ON pr.raw = p.receiver_phone
                 AND pr.country = coalesce(p.receiver_country, '')""")
    con.execute("DROP TABLE parsed")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE load_status AS
            WITH ok AS (
                SELECT line, provider, transfer_id, content FROM checked WHERE reason = ''
            ), repeated AS (
                SELECT provider, transfer_id FROM ok GROUP BY ALL HAVING count(*) > 1
            ), first_seen AS (
                SELECT provider, transfer_id, min(line) AS first_line,
                       arg_min(content, line) AS first_content
                FROM ok SEMI JOIN repeated USING (provider, transfer_id) GROUP BY ALL
            )
            SELECT o.line,
                   CASE WHEN o.line > f.first_line AND o.content = f.first_content
                            THEN 'duplicate'
                        WHEN o.line > f.first_line THEN 'conflict'
                        WHEN t.transfer_id IS NULL THEN 'add'
                        WHEN hash({", ".join(f"t.{c}" for c in CONTENT)}) = o.content
                            THEN 'duplicate'
                        ELSE 'conflict' END AS status,
                   CASE WHEN o.line > f.first_line THEN $file_id ELSE t.source_file_id END
                       AS existing_file_id,
                   CASE WHEN o.line > f.first_line THEN f.first_line ELSE t.source_line END
                       AS existing_line
            FROM ok o LEFT JOIN first_seen f USING (provider, transfer_id)
            LEFT JOIN transfers t USING (provider, transfer_id)""",
        {"file_id": file_id})


def _write_conflicts(con: duckdb.DuckDBPyConnection, file_id: int) -> None:
    """Each conflict with the columns that differ from the row already held (or read)."""
    content = ", ".join(CONTENT)
    differs = ", ".join(f"CASE WHEN c.{col} IS DISTINCT FROM e.{col} THEN '{col}' END"
                        for col in CONTENT)
    con.execute(
        f"""INSERT INTO conflicts
            WITH conflicting AS (
                SELECT c.*, s.existing_file_id, s.existing_line
                FROM checked c JOIN load_status s USING (line) WHERE s.status = 'conflict'
            ), earlier AS (
                SELECT source_file_id AS file_id, source_line AS line, {content}
                FROM transfers SEMI JOIN conflicting USING (provider, transfer_id)
                UNION ALL
                SELECT $file_id, line, {content} FROM checked
                WHERE line IN (SELECT existing_line FROM conflicting
                               WHERE existing_file_id = $file_id)
            )
            SELECT $file_id, c.line, c.provider, c.transfer_id, c.existing_file_id,
                   c.existing_line, concat_ws(', ', {differs})
            FROM conflicting c JOIN earlier e
              ON e.file_id = c.existing_file_id AND e.line = c.existing_line""",
        {"file_id": file_id})


def _write(con: duckdb.DuckDBPyConnection, file_id: int, cols: SourceColumns,
           reporting_currency: str) -> None:
    """Conflicts, new transfers, quarantined records and the rates used."""
    _write_conflicts(con, file_id)
    stored = ", ".join(STORED)
    con.execute(f"""INSERT INTO transfers ({stored}, source_file_id, source_line)
                    SELECT {stored}, $file_id, line FROM checked
                    SEMI JOIN (SELECT line FROM load_status WHERE status = 'add') USING (line)
                    ORDER BY line""",
                {"file_id": file_id})
    con.execute("""INSERT INTO quarantine SELECT $file_id, line, reason,
                          coalesce(raw, to_json(struct_pack(transfer_id, sent_at, amount,
                                                            currency)))
                   FROM checked WHERE reason <> ''""", {"file_id": file_id})
    if cols.broken:
        con.executemany("INSERT INTO quarantine VALUES (?, ?, ?, ?)",
                        [(file_id, b.line, b.reason, b.raw) for b in cols.broken])
    con.execute(
        """INSERT INTO fx_rates SELECT currency, rate_date, fx_date, rate, $source
           FROM fx_lookup WHERE rate IS NOT NULL AND currency <> $reporting
           ON CONFLICT DO NOTHING""",
        {"source": FX_SOURCE, "reporting": reporting_currency})


def _open_layout(path: Path, mapping: str | Path | None, encoding: str | None,
                 delimiter: str | None, timezone: str | None,
                 settings: Settings) -> tuple[Layout, SourceColumns, bool]:
    """Everything checked before the store is touched: mapping, time zone, header."""
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    layout = build_layout(mapping, encoding=encoding, delimiter=delimiter, timezone=timezone,
                          default_timezone=settings.timezone)
    if layout.timezone not in pytz.all_timezones_set:
        raise ConfigError(f"unknown time zone '{layout.timezone}' (e.g. Europe/Paris)")
    parquet = path.suffix.lower() in PARQUET_SUFFIXES
    cols = parquet_columns(path, layout) if parquet else csv_columns(path, layout)
    return layout, cols, parquet


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: Path | str,
    *,
    mapping: str | Path | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    timezone: str | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Load one CSV or Parquet file of transfers; returns what was added, skipped, refused."""
    settings = settings or get_settings()
    path = Path(path)
    layout, cols, parquet = _open_layout(path, mapping, encoding, delimiter, timezone, settings)
    started = time.perf_counter()
    sha = _sha256(path)
    con.execute("BEGIN")
    try:
        file_id = int(scalar(con, "SELECT nextval('source_file_ids')"))
        try:
            _stage(con, path, cols, parquet, layout, progress)
            _parse(con, cols, layout)
            _lookups(con, settings.reporting_currency)
            _check(con, file_id)
            counts = dict(con.execute(
                "SELECT status, count(*) FROM load_status GROUP BY status").fetchall())
            refused, rows = con.execute(
                "SELECT count(*) FILTER (WHERE reason <> ''), count(*) FROM checked"
            ).fetchall()[0]
            quarantined = int(refused) + len(cols.broken)
            rows_read = int(rows) + len(cols.broken)
            con.execute(
                "INSERT INTO source_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [file_id, path.name, str(path.resolve()), sha,
                 "parquet" if parquet else "csv", layout.mapping_name, layout.mapping_sha256,
                 None if parquet else layout.encoding, None if parquet else cols.delimiter,
                 datetime.now(UTC), rows_read, counts.get("add", 0),
                 counts.get("duplicate", 0), counts.get("conflict", 0), quarantined])
            _write(con, file_id, cols, settings.reporting_currency)
            sample = con.execute(
                "SELECT line, reason FROM quarantine WHERE source_file_id = ? "
                "ORDER BY line LIMIT 20", [file_id]).fetchall()
            con.execute("DROP TABLE checked")
            con.execute("DROP TABLE load_status")
        except duckdb.Error as e:
            raise StoreError(f"loading {path.name} failed: {e}") from e
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return IngestReport(
        file=path.name, file_id=file_id, rows_read=rows_read, added=counts.get("add", 0),
        duplicates=counts.get("duplicate", 0), conflicts=counts.get("conflict", 0),
        quarantined=quarantined, quarantine_sample=[(int(a), str(b)) for a, b in sample],
        elapsed_s=time.perf_counter() - started)
