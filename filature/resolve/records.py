"""Party records: the distinct sender or receiver profiles that resolution links, not transfers.

A buyer with ten transfers usually shows one to three distinct records (a typo, a missing
birth date, a second phone); linking those records instead of the transfers keeps the
pairwise work small. Each record is keyed by a *signature*, a hash of its content, so the
same record gets the same key on every run and after every new load: the entity map and
the analysts' judgements are kept against these keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Side:
    """One side of a transfer: the columns that make up a party record and the id prefixes."""

    name: str              # sender | receiver
    record_prefix: str     # record signatures start with it: s: / r:
    entity_prefix: str     # entity ids start with it: SE- / RE-
    columns: dict[str, str]  # record column -> transfers column


SENDER = Side("sender", "s:", "SE-", {
    "name_norm": "sender_name_norm", "birth_date": "sender_birth_date",
    "id_number": "sender_id_number", "phone": "sender_phone_e164", "email": "sender_email",
    "address": "sender_address", "city": "sender_city", "country": "sender_country",
})
RECEIVER = Side("receiver", "r:", "RE-", {
    "name_norm": "receiver_name_norm", "birth_date": "receiver_birth_date",
    "id_number": "receiver_id_number", "phone": "receiver_phone_e164",
    "city": "receiver_city", "country": "receiver_country",
})
SIDES = {"sender": SENDER, "receiver": RECEIVER}
# Fields that tell two people apart: a record with none of them is only a name and a city.
IDENTIFIERS = ("birth_date", "id_number", "phone", "email", "address")


def side_of_reference(reference: str) -> Side:
    """The side a record signature or an entity id belongs to, from its prefix."""
    for side in SIDES.values():
        if reference.startswith((side.record_prefix, side.entity_prefix)):
            return side
    from filature.errors import InputError
    raise InputError(f"{reference!r} is neither a record (s:... r:...) nor an entity "
                     "(SE-... RE-...) id")


def signature_sql(side: Side, alias: str = "t") -> str:
    """SQL giving a transfer's record signature on ``side`` (stable across runs and loads)."""
    parts = ", ".join(f"coalesce(CAST({alias}.{col} AS VARCHAR), '')"
                      for col in side.columns.values())
    return f"'{side.record_prefix}' || left(md5(concat_ws(chr(31), {parts})), 16)"


def build_records(con: duckdb.DuckDBPyConnection, side: Side, table: str) -> int:
    """Write the distinct records of ``side`` into the temp table ``table``, with the
    derived columns the comparisons need; returns how many records there are.

    ``name_sorted`` (tokens in alphabetical order) makes "REY Bruno" and "Bruno Rey" equal;
    ``name_tokens`` feeds the compound-name and initials levels; ``initials`` the sorted
    first letters of the tokens. ``city_first`` and ``city_last`` are the city with the
    first and with the last sorted token; ``bare_first`` and ``bare_last`` the same, but only
    on a record with none of the ``IDENTIFIERS``: a name and a city, which only its name
    (maybe misspelt: one typo leaves the first or the last token whole) and its city can
    pair with the others.
    """
    cols = side.columns
    bare = " AND ".join(f"{c} IS NULL" for c in IDENTIFIERS if c in cols)
    select = ", ".join(f"{src} AS {dst}" for dst, src in cols.items())
    address = "lower(trim(address)) AS address," if "address" in cols else ""
    email = "email," if "email" in cols else ""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table} AS
            WITH sig AS (
                SELECT {signature_sql(side)} AS unique_id, {select} FROM transfers t
            ), raw AS (SELECT DISTINCT ON (unique_id) * FROM sig), toks AS (
                SELECT *, list_filter(string_split(name_norm, ' '), lambda x: x <> '') AS tk
                FROM raw
            ), rec AS (
                SELECT unique_id, name_norm,
                       array_to_string(list_sort(tk), ' ') AS name_sorted,
                       list_sort(tk) AS name_tokens,
                       array_to_string(list_sort(list_transform(tk, lambda x: x[1])), '')
                           AS initials,
                       birth_date, id_number, phone, {email} {address}
                       lower(city) AS city, country
                FROM toks
            ), keyed AS (
                SELECT *, city || '|' || name_tokens[1] AS city_first,
                       city || '|' || name_tokens[-1] AS city_last FROM rec
            )
            SELECT *, CASE WHEN {bare} THEN city_first END AS bare_first,
                   CASE WHEN {bare} THEN city_last END AS bare_last FROM keyed"""
    )
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()
    return int(rows[0][0])
