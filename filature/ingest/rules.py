"""The rules of the canonical layout, as one SQL pass over the staged file: values and reasons.

The staged raw text goes through ``parse_sql``; a row that breaks a rule keeps its raw values
and gets a ``reason`` naming every broken rule ("amount: not a number '12,5'"), so nothing is
dropped silently. Names are normalised beside the raw value (lower case, no accents, letters
and digits separated by single spaces: ``norm_name``, which the load applies once per distinct
name), ID numbers to upper-case letters and digits, e-mails to lower case. Every value that
comes from a user or a mapping file is a bound parameter.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytz

from filature.ingest.layout import CANONICAL, Layout

COUNTRIES = sorted(pytz.country_names)  # ISO 3166-1 alpha-2, shipped with pytz
OFFSET = r"(Z|z|[+-]\d{2}(:?\d{2})?)$"
# What DuckDB's trim() takes off both ends of a value: the Unicode space separators
# (category Zs), not tabs or line breaks (tests/unit/test_ingest_rules.py compares the two).
SPACES = ("\u0020\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
          "\u2009\u200a\u202f\u205f\u3000")
REQUIRED_VALUES = ("transfer_id", "sent_at", "amount", "currency", "sender_name",
                   "sender_country", "receiver_name", "receiver_country")


def trimmed(batch: pa.Table) -> pa.Table:
    """``batch`` with its text values stripped of the spaces around them, as DuckDB's
    ``trim()`` does (``SPACES``), in one vectorised pass per column as the batch arrives:
    ``trim()`` on every column was the largest step of the SQL parse of a national file."""
    return pa.table({
        name: pc.utf8_trim(column, characters=SPACES)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type) else column
        for name, column in zip(batch.column_names, batch.columns, strict=True)})


def _raw(column: str, layout: Layout, present: set[str]) -> str:
    """The raw text of a canonical column (trimmed as read, ``trimmed``), a mapping's
    constant, or NULL."""
    if column in present:
        return f"nullif(b.{column}, '')"
    if column in layout.defaults:
        return f"nullif(trim($default_{column}), '')"
    return "NULL::VARCHAR"


def parse_parameters(layout: Layout, present: set[str]) -> dict[str, object]:
    """The values ``parse_sql`` binds: everything that comes from a user or a mapping file."""
    params: dict[str, object] = {"tz": layout.timezone, "countries": COUNTRIES}
    params.update({f"default_{c}": v for c, v in layout.defaults.items() if c not in present})
    if layout.datetime_format:
        params["datetime_format"] = layout.datetime_format
    if layout.date_format:
        params["date_format"] = layout.date_format
    return params


def norm_name(expr: str) -> str:
    """Lower case, accents removed, anything but letters and digits a single space."""
    return f"trim(regexp_replace(lower(strip_accents({expr})), '[^a-z0-9]+', ' ', 'g'))"


def _amount(layout: Layout) -> str:
    cleaned = "replace(replace(r.amount, ' ', ''), chr(160), '')"
    if layout.decimal == ",":
        cleaned = f"replace(replace({cleaned}, '.', ''), ',', '.')"
    return f"try_cast({cleaned} AS DECIMAL(18, 2))"


def sent_at_sql(layout: Layout, text: str = "r.sent_at") -> tuple[str, str]:
    """(instant as TIMESTAMPTZ, wall-clock time as written) of the ``sent_at`` text ``text``.

    The load reads the wall-clock time as written only for senders whose country spans
    several offsets (``single_zone_countries``): its regular expression is not run for
    the others."""
    if layout.datetime_format:
        if "%z" in layout.datetime_format or "%Z" in layout.datetime_format:
            instant = f"try_strptime({text}, $datetime_format)::TIMESTAMPTZ"
            return instant, f"timezone($tz, {instant})"
        naive = f"try_strptime({text}, $datetime_format)::TIMESTAMP"
        return f"timezone($tz, {naive})", naive
    has_offset = f"regexp_matches({text}, '{OFFSET}')"
    naive = f"try_cast(regexp_replace({text}, '{OFFSET}', '') AS TIMESTAMP)"
    instant = (f"CASE WHEN {has_offset} THEN try_cast({text} AS TIMESTAMPTZ) "
               f"ELSE timezone($tz, {naive}) END")
    return instant, naive


def _date(column: str, layout: Layout) -> str:
    if layout.date_format:
        return f"try_strptime(r.{column}, $date_format)::DATE"
    return f"try_cast(r.{column} AS DATE)"


def _quoted(column: str) -> str:
    return "'''' || " + column + " || ''''"


def _reasons(layout: Layout) -> list[str]:
    """One SQL CASE per rule, over the raw text ``r.x`` and the typed values ``r.t_x``."""
    dt_hint = layout.datetime_format or "ISO 8601"
    date_hint = layout.date_format or "YYYY-MM-DD"

    def unparsed(column: str, what: str) -> str:
        return (f"CASE WHEN r.{column} IS NOT NULL AND r.t_{column} IS NULL "
                f"THEN '{column}: {what} ' || {_quoted('r.' + column)} END")

    return [
        *(f"CASE WHEN r.{c} IS NULL THEN '{c}: missing' END" for c in REQUIRED_VALUES),
        unparsed("sent_at", f"not a date and time ({dt_hint})"),
        unparsed("amount", "not a number"),
        "CASE WHEN r.t_amount <= 0 THEN 'amount: must be above zero' END",
        "CASE WHEN r.currency IS NOT NULL AND NOT regexp_matches(r.t_currency, '^[A-Z]{3}$') "
        f"THEN 'currency: not an ISO 4217 code ' || {_quoted('r.currency')} END",
        *(f"CASE WHEN r.{c} IS NOT NULL AND NOT list_contains($countries, r.t_{c}) "
          f"THEN '{c}: not an ISO 3166 country code ' || {_quoted('r.' + c)} END"
          for c in ("sender_country", "receiver_country")),
        *(unparsed(f"{side}_birth_date", f"not a date ({date_hint})")
          for side in ("sender", "receiver")),
    ]


def parse_sql(layout: Layout, present: set[str], source: str = "staged_raw") -> str:
    """SELECT turning staged raw text into typed columns, a reason and the refused records.

    Nested projections, one pass over ``source`` and no join, so that each value is parsed
    once: raw text ``r.x``, then typed values beside it (``r.t_x``), then the rules over both.
    The raw record is kept (as JSON) only for a row that breaks a rule.
    """
    raw = ",\n".join(f"{_raw(c, layout, present)} AS {c}" for c in CANONICAL)
    instant, _ = sent_at_sql(layout)
    raw_json = "to_json(struct_pack(" + ", ".join(f"{c} := r.{c}" for c in CANONICAL) + "))"
    return f"""
    SELECT r.line, coalesce(r.provider, '') AS provider, r.transfer_id,
           r.t_sent_at AS sent_at, r.sent_at AS sent_text, r.t_amount AS amount,
           r.t_currency AS currency, lower(r.channel) AS channel,
           r.sender_name,
           r.t_sender_birth_date AS sender_birth_date,
           nullif(regexp_replace(upper(r.sender_id_number), '[^A-Z0-9]', '', 'g'), '')
               AS sender_id_number,
           r.sender_phone, lower(r.sender_email) AS sender_email, r.sender_address,
           r.sender_city, r.t_sender_country AS sender_country,
           r.receiver_name,
           r.t_receiver_birth_date AS receiver_birth_date,
           nullif(regexp_replace(upper(r.receiver_id_number), '[^A-Z0-9]', '', 'g'), '')
               AS receiver_id_number,
           r.receiver_phone, r.receiver_city, r.t_receiver_country AS receiver_country,
           r.payout_location, r.message, r.reason,
           CASE WHEN r.reason <> '' THEN {raw_json} END AS raw
    FROM (
        SELECT r.*, concat_ws('; ', {", ".join(_reasons(layout))}) AS reason
        FROM (
            SELECT r.*, {instant} AS t_sent_at,
                   {_amount(layout)} AS t_amount, upper(r.currency) AS t_currency,
                   upper(r.sender_country) AS t_sender_country,
                   upper(r.receiver_country) AS t_receiver_country,
                   {_date("sender_birth_date", layout)} AS t_sender_birth_date,
                   {_date("receiver_birth_date", layout)} AS t_receiver_birth_date
            FROM (SELECT b.line, {raw} FROM {source} b) r
        ) r
    ) r"""


@lru_cache(maxsize=1)
def single_zone_countries() -> list[tuple[str, str]]:
    """(country, time zone) for countries whose zones all keep one offset from UTC.

    A transfer's local time is read in the sender country's zone when that is unambiguous
    (France: Europe/Paris), whatever offset the operator wrote; in countries spanning
    several offsets (US, Australia...) the offset written with the time is kept.
    """
    def offsets(zone: str) -> tuple[Any, Any]:
        tz = pytz.timezone(zone)
        return tz.utcoffset(datetime(2024, 1, 15)), tz.utcoffset(datetime(2024, 7, 15))

    # Reading a zone's rules costs a few milliseconds and there are 400 zones: a country
    # with one zone needs none read, and a country is given up at its first zone that
    # differs from its first.
    pairs = []
    for country, zones in pytz.country_timezones.items():
        if len(zones) > 1:
            first = offsets(zones[0])
            if any(offsets(z) != first for z in zones[1:]):
                continue
        pairs.append((country, zones[0]))
    return pairs
