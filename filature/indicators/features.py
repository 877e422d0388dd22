"""Features of each sender and receiver, computed set-based in the store from the transfers.

The pack's indicators are expressions over these columns. Each feature is one aggregate
over a party's transfers; "risk" means a transfer to one of the pack's risk countries.
Every statement is plain SQL run by the store's engine: no Python loop over transfers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa

from filature.resolve.components import components
from filature.store.query import NAME_KEY

if TYPE_CHECKING:
    from filature.indicators.pack import PackParameters

# Feature -> what it measures. These names are the vocabulary of the pack's measures.
SENDER_FEATURES: dict[str, str] = {
    "n_tx": "all transfers of the sender",
    "n_risk_tx": "transfers to a risk country",
    "small_risk_transfers": "transfers to a risk country within the small-amount band",
    "risk_receivers": "distinct beneficiaries in risk countries (name variants counted once)",
    "unrelated_risk_receivers": "distinct beneficiaries in risk countries sharing no family name",
    "unrelated_risk_share": "share of risk transfers to receivers sharing no family name",
    "related_share_risk": "share of risk transfers to receivers sharing a family name",
    "risk_receivers_short_period": "most distinct risk beneficiaries within one short period",
    "night_share_risk": "share of risk transfers sent at night, sender's local time",
    "round_small_share": "share of risk transfers that are round and within the small band",
    "cover_share_risk": "share of risk transfers with a cover-story description",
    "invoice_share": "share of all transfers with an invoice-like description",
    "large_share_risk": "share of risk transfers above the large-amount threshold",
    "risk_providers": "distinct operators carrying risk transfers",
    "age_gap_years": "mean years the sender is older than unrelated risk receivers",
    "median_risk_eur": "median risk transfer in EUR",
    "median_gap_risk": "median days between consecutive risk transfers",
    "escalation": "mean of the amount-time and frequency-time correlations (>= 5 risk transfers)",
    "prolific": "1 when median risk transfer < EUR 35 and median gap < 20 days (>= 5 transfers)",
    "regular_share_risk": "share of risk transfers within a steady series to one receiver",
    "top_beneficiary_share": "share of risk transfers to the most-paid beneficiary, by name",
    "monthly_payday_share": "share of risk transfers paid monthly to the same receiver, "
                            "within the sender's usual days of the month",
    "diaspora_share_risk": "share of risk transfers to a country whose family names the "
                           "sender carries",
}
RECEIVER_FEATURES: dict[str, str] = {
    "n_in": "transfers received",
    "payers": "distinct senders",
    "unrelated_payers": "distinct senders sharing no family name with the receiver",
    "related_share_in": "share of inflows from senders sharing a family name",
    "payer_countries": "distinct countries of the payers",
    "small_share_in": "share of inflows within the small-amount band",
    "night_share_in": "share of inflows sent at night in the payer's local time",
    "hotspot_share": "share of inflows paid out in a hotspot city",
    "modal_amount_share": "share of inflows at the most common (currency, amount)",
    "regular_payer_share": "share of payers paying in a steady series",
    "median_in_eur": "median inflow in EUR",
    "invoice_share_in": "share of inflows with an invoice-like description",
    "monthly_payday_share_in": "share of inflows paid monthly by the same payer, within "
                               "the payer's usual days of the month",
    "devoted_payer_share": "share of unrelated payers sending her nearly all their risk "
                           "transfers, over many transfers",
}


def _night_condition(start: int, end: int) -> str:
    hour = "hour(t.sent_local)"
    if start > end:  # the night wraps around midnight
        return f"({hour} >= {int(start)} OR {hour} < {int(end)})"
    return f"({hour} >= {int(start)} AND {hour} < {int(end)})"


def build_name_ties(con: duckdb.DuckDBPyConnection) -> None:
    """``name_ties``: the (sender name, receiver name) pairs that share a family name.

    Two names are tied when they share a token of three letters or more that is not a given
    name. A token counts as a given name when, across every distinct name in the data, it
    mostly stands first (names are mostly written "First Last"): "Jean-Luc Moreau" paying
    "Jean Cruz" shares only a given name, "Maria Santos" paying "Jose Santos" shares a
    family name. Learnt from the data, so it needs no list of names per culture.
    """
    con.execute(
        """CREATE OR REPLACE TEMP TABLE given_names AS
        WITH names AS (
            SELECT DISTINCT sender_name_norm AS n FROM transfers
            UNION SELECT DISTINCT receiver_name_norm FROM transfers
        ), tokens AS (
            SELECT t.tok, t.pos, len(string_split(n, ' ')) AS k
            FROM names, unnest(string_split(n, ' ')) WITH ORDINALITY AS t(tok, pos)
        )
        SELECT tok FROM tokens WHERE k > 1 AND length(tok) >= 3
        GROUP BY tok HAVING count(*) >= 3 AND avg((pos = 1)::INT) >= 0.6"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE name_ties AS
        WITH pairs AS (
            SELECT DISTINCT sender_name_norm AS s, receiver_name_norm AS r FROM transfers
        ), st AS (
            SELECT s, r, unnest(string_split(s, ' ')) AS tok FROM pairs
        ), rt AS (
            SELECT s, r, unnest(string_split(r, ' ')) AS tok FROM pairs
        )
        SELECT DISTINCT st.s AS sender_name_norm, st.r AS receiver_name_norm
        FROM st JOIN rt USING (s, r, tok)
        WHERE length(tok) >= 3 AND tok NOT IN (SELECT tok FROM given_names)"""
    )


def build_diaspora_ties(con: duckdb.DuckDBPyConnection, p: PackParameters) -> None:
    """``diaspora_ties``: the (sender name, receiver country) pairs where the sender carries a
    family name of that country.

    typology.md's flag is "no apparent family tie to the beneficiaries *or the country*
    (sender not of that diaspora)". A family name belongs to a country when it is common
    among the receivers there (at least ``diaspora_min_share`` of their distinct names and
    ``diaspora_min_names`` names) and several times (``diaspora_min_ratio``) more common
    there than among all senders: "cruz" among receivers in the Philippines, not "martin",
    which French senders carry as often. Learnt from the data: no list of names per culture.
    It only ever lowers a score (C06), never raises one.
    """
    con.execute(
        """CREATE OR REPLACE TEMP TABLE country_family_names AS
        WITH receivers AS (
            SELECT receiver_country AS country, receiver_name_norm AS name,
                   count(*) OVER (PARTITION BY receiver_country) AS names_in_country
            FROM (SELECT DISTINCT receiver_country, receiver_name_norm FROM transfers)
        ), receiver_tokens AS (
            SELECT country, tok, count(*) AS k, any_value(names_in_country) AS total
            FROM receivers, unnest(string_split(name, ' ')) AS u(tok)
            WHERE length(tok) >= 3 GROUP BY country, tok
        ), senders AS (
            SELECT DISTINCT sender_name_norm AS name FROM transfers
        ), sender_tokens AS (
            SELECT tok, count(*) / any_value((SELECT count(*) FROM senders)) AS share
            FROM senders, unnest(string_split(name, ' ')) AS u(tok) GROUP BY tok
        )
        SELECT r.country, r.tok FROM receiver_tokens r LEFT JOIN sender_tokens s USING (tok)
        WHERE r.k >= $min_names AND r.k / r.total >= $min_share
          AND r.k / r.total >= $min_ratio * coalesce(s.share, 0)
          AND r.tok NOT IN (SELECT tok FROM given_names)""",
        {"min_names": p.diaspora_min_names, "min_share": p.diaspora_min_share,
         "min_ratio": p.diaspora_min_ratio},
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE diaspora_ties AS
        WITH pairs AS (
            SELECT DISTINCT sender_name_norm, receiver_country FROM transfers
        ), tokens AS (
            SELECT sender_name_norm, receiver_country AS country,
                   unnest(string_split(sender_name_norm, ' ')) AS tok
            FROM pairs
        )
        SELECT DISTINCT sender_name_norm, country AS receiver_country
        FROM tokens JOIN country_family_names USING (country, tok)"""
    )


def build_transfer_flags(con: duckdb.DuckDBPyConnection, p: PackParameters) -> None:
    """``screen_tx``: every resolved transfer with the per-transfer flags the features count.

    The days since the pair's previous transfer (``pair_gap``) are added by
    ``build_beneficiaries``, which rewrites the table anyway: a window here sorted the whole
    wide row, a third of the statement's time at 1M transfers."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE screen_tx AS
        SELECT p.sender_id, p.receiver_id, t.provider, t.transfer_id, t.sent_at,
               t.amount, t.currency, t.amount_eur, t.sender_country, t.receiver_country,
               -- as written, for the lists' names, phones and cities
               t.sender_name, t.receiver_name, t.receiver_phone_e164, t.receiver_city,
               list_contains($risk, t.receiver_country) AS risk,
               t.amount_eur BETWEEN $small_lo AND $small_hi AS small,
               {_night_condition(*p.night_hours)} AS night,
               (t.amount % $round_unit = 0 AND t.amount_eur <= $small_hi) AS round_small,
               regexp_matches(lower(coalesce(t.message, '')), $cover) AS cover,
               regexp_matches(lower(coalesce(t.message, '')), $invoice) AS invoice,
               t.amount_eur > $large AS large,
               day(t.sent_local) AS local_day,
               nt.sender_name_norm IS NOT NULL AS related,
               dt.sender_name_norm IS NOT NULL AS diaspora,
               date_diff('day', t.sender_birth_date, t.receiver_birth_date) / 365.25 AS age_gap,
               list_contains($hotspots, lower(trim(coalesce(t.receiver_city, '')))) AS hotspot,
               -- One beneficiary however her identities are split (see build_beneficiaries),
               -- one payer however his records are: a name's tokens, sorted.
               {NAME_KEY.format(col="t.receiver_name_norm")} AS beneficiary_key,
               {NAME_KEY.format(col="t.sender_name_norm")} AS sender_key
        FROM transfers t JOIN transfer_parties p USING (provider, transfer_id)
        LEFT JOIN name_ties nt USING (sender_name_norm, receiver_name_norm)
        LEFT JOIN diaspora_ties dt USING (sender_name_norm, receiver_country)""",
        {
            "risk": list(p.risk_countries), "small_lo": p.small_amount_eur[0],
            "small_hi": p.small_amount_eur[1], "round_unit": p.round_unit,
            "cover": p.cover_story_pattern, "invoice": p.invoice_pattern,
            "large": p.large_amount_eur, "hotspots": [c.lower() for c in p.hotspot_cities],
        },
    )


def build_beneficiaries(con: duckdb.DuckDBPyConnection) -> None:
    """Replace ``screen_tx.beneficiary_key`` by the sender's *beneficiary*: the payees he
    pays that are one woman, by her resolved identity or by her name.

    Within one sender's transfers, two payees are one beneficiary when they share a
    receiving identity (the resolution joined "Maria Snatos" to "Maria Santos" by her phone)
    or a name (two identities the resolution kept apart, "Santos Maria" with no phone):
    connected components of (receiver id -- name) within each sender. A typo alone then no
    longer makes a second beneficiary, which the several-beneficiaries flags (S02, S03) and
    the one-beneficiary counter-indicator (C04) count. Per sender, never across senders:
    two payers' "Maria Santos" may be two women.

    The rewrite also adds ``pair_gap``, the days since the sender's previous transfer to
    the same receiver.
    """
    con.execute(
        """CREATE OR REPLACE TEMP TABLE screen_payees AS
           SELECT sender_id, receiver_id, beneficiary_key,
                  dense_rank() OVER (ORDER BY sender_id, receiver_id) - 1 AS by_id,
                  dense_rank() OVER (ORDER BY sender_id, beneficiary_key) - 1 AS by_name
           FROM (SELECT DISTINCT sender_id, receiver_id, beneficiary_key FROM screen_tx)""")
    edges = con.execute("SELECT by_id, by_name FROM screen_payees").fetchnumpy()
    by_id, by_name = np.asarray(edges["by_id"]), np.asarray(edges["by_name"])
    ids = int(by_id.max()) + 1 if len(by_id) else 0
    names = int(by_name.max()) + 1 if len(by_name) else 0
    labels = components(ids + names, by_id, by_name + ids)
    con.register("screen_beneficiary", pa.table({"by_id": np.arange(ids),
                                                 "beneficiary": labels[:ids]}))
    try:
        # Days since the sender's previous transfer to the same receiver, sorted on the
        # narrow columns only and joined back by row.
        con.execute(
            """CREATE OR REPLACE TEMP TABLE screen_tx AS
               WITH gaps AS (
                   SELECT rowid AS row_id, date_diff('second', lag(sent_at) OVER (
                              PARTITION BY sender_id, receiver_id ORDER BY sent_at), sent_at)
                              / 86400.0 AS pair_gap
                   FROM screen_tx
               )
               SELECT s.* REPLACE (b.beneficiary AS beneficiary_key), g.pair_gap
               FROM screen_tx s
               JOIN gaps g ON g.row_id = s.rowid
               JOIN screen_payees p USING (sender_id, receiver_id, beneficiary_key)
               JOIN screen_beneficiary b USING (by_id)""")
    finally:
        con.unregister("screen_beneficiary")
        con.execute("DROP TABLE screen_payees")


def build_pairs(con: duckdb.DuckDBPyConnection, p: PackParameters) -> None:
    """``screen_pairs``: one row per (sender, receiver), with whether the series is steady.

    A steady series (allowance, payroll, sponsorship) has near-fixed amounts and keeps to a
    beat: each interval is about a whole number of the usual one (a payroll that skips a
    week or a holiday month is still a payroll). Sessions bought when wanted do neither.
    """
    con.execute(
        """CREATE OR REPLACE TEMP TABLE screen_pairs AS
        WITH beats AS (
            SELECT sender_id, receiver_id, amount_eur, risk, related, pair_gap AS gap,
                   pair_gap / nullif(median(pair_gap) OVER (
                       PARTITION BY sender_id, receiver_id), 0) AS beats
            FROM screen_tx
        )
        SELECT sender_id, receiver_id, count(*) AS n, bool_or(risk) AS risk,
               bool_or(related) AS related, sum(amount_eur) AS total_eur,
               count(*) >= $min_n
                 AND coalesce(avg((beats >= 0.5 AND abs(beats - round(beats)) <= $tolerance)::INT)
                              FILTER (WHERE gap IS NOT NULL), 0) >= $on_beat
                 AND coalesce(stddev_pop(amount_eur) / nullif(avg(amount_eur), 0), 9) < $amt_cv
                 AS steady
        FROM beats GROUP BY sender_id, receiver_id""",
        {"min_n": p.regular_min_transfers, "tolerance": p.regular_beat_tolerance,
         "on_beat": p.regular_on_beat_share, "amt_cv": p.regular_amount_cv},
    )


def build_monthly_rhythm(con: duckdb.DuckDBPyConnection, p: PackParameters) -> None:
    """``screen_rhythm``: which risk transfers follow a family remittance's monthly rhythm.

    Family remittances go "monthly, around payday" (typology.md): a transfer counts when it
    comes about a month after the sender's previous transfer to the same receiver and falls
    within the sender's usual part of the month, the window of ``payday_window_days``
    consecutive days (circular over a 31-day month) holding most of his risk transfers.
    Sessions are bought when wanted, on any day and at any interval, so a buyer's transfers
    rarely line up like this; a payroll (weekly, fortnightly) does not either, C01 sees it.
    """
    con.execute(
        """CREATE OR REPLACE TEMP TABLE screen_rhythm AS
        WITH risk_tx AS (
            SELECT sender_id, receiver_id, provider, transfer_id, local_day, pair_gap
            FROM screen_tx WHERE risk
        ), windows AS (
            SELECT r.sender_id, w.start, count(*) AS k
            FROM risk_tx r, range(1, 32) w(start)
            WHERE (r.local_day - w.start + 31) % 31 < $window
            GROUP BY r.sender_id, w.start
        ), usual AS (
            -- ties (a window of days fits around a few transfers many ways): the earliest
            SELECT sender_id, arg_max(start, struct_pack(k := k, s := -start)) AS start
            FROM windows GROUP BY sender_id
        )
        SELECT r.sender_id, r.receiver_id, r.provider, r.transfer_id,
               (r.local_day - u.start + 31) % 31 < $window
                   AND coalesce(r.pair_gap BETWEEN $gap_lo AND $gap_hi, false) AS monthly_payday
        FROM risk_tx r JOIN usual u USING (sender_id)""",
        {"window": p.payday_window_days, "gap_lo": p.monthly_gap_days[0],
         "gap_hi": p.monthly_gap_days[1]},
    )


def build_sender_features(con: duckdb.DuckDBPyConnection, p: PackParameters) -> None:
    """``sender_features``: one row per sender entity, the columns of SENDER_FEATURES."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sender_features AS
        WITH risk_tx AS (
            SELECT s.*, pr.steady, rh.monthly_payday,
                   date_diff('second', lag(s.sent_at) OVER w, s.sent_at) / 86400.0 AS gap,
                   row_number() OVER w AS seq
            FROM screen_tx s JOIN screen_pairs pr USING (sender_id, receiver_id)
            JOIN screen_rhythm rh USING (sender_id, receiver_id, provider, transfer_id)
            WHERE s.risk
            WINDOW w AS (PARTITION BY s.sender_id ORDER BY s.sent_at)
        ), beneficiaries AS (
            SELECT sender_id, max(k) AS top_k FROM (
                SELECT sender_id, beneficiary_key, count(*) AS k FROM risk_tx GROUP BY ALL
            ) GROUP BY sender_id
        ), periods AS (
            SELECT sender_id, max(k) AS risk_receivers_short_period FROM (
                SELECT sender_id, count(DISTINCT beneficiary_key) AS k
                FROM risk_tx
                GROUP BY sender_id, time_bucket(to_days($days), sent_at)
            ) GROUP BY sender_id
        ), risk_agg AS (
            SELECT sender_id,
                   count(*) AS n_risk_tx,
                   count(*) FILTER (WHERE small) AS small_risk_transfers,
                   count(DISTINCT beneficiary_key) AS risk_receivers,
                   count(DISTINCT beneficiary_key) FILTER (WHERE NOT related)
                       AS unrelated_risk_receivers,
                   avg(CASE WHEN related THEN 0 ELSE 1 END) AS unrelated_risk_share,
                   avg(CASE WHEN related THEN 1 ELSE 0 END) AS related_share_risk,
                   avg(night::INT) AS night_share_risk,
                   avg(round_small::INT) AS round_small_share,
                   avg(cover::INT) AS cover_share_risk,
                   avg(large::INT) AS large_share_risk,
                   count(DISTINCT provider) AS risk_providers,
                   avg(age_gap) FILTER (WHERE NOT related) AS age_gap_years,
                   median(amount_eur) AS median_risk_eur,
                   median(gap) AS median_gap_risk,
                   avg(steady::INT) AS regular_share_risk,
                   avg(monthly_payday::INT) AS monthly_payday_share,
                   avg(diaspora::INT) AS diaspora_share_risk,
                   CASE WHEN count(*) >= 5 THEN
                       (CASE WHEN var_pop(amount_eur) > 0
                             THEN corr(epoch(sent_at), amount_eur) ELSE 0 END
                        + CASE WHEN var_pop(gap) > 0 THEN corr(seq, -gap) ELSE 0 END) / 2
                   ELSE 0 END AS escalation
            FROM risk_tx GROUP BY sender_id
        ), all_agg AS (
            SELECT sender_id, count(*) AS n_tx, avg(invoice::INT) AS invoice_share
            FROM screen_tx GROUP BY sender_id
        )
        SELECT a.sender_id, a.n_tx, coalesce(r.n_risk_tx, 0) AS n_risk_tx,
               coalesce(r.small_risk_transfers, 0) AS small_risk_transfers,
               coalesce(r.risk_receivers, 0) AS risk_receivers,
               coalesce(r.unrelated_risk_receivers, 0) AS unrelated_risk_receivers,
               coalesce(r.unrelated_risk_share, 0) AS unrelated_risk_share,
               coalesce(r.related_share_risk, 0) AS related_share_risk,
               coalesce(pe.risk_receivers_short_period, 0) AS risk_receivers_short_period,
               coalesce(r.night_share_risk, 0) AS night_share_risk,
               coalesce(r.round_small_share, 0) AS round_small_share,
               coalesce(r.cover_share_risk, 0) AS cover_share_risk,
               a.invoice_share,
               coalesce(r.large_share_risk, 0) AS large_share_risk,
               coalesce(r.risk_providers, 0) AS risk_providers,
               coalesce(r.age_gap_years, 0) AS age_gap_years,
               coalesce(r.median_risk_eur, 0) AS median_risk_eur,
               coalesce(r.median_gap_risk, 0) AS median_gap_risk,
               coalesce(r.escalation, 0) AS escalation,
               CASE WHEN r.n_risk_tx >= 5 AND r.median_risk_eur < 35 AND r.median_gap_risk < 20
                    THEN 1 ELSE 0 END AS prolific,
               coalesce(r.regular_share_risk, 0) AS regular_share_risk,
               coalesce(bn.top_k / r.n_risk_tx, 0) AS top_beneficiary_share,
               coalesce(r.monthly_payday_share, 0) AS monthly_payday_share,
               coalesce(r.diaspora_share_risk, 0) AS diaspora_share_risk
        FROM all_agg a LEFT JOIN risk_agg r USING (sender_id)
        LEFT JOIN periods pe USING (sender_id) LEFT JOIN beneficiaries bn USING (sender_id)""",
        {"days": p.short_period_days},
    )


def build_receiver_features(con: duckdb.DuckDBPyConnection, p: PackParameters) -> None:
    """``receiver_features``: one row per receiving identity, the columns of RECEIVER_FEATURES."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE receiver_features AS
        WITH modal AS (
            SELECT receiver_id, max(k) AS modal_n FROM (
                SELECT receiver_id, count(*) AS k FROM screen_tx
                GROUP BY receiver_id, currency, amount
            ) GROUP BY receiver_id
        ), devoted AS (
            -- Unrelated payers who send her (her name, however spelt) nearly all of their
            -- risk transfers, over many transfers: a one-to-one relationship.
            SELECT e.receiver_id,
                   avg((b.k >= $devoted_share * f.n_risk_tx
                        AND f.n_risk_tx >= $devoted_min)::INT) AS devoted_payer_share
            FROM (SELECT DISTINCT receiver_id, sender_id, beneficiary_key FROM screen_tx
                  WHERE risk AND NOT related) e
            JOIN (SELECT sender_id, beneficiary_key, count(*) AS k FROM screen_tx
                  WHERE risk GROUP BY sender_id, beneficiary_key) b
              USING (sender_id, beneficiary_key)
            JOIN sender_features f USING (sender_id)
            GROUP BY e.receiver_id
        ), pairs AS (
            SELECT receiver_id, count(*) AS payers,
                   count(*) FILTER (WHERE NOT related) AS unrelated_payers,
                   avg(steady::INT) AS regular_payer_share
            FROM screen_pairs GROUP BY receiver_id
        )
        SELECT t.receiver_id, count(*) AS n_in, pa.payers, pa.unrelated_payers,
               avg(related::INT) AS related_share_in,
               count(DISTINCT sender_country) AS payer_countries,
               avg(small::INT) AS small_share_in,
               avg(night::INT) AS night_share_in,
               avg(hotspot::INT) AS hotspot_share,
               any_value(m.modal_n) / count(*) AS modal_amount_share,
               any_value(pa.regular_payer_share) AS regular_payer_share,
               median(amount_eur) AS median_in_eur,
               avg(invoice::INT) AS invoice_share_in,
               coalesce(avg(rh.monthly_payday::INT), 0) AS monthly_payday_share_in,
               coalesce(any_value(dv.devoted_payer_share), 0) AS devoted_payer_share
        FROM screen_tx t JOIN pairs pa USING (receiver_id) JOIN modal m USING (receiver_id)
        LEFT JOIN screen_rhythm rh USING (sender_id, receiver_id, provider, transfer_id)
        LEFT JOIN devoted dv USING (receiver_id)
        GROUP BY t.receiver_id, pa.payers, pa.unrelated_payers""",
        {"devoted_share": p.devoted_share, "devoted_min": p.devoted_min_transfers},
    )


def build_features(con: duckdb.DuckDBPyConnection, p: PackParameters) -> None:
    """All feature tables of one screening, in dependency order."""
    build_name_ties(con)
    build_diaspora_ties(con, p)
    build_transfer_flags(con, p)
    build_beneficiaries(con)
    build_pairs(con, p)
    build_monthly_rhythm(con, p)
    build_sender_features(con, p)
    build_receiver_features(con, p)
