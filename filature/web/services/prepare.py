"""Per-run page tables, built once per screening run in an in-memory database.

The store keeps transfers in load order and ``transfer_parties`` keyed by transfer, so
"every transfer of this sender" means a scan of a million rows. Here the transfers of the
run's parties are copied twice, sorted by sender and by receiver: DuckDB's row-group
min/max then skips all but a few row groups for one party. The queue table holds one row
per scored sender with what the queue shows and filters on (country, score, indicators).

Times are kept as UTC without a zone (``sent_at``, and the first and last seen derived
from it): DuckDB hands a time with a zone to Python through pytz, which cost about a fifth
of a target page's small queries; the pages show UTC dates either way.

SQL here and in the other service modules names the attached database through the
constant ``DB`` (an f-string, hence the ``noqa: S608``); every value from a reader is a
bound parameter.
"""

from __future__ import annotations

import duckdb

from filature.store.query import first_row

DB = "filature_web"  # attached in-memory database: shared by every cursor of the connection

PARTS = """from_json(breakdown, '[{"id": "VARCHAR", "label_en": "VARCHAR",
    "label_fr": "VARCHAR", "points": "DOUBLE"}]')"""

STEPS: tuple[str, ...] = (
    f"""CREATE OR REPLACE TABLE {DB}.party_tx AS
    SELECT p.sender_id, p.receiver_id, t.provider, t.transfer_id,
           timezone('UTC', t.sent_at) AS sent_at, t.sent_local,
           t.amount, t.currency, t.amount_eur, t.channel, t.message,
           t.sender_name, t.sender_name_norm, t.sender_birth_date, t.sender_id_number,
           t.sender_phone, t.sender_phone_e164, t.sender_email, t.sender_city,
           t.sender_country, t.receiver_name, t.receiver_name_norm, t.receiver_birth_date,
           t.receiver_id_number, t.receiver_phone, t.receiver_phone_e164, t.receiver_city,
           t.receiver_country, t.payout_location
    FROM transfers t JOIN transfer_parties p USING (provider, transfer_id)""",  # noqa: S608
    # Each copy keeps only what its pages read: sorting a million wide rows twice was half
    # of the server's start-up (the receiver side needs 15 of the 29 columns).
    f"""CREATE OR REPLACE TABLE {DB}.sender_tx AS
    SELECT * EXCLUDE (receiver_name_norm, receiver_birth_date, receiver_id_number,
                      receiver_phone, receiver_phone_e164, payout_location)
    FROM {DB}.party_tx ORDER BY sender_id, sent_at""",  # noqa: S608
    f"""CREATE OR REPLACE TABLE {DB}.receiver_tx AS
    SELECT receiver_id, sender_id, provider, sent_at, amount_eur, sender_country,
           receiver_name, receiver_name_norm, receiver_birth_date, receiver_id_number,
           receiver_phone, receiver_phone_e164, receiver_city, receiver_country, payout_location
    FROM {DB}.party_tx ORDER BY receiver_id, sent_at""",  # noqa: S608
    f"DROP TABLE {DB}.party_tx",  # noqa: S608
    f"""CREATE OR REPLACE TABLE {DB}.queue AS
    WITH agg AS (
        SELECT sender_id, count(*) AS transfers, sum(amount_eur) AS total_eur,
               min(sent_at) AS first_seen, max(sent_at) AS last_seen,
               mode(sender_name) AS name, mode(sender_country) AS country,
               count(DISTINCT receiver_id) AS receivers
        FROM {DB}.sender_tx GROUP BY sender_id
    ), parts AS (
        SELECT sender_id, score, rank, breakdown,
               list_filter({PARTS}, lambda x: x.points > 0) AS positive
        FROM sender_scores WHERE run_id = $run
    )
    SELECT p.rank, p.sender_id, p.score, a.name, a.country, a.transfers, a.total_eur,
           a.first_seen, a.last_seen, a.receivers,
           list_transform(p.positive, lambda x: x.id) AS indicators,
           array_to_string(list_transform(p.positive[1:3], lambda x: x.label_fr), ' ; ')
               AS top_fr,
           array_to_string(list_transform(p.positive[1:3], lambda x: x.label_en), '; ')
               AS top_en,
           t.target_id IS NOT NULL AS is_target, p.breakdown
    FROM parts p JOIN agg a USING (sender_id)
    LEFT JOIN targets t ON t.run_id = $run AND t.target_id = p.sender_id
    ORDER BY p.rank""",  # noqa: S608
    # The same rows sorted by sender: one target's row is then a one-row-group read.
    f"""CREATE OR REPLACE TABLE {DB}.senders AS
    SELECT * FROM {DB}.queue ORDER BY sender_id""",  # noqa: S608
    f"""CREATE OR REPLACE TABLE {DB}.receivers AS
    WITH agg AS (
        SELECT receiver_id, mode(receiver_name) AS name, mode(receiver_city) AS city,
               mode(receiver_country) AS country
        FROM {DB}.receiver_tx GROUP BY receiver_id
    )
    SELECT r.receiver_id, r.score, r.payers, r.unrelated_payers, r.transfer_count,
           r.total_eur, r.breakdown, a.name, a.city, a.country, f.rank AS facilitator_rank
    FROM receiver_scores r JOIN agg a USING (receiver_id)
    LEFT JOIN facilitators f ON f.run_id = $run AND f.receiver_id = r.receiver_id
    WHERE r.run_id = $run ORDER BY r.receiver_id""",  # noqa: S608
    # One row per payment link (sender -> receiver) with both ends' names and scores, twice:
    # by sender (his beneficiaries) and by receiver, likeliest buyer first (her payers).
    f"""CREATE OR REPLACE TABLE {DB}.links AS
    SELECT l.*, r.name AS receiver_name, r.city AS receiver_city,
           r.country AS receiver_country, r.score AS receiver_score, r.payers,
           r.unrelated_payers, r.facilitator_rank,
           q.name AS sender_name, q.country AS sender_country, q.score AS sender_score,
           q.rank AS sender_rank, q.is_target, q.top_fr, q.top_en
    FROM (SELECT sender_id, receiver_id, count(*) AS transfers, sum(amount_eur) AS total_eur,
                 min(sent_at) AS first_seen, max(sent_at) AS last_seen
          FROM {DB}.sender_tx GROUP BY sender_id, receiver_id) l
    LEFT JOIN {DB}.receivers r USING (receiver_id)
    LEFT JOIN {DB}.queue q USING (sender_id)""",  # noqa: S608
    # Per receiver, its likeliest payers (one more than the network draws, so that the
    # page's own sender can be left out) and how many payers it has in all.
    f"""CREATE OR REPLACE TABLE {DB}.receiver_top AS
    SELECT receiver_id, count(*) AS payer_count,
           list({{'sender_id': sender_id, 'name': sender_name, 'score': sender_score,
                 'rank': sender_rank, 'is_target': is_target, 'transfers': transfers}}
                ORDER BY sender_score DESC NULLS LAST, sender_id)[1:$top] AS top_payers
    FROM {DB}.links GROUP BY receiver_id""",  # noqa: S608
    f"""CREATE OR REPLACE TABLE {DB}.links_by_sender AS
    SELECT l.*, t.payer_count, t.top_payers
    FROM {DB}.links l JOIN {DB}.receiver_top t USING (receiver_id)
    ORDER BY l.sender_id""",  # noqa: S608
    f"DROP TABLE {DB}.receiver_top",  # noqa: S608
    f"""CREATE OR REPLACE TABLE {DB}.links_by_receiver AS
    SELECT * FROM {DB}.links
    ORDER BY receiver_id, sender_score DESC NULLS LAST, total_eur DESC""",  # noqa: S608
    f"DROP TABLE {DB}.links",  # noqa: S608
    f"""CREATE OR REPLACE TABLE {DB}.identities AS
    SELECT DISTINCT 'sender' AS side, sender_id AS party_id, sender_name AS name,
           sender_name_norm AS name_norm, sender_phone_e164 AS phone, sender_email AS email,
           sender_id_number AS id_number
    FROM {DB}.sender_tx
    UNION
    SELECT DISTINCT 'receiver', receiver_id, receiver_name, receiver_name_norm,
           receiver_phone_e164, NULL, receiver_id_number
    FROM {DB}.receiver_tx""",  # noqa: S608
    f"""CREATE OR REPLACE TABLE {DB}.countries AS
    SELECT country, count(*) AS n FROM {DB}.queue WHERE country IS NOT NULL
    GROUP BY country ORDER BY n DESC, country""",  # noqa: S608
    # A facilitator page's row by receiver id goes through an ART index rather than a
    # row-group scan (the senders' rows are held in memory, ``sender_rows``).
    f"CREATE INDEX receivers_id ON {DB}.receivers (receiver_id)",  # noqa: S608
    f"CREATE OR REPLACE TABLE {DB}.prepared AS SELECT $run AS run_id",
)


def _attach(cur: duckdb.DuckDBPyConnection) -> None:
    # READ_WRITE said outright: on a store opened read-only (several server processes)
    # DuckDB would otherwise open the in-memory database read-only too, and refuse it.
    cur.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {DB} (READ_WRITE)")


def prepared_run(cur: duckdb.DuckDBPyConnection) -> str | None:
    """The run whose page tables are ready, or None."""
    _attach(cur)
    exists = first_row(cur, "SELECT 1 FROM duckdb_tables() WHERE database_name = ? "
                            "AND table_name = 'prepared'", [DB])
    if not exists:
        return None
    row = first_row(cur, f"SELECT run_id FROM {DB}.prepared")  # noqa: S608
    return str(row[0]) if row else None


def prepare_run(cur: duckdb.DuckDBPyConnection, run_id: str, top_payers: int) -> None:
    """Build the page tables of ``run_id`` (seconds for a million transfers).

    ``top_payers``: how many payers of each receiver to keep for the network drawing.
    """
    cur.execute(f"DETACH DATABASE IF EXISTS {DB}")  # a new run: start from empty tables
    _attach(cur)
    for step in STEPS:
        params = {k: v for k, v in {"run": run_id, "top": top_payers}.items() if f"${k}" in step}
        cur.execute(step, params or None)
