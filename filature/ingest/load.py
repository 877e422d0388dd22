"""Loading one transfer file into the store: all or nothing, idempotent, nothing lost.

The whole load is one DuckDB transaction: the file is read batch by batch (memory holds one
batch of raw text), each batch trimmed, then parsed and checked against the rules in one
set-based pass while its new phones are read in the background, then enriched (E.164 phones,
reference rates, normalised names: each worked out once per distinct value), compared with
what the store already holds under the same key (provider, transfer_id), and only then
written. A process killed half-way leaves the store as it was; loading the same file again
adds nothing; a different row under a known key is reported as a conflict and not loaded; a
row that breaks a rule goes to ``quarantine`` with its line and reason.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytz

from filature.errors import ConfigError, InputError, StoreError
from filature.ingest.fx import fx_source, rate_table
from filature.ingest.iso20022 import FORMAT as ISO_FORMAT
from filature.ingest.iso20022 import IsoColumns, is_iso20022, iso_batches, iso_columns
from filature.ingest.layout import Layout, build_layout
from filature.ingest.phones import BackgroundReading
from filature.ingest.readers import (
    SourceColumns,
    csv_batches,
    csv_columns,
    parquet_batches,
    parquet_columns,
)
from filature.ingest.rules import (
    norm_name,
    parse_parameters,
    parse_sql,
    sent_at_sql,
    single_zone_countries,
    trimmed,
)
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
STAGE_ROWS = 200_000  # records parsed per statement (memory holds about one such batch)


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


def _parsed_sql(layout: Layout, present: set[str], source: str) -> str:
    """``source``'s records parsed and checked (``rules.py``), with the wall-clock time at the
    sender: in the zone of the sender's country, or as written when the country has
    several."""
    _, written = sent_at_sql(layout, "p.sent_text")
    return f"""SELECT p.* EXCLUDE (sent_text),
                      CASE WHEN z.zone IS NOT NULL THEN timezone(z.zone, p.sent_at)
                           ELSE {written} END AS sent_local
               FROM ({parse_sql(layout, present, source)}) p
               LEFT JOIN country_zone z ON z.country = p.sender_country"""


def _queue_phones(con: duckdb.DuckDBPyConnection, batch: pa.Table,
                  reading: BackgroundReading) -> None:
    """Hand the batch's phones that are neither in the store nor queued to ``reading``."""
    lines = batch.column("line")
    if not len(lines):
        return
    new = con.execute(
        """INSERT INTO phones_queued
           SELECT DISTINCT raw, country FROM (
               SELECT sender_phone AS raw, coalesce(sender_country, '') AS country
               FROM parsed WHERE line BETWEEN $lo AND $hi AND sender_phone IS NOT NULL
               UNION ALL SELECT receiver_phone, coalesce(receiver_country, '')
               FROM parsed WHERE line BETWEEN $lo AND $hi AND receiver_phone IS NOT NULL)
           ANTI JOIN phone_numbers USING (raw, country)
           ANTI JOIN phones_queued USING (raw, country)
           RETURNING raw, country""",
        {"lo": pc.min(lines).as_py(), "hi": pc.max(lines).as_py()}).fetchall()
    reading.add(new)


def _stage(con: duckdb.DuckDBPyConnection, path: Path, cols: SourceColumns, parquet: bool,
           layout: Layout, progress: Progress | None) -> BackgroundReading:
    """``parsed``: every record of the file with its line, typed and checked batch by batch
    as it is read (memory holds one batch of raw text); the new phones read meanwhile."""
    present = sorted(cols.picked)
    params = parse_parameters(layout, set(present))
    zones = single_zone_countries()
    con.register("zones", pa.table({"country": [z[0] for z in zones],
                                    "zone": [z[1] for z in zones]}))
    con.execute("CREATE OR REPLACE TEMP TABLE country_zone AS SELECT * FROM zones")
    con.unregister("zones")
    columns = ", ".join(f"{c} VARCHAR" for c in present)
    # An empty staged_raw gives ``parsed`` its columns, even for a file without records.
    con.execute(f"CREATE OR REPLACE TEMP TABLE staged_raw (line BIGINT, {columns})")
    con.execute("CREATE OR REPLACE TEMP TABLE parsed AS "
                + _parsed_sql(layout, set(present), "staged_raw"), params)
    con.execute("DROP TABLE staged_raw")

    pending: list[pa.Table] = []

    def restart() -> None:
        con.execute("DELETE FROM parsed")
        cols.broken.clear()
        pending.clear()

    batches = (iso_batches(path, cols, progress) if isinstance(cols, IsoColumns)
               else parquet_batches(path, cols, progress) if parquet
               else csv_batches(path, cols, layout, progress, restart))
    insert = "INSERT INTO parsed " + _parsed_sql(layout, set(present), "batch")
    con.execute("CREATE OR REPLACE TEMP TABLE phones_queued (raw VARCHAR, country VARCHAR)")
    reading = BackgroundReading()
    def flush() -> None:
        # Batches gathered to STAGE_ROWS rows: fewer statements, and DuckDB spreads each
        # over the cores.
        batch = trimmed(pa.concat_tables(pending, promote_options="default"))
        pending.clear()
        con.register("batch", batch)
        con.execute(insert, params)
        con.unregister("batch")
        _queue_phones(con, batch, reading)

    try:
        for batch in batches:
            pending.append(batch)
            if sum(b.num_rows for b in pending) >= STAGE_ROWS:
                flush()
        if pending:
            flush()
    except BaseException:
        reading.close()
        raise
    return reading


def _lookups(con: duckdb.DuckDBPyConnection, reporting_currency: str,
             reading: BackgroundReading) -> None:
    """New phones into ``phone_numbers``; ``fx_lookup`` for the (currency, date) pairs seen."""
    read = reading.results()  # every phone of the file not yet in the store (_queue_phones)
    if read:
        con.register("new_phones", pa.table({
            "raw": pa.array([p[0] for p in read], pa.string()),
            "country": pa.array([p[1] for p in read], pa.string()),
            "e164": pa.array(list(read.values()), pa.string())}))
        con.execute("INSERT INTO phone_numbers SELECT raw, country, e164 FROM new_phones")
        con.unregister("new_phones")
    con.execute("""CREATE OR REPLACE TEMP TABLE fx_lookup (currency VARCHAR, rate_date DATE,
                   fx_date DATE, rate DOUBLE, reason VARCHAR)""")
    con.execute("""CREATE OR REPLACE TEMP TABLE fx_wanted AS
                   SELECT DISTINCT currency, sent_local::DATE AS rate_date FROM parsed
                   WHERE sent_local IS NOT NULL AND regexp_matches(currency, '^[A-Z]{3}$')""")
    # Rates an earlier load already looked up are taken from the store: reading the ECB
    # series shipped with the package takes about a second.
    con.execute(
        """INSERT INTO fx_lookup
           SELECT w.currency, w.rate_date, f.fx_date, f.rate, NULL
           FROM fx_wanted w JOIN fx_rates f USING (currency, rate_date)
           WHERE f.source = $source""", {"source": fx_source(reporting_currency)})
    wanted = con.execute("SELECT currency, rate_date FROM fx_wanted "
                         "ANTI JOIN fx_lookup USING (currency, rate_date)").fetchall()
    con.execute("DROP TABLE fx_wanted")
    rates = rate_table(wanted, reporting_currency)
    if rates:
        columns = list(zip(*rates, strict=True))
        con.register("rates", pa.table({
            "currency": pa.array(columns[0], pa.string()),
            "rate_date": pa.array(columns[1], pa.date32()),
            "fx_date": pa.array(columns[2], pa.date32()),
            "rate": pa.array(columns[3], pa.float64()),
            "reason": pa.array(columns[4], pa.string())}))
        con.execute("INSERT INTO fx_lookup SELECT * FROM rates")
        con.unregister("rates")


def _check(con: duckdb.DuckDBPyConnection, file_id: int) -> None:
    """``load_status``: each record's whole reason (the rules and the reference rate) and
    fate: quarantine, or add, duplicate or conflict against the store and earlier lines.

    Two records with one key are the same transfer when a hash of every captured value
    (``CONTENT``) is equal; it is computed only for the records whose key is met again, in
    the file or in the store (none, on a first load)."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE load_status AS
            WITH ruled AS (
                SELECT p.line, p.provider, p.transfer_id,
                       concat_ws('; ', nullif(p.reason, ''), f.reason) AS reason
                FROM parsed p LEFT JOIN fx_lookup f ON f.currency = p.currency
                     AND f.rate_date = p.sent_local::DATE
            ), ok AS (
                SELECT line, provider, transfer_id FROM ruled WHERE reason = ''
            ), repeated AS (
                SELECT provider, transfer_id FROM ok GROUP BY ALL HAVING count(*) > 1
            ), known AS (
                SELECT provider, transfer_id, source_file_id, source_line,
                       hash({", ".join(CONTENT)}) AS content
                FROM transfers SEMI JOIN ok USING (provider, transfer_id)
            ), met_again AS (
                SELECT o.line, hash({", ".join(f"p.{c}" for c in CONTENT)}) AS content
                FROM ok o JOIN parsed p USING (line)
                SEMI JOIN (SELECT provider, transfer_id FROM repeated
                           UNION SELECT provider, transfer_id FROM known) k
                     ON k.provider = o.provider AND k.transfer_id = o.transfer_id
            ), first_seen AS (
                SELECT provider, transfer_id, min(line) AS first_line,
                       arg_min(content, line) AS first_content
                FROM ok JOIN met_again USING (line)
                SEMI JOIN repeated USING (provider, transfer_id) GROUP BY ALL
            )
            SELECT o.line, o.reason,
                   CASE WHEN o.reason <> '' THEN 'quarantine'
                        WHEN o.line > f.first_line AND m.content = f.first_content
                            THEN 'duplicate'
                        WHEN o.line > f.first_line THEN 'conflict'
                        WHEN t.transfer_id IS NULL THEN 'add'
                        WHEN t.content = m.content THEN 'duplicate'
                        ELSE 'conflict' END AS status,
                   CASE WHEN o.line > f.first_line THEN $file_id ELSE t.source_file_id END
                       AS existing_file_id,
                   CASE WHEN o.line > f.first_line THEN f.first_line ELSE t.source_line END
                       AS existing_line
            FROM ruled o LEFT JOIN met_again m USING (line)
            LEFT JOIN first_seen f USING (provider, transfer_id)
            LEFT JOIN known t USING (provider, transfer_id)""",
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
                FROM parsed c JOIN load_status s USING (line) WHERE s.status = 'conflict'
            ), earlier AS (
                SELECT source_file_id AS file_id, source_line AS line, {content}
                FROM transfers SEMI JOIN conflicting USING (provider, transfer_id)
                UNION ALL
                SELECT $file_id, line, {content} FROM parsed
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
    adding = "SEMI JOIN (SELECT line FROM load_status WHERE status = 'add') USING (line)"
    # Names normalised once per distinct name: a national file repeats each name ~10 times.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE name_norms AS
                    SELECT name, {norm_name("name")} AS norm FROM (
                        SELECT sender_name AS name FROM parsed p {adding}
                        UNION SELECT receiver_name FROM parsed p {adding})""")
    computed = {
        "amount_eur": "round(p.amount::DOUBLE * f.rate, 2)", "fx_rate": "f.rate",
        "fx_date": "f.fx_date", "sender_phone_e164": "ps.e164",
        "receiver_phone_e164": "pr.e164", "sender_name_norm": "ns.norm",
        "receiver_name_norm": "nr.norm"}
    values = ", ".join(computed.get(c, f"p.{c}") for c in STORED)
    con.execute(f"""INSERT INTO transfers ({", ".join(STORED)}, source_file_id, source_line)
                    SELECT {values}, $file_id, p.line
                    FROM parsed p {adding}
                    LEFT JOIN fx_lookup f ON f.currency = p.currency
                         AND f.rate_date = p.sent_local::DATE
                    LEFT JOIN phone_numbers ps ON ps.raw = p.sender_phone
                         AND ps.country = coalesce(p.sender_country, '')
                    LEFT JOIN phone_numbers pr ON pr.raw = p.receiver_phone
                         AND pr.country = coalesce(p.receiver_country, '')
                    LEFT JOIN name_norms ns ON ns.name = p.sender_name
                    LEFT JOIN name_norms nr ON nr.name = p.receiver_name
                    ORDER BY p.line""",
                {"file_id": file_id})
    con.execute("DROP TABLE name_norms")
    con.execute("""INSERT INTO quarantine
                   SELECT $file_id, line, s.reason,
                          coalesce(p.raw, to_json(struct_pack(
                              transfer_id := p.transfer_id, sent_at := p.sent_at,
                              amount := p.amount, currency := p.currency)))
                   FROM parsed p JOIN load_status s USING (line)
                   WHERE s.status = 'quarantine' ORDER BY line""", {"file_id": file_id})
    if cols.broken:
        con.executemany("INSERT INTO quarantine VALUES (?, ?, ?, ?)",
                        [(file_id, b.line, b.reason, b.raw) for b in cols.broken])
    con.execute(
        """INSERT INTO fx_rates SELECT currency, rate_date, fx_date, rate, $source
           FROM fx_lookup WHERE rate IS NOT NULL AND currency <> $reporting
           ON CONFLICT DO NOTHING""",
        {"source": fx_source(reporting_currency), "reporting": reporting_currency})


def _open_layout(path: Path, mapping: str | Path | None, encoding: str | None,
                 delimiter: str | None, timezone: str | None,
                 settings: Settings, source_format: str | None = None,
                 provider: str | None = None) -> tuple[Layout, SourceColumns, bool]:
    """Everything checked before the store is touched: mapping, time zone, header."""
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    if source_format not in (None, "csv", "parquet", ISO_FORMAT):
        raise ConfigError(f"unknown format '{source_format}' (csv, parquet or {ISO_FORMAT})")
    layout = build_layout(mapping, encoding=encoding, delimiter=delimiter, timezone=timezone,
                          default_timezone=settings.timezone)
    if layout.timezone not in pytz.all_timezones_set:
        raise ConfigError(f"unknown time zone '{layout.timezone}' (e.g. Europe/Paris)")
    if provider:  # one operator for every row, whatever the file says
        layout = replace(layout, defaults={**layout.defaults, "provider": provider},
                         sources={c: s for c, s in layout.sources.items() if c != "provider"})
    if is_iso20022(path, source_format):
        if mapping or delimiter or encoding:
            raise ConfigError("--mapping, --delimiter and --encoding apply to CSV files, "
                              f"not to {ISO_FORMAT} XML")
        return layout, iso_columns(path, layout), False
    parquet = source_format == "parquet" or (
        source_format is None and path.suffix.lower() in PARQUET_SUFFIXES)
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
    source_format: str | None = None,
    provider: str | None = None,
) -> IngestReport:
    """Load one CSV, Parquet or ISO 20022 XML file of transfers; returns what was added,
    skipped, refused. ``source_format`` overrides detection; ``provider`` every row's."""
    settings = settings or get_settings()
    path = Path(path)
    layout, cols, parquet = _open_layout(path, mapping, encoding, delimiter, timezone, settings,
                                         source_format, provider)
    iso = isinstance(cols, IsoColumns)
    started = time.perf_counter()
    sha = _sha256(path)
    con.execute("BEGIN")
    try:
        file_id = int(scalar(con, "SELECT nextval('source_file_ids')"))
        try:
            reading = _stage(con, path, cols, parquet, layout, progress)
            try:
                _lookups(con, settings.reporting_currency, reading)
            finally:
                reading.close()
            _check(con, file_id)
            counts = dict(con.execute(
                "SELECT status, count(*) FROM load_status GROUP BY status").fetchall())
            refused, rows = con.execute(
                "SELECT count(*) FILTER (WHERE reason <> ''), count(*) FROM load_status"
            ).fetchall()[0]
            quarantined = int(refused) + len(cols.broken)
            rows_read = int(rows) + len(cols.broken)
            con.execute(
                "INSERT INTO source_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [file_id, path.name, str(path.resolve()), sha,
                 ISO_FORMAT if iso else "parquet" if parquet else "csv",
                 layout.mapping_name, layout.mapping_sha256,
                 None if parquet or iso else layout.encoding,
                 None if parquet or iso else cols.delimiter,
                 datetime.now(UTC), rows_read, counts.get("add", 0),
                 counts.get("duplicate", 0), counts.get("conflict", 0), quarantined])
            _write(con, file_id, cols, settings.reporting_currency)
            sample = con.execute(
                "SELECT line, reason FROM quarantine WHERE source_file_id = ? "
                "ORDER BY line LIMIT 20", [file_id]).fetchall()
            con.execute("DROP TABLE parsed")
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
