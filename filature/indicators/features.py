"""Features of each sender and receiver, computed set-based in the store from the transfers.

The pack's indicators are expressions over these columns. Each feature is one aggregate
over a party's transfers; "risk" means a transfer to one of the pack's risk countries.
Every statement is plain SQL run by the store's engine: no Python loop over transfers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from filature.indicators.pack import PackParameters

# Feature -> what it measures. These names are the vocabulary of the pack's measures.
SENDER_FEATURES: dict[str, str] = {
    "n_tx": "all transfers of the sender",
    "n_risk_tx": "transfers to a risk country",
    "small_risk_transfers": "transfers to a risk country within the small-amount band",
    "risk_receivers": "distinct receivers in risk countries",
    "unrelated_risk_receivers": "distinct receivers in risk countries sharing no family name",
    "unrelated_risk_share": "share of risk transfers to receivers sharing no family name",
    "related_share_risk": "share of risk transfers to receivers sharing a family name",
    "risk_receivers_short_period": "most distinct risk receivers within one short period",
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


def build_transfer_flags(con: duckdb.DuckDBPyConnection, p: PackParameters) -> None:
    """``screen_tx``: every resolved transfer with the per-transfer flags the features count."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE screen_tx AS
        SELECT p.sender_id, p.receiver_id, t.provider, t.transfer_id, t.sent_at,
               t.amount, t.currency, t.amount_eur, t.sender_country, t.receiver_country,
               list_contains($risk, t.receiver_country) AS risk,
               t.amount_eur BETWEEN $small_lo AND $small_hi AS small,
               {_night_condition(*p.night_hours)} AS night,
               (t.amount % $round_unit = 0 AND t.amount_eur <= $small_hi) AS round_small,
               regexp_matches(lower(coalesce(t.message, '')), $cover) AS cover,
               regexp_matches(lower(coalesce(t.message, '')), $invoice) AS invoice,
               t.amount_eur > $large AS large,
               nt.sender_name_norm IS NOT NULL AS related,
               date_diff('day', t.sender_birth_date, t.receiver_birth_date) / 365.25 AS age_gap,
               list_contains($hotspots, lower(trim(coalesce(t.receiver_city, '')))) AS hotspot,
               -- One beneficiary however her identities are split: a name's tokens, sorted.
               array_to_string(list_sort(string_split(t.receiver_name_norm, ' ')), ' ')
                   AS beneficiary_key
        FROM transfers t JOIN transfer_parties p USING (provider, transfer_id)
        LEFT JOIN name_ties nt USING (sender_name_norm, receiver_name_norm)""",
        {
            "risk": list(p.risk_countries), "small_lo": p.small_amount_eur[0],
            "small_hi": p.small_amount_eur[1], "round_unit": p.round_unit,
            "cover": p.cover_story_pattern, "invoice": p.invoice_pattern,
            "large": p.large_amount_eur, "hotspots": [c.lower() for c in p.hotspot_cities],
        },
    )


def build_pairs(con: duckdb.DuckDBPyConnection, p: PackParameters) -> None:
    """``screen_pairs``: one row per (sender, receiver), with whether the series is steady.

    A steady series (allowance, payroll, sponsorship) has near-constant intervals and
    amounts; sessions bought when wanted do not.
    """
    con.execute(
        """CREATE OR REPLACE TEMP TABLE screen_pairs AS
        WITH gaps AS (
            SELECT sender_id, receiver_id, amount_eur, risk, related,
                   date_diff('second', lag(sent_at) OVER w, sent_at) / 86400.0 AS gap
            FROM screen_tx
            WINDOW w AS (PARTITION BY sender_id, receiver_id ORDER BY sent_at)
        )
        SELECT sender_id, receiver_id, count(*) AS n, bool_or(risk) AS risk,
               bool_or(related) AS related, sum(amount_eur) AS total_eur,
               count(*) >= $min_n
                 AND coalesce(stddev_pop(gap) / nullif(avg(gap), 0), 9) < $gap_cv
                 AND coalesce(stddev_pop(amount_eur) / nullif(avg(amount_eur), 0), 9) < $amt_cv
                 AS steady
        FROM gaps GROUP BY sender_id, receiver_id""",
        {"min_n": p.regular_min_transfers, "gap_cv": p.regular_interval_cv,
         "amt_cv": p.regular_amount_cv},
    )


def build_sender_features(con: duckdb.DuckDBPyConnection, p: PackParameters) -> None:
    """``sender_features``: one row per sender entity, the columns of SENDER_FEATURES."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sender_features AS
        WITH risk_tx AS (
            SELECT s.*, pr.steady,
                   date_diff('second', lag(s.sent_at) OVER w, s.sent_at) / 86400.0 AS gap,
                   row_number() OVER w AS seq
            FROM screen_tx s JOIN screen_pairs pr USING (sender_id, receiver_id)
            WHERE s.risk
            WINDOW w AS (PARTITION BY s.sender_id ORDER BY s.sent_at)
        ), beneficiaries AS (
            SELECT sender_id, max(k) AS top_k FROM (
                SELECT sender_id, beneficiary_key, count(*) AS k FROM risk_tx GROUP BY ALL
            ) GROUP BY sender_id
        ), periods AS (
            SELECT sender_id, max(k) AS risk_receivers_short_period FROM (
                SELECT sender_id, count(DISTINCT receiver_id) AS k
                FROM risk_tx
                GROUP BY sender_id, time_bucket(to_days($days), sent_at)
            ) GROUP BY sender_id
        ), risk_agg AS (
            SELECT sender_id,
                   count(*) AS n_risk_tx,
                   count(*) FILTER (WHERE small) AS small_risk_transfers,
                   count(DISTINCT receiver_id) AS risk_receivers,
                   count(DISTINCT receiver_id) FILTER (WHERE NOT related)
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
               coalesce(bn.top_k / r.n_risk_tx, 0) AS top_beneficiary_share
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
               avg(invoice::INT) AS invoice_share_in
        FROM screen_tx t JOIN pairs pa USING (receiver_id) JOIN modal m USING (receiver_id)
        GROUP BY t.receiver_id, pa.payers, pa.unrelated_payers"""
    )


def build_features(con: duckdb.DuckDBPyConnection, p: PackParameters) -> None:
    """All feature tables of one screening, in dependency order."""
    build_name_ties(con)
    build_transfer_flags(con, p)
    build_pairs(con, p)
    build_sender_features(con, p)
    build_receiver_features(con, p)
