"""Evidence that flows through the sender <-> receiver graph, both ways.

1. A receiver's *facilitator score* combines its own red flags (small inflows at night in a
   hotspot, ...) with how many unrelated payers stand behind them and how suspicious those
   payers look from their own indicators: being paid by likely buyers raises a receiver.
2. A sender's *network points* come from the facilitator scores of the receivers he pays
   with no family tie: paying a likely facilitator raises a sender.

Evidence about a receiver is only as good as the number of people behind it. A receiver
paid by one man alone (an online relationship, a one-off gift) says nothing about
facilitation that the man's own transfers do not already say; the same pattern from several
unrelated payers does (AUSTRAC: "one beneficiary receiving from several unrelated senders").
So a receiver's positive flags count in proportion to its unrelated payers beyond the first,
in full from ``full_from_payers``; counter-indicators (a fixed sponsorship, family inflows)
always count.

What a receiver passes to one of its payers is computed *without that payer*: only the
*other* unrelated payers of the receiver's household count, so a sender's own transfers and
suspicion never come back to him through a receiver. Receiving identities of one household
(``receiver_households``, from the resolution stage) pool their payers: a facilitator who
receives under her sister's name is still one operation.

The graph is the table of (sender, household) edges; each step is one join and one
aggregation over its edges, the message passing a graph library would do, written as SQL so
that the same logic runs in DuckDB on a laptop and in Spark at national scale.
"""

from __future__ import annotations

import duckdb

from filature.indicators.pack import Pack
from filature.store.query import MOST_SEEN, scalar

# The network contributions, as they appear in explanations.
NETWORK_EVIDENCE = {
    "N01": {
        "label_en": "Pays receivers that look like facilitators",
        "label_fr": "Paie des bénéficiaires qui ressemblent à des facilitateurs",
        "source": "AUSTRAC case study; AMLC; Europol 2024 (network evidence)",
    },
    "N02": {
        "label_en": "Pays several likely facilitators",
        "label_fr": "Paie plusieurs facilitateurs probables",
        "source": "typology.md: a buyer usually pays several unrelated beneficiaries",
    },
    "N03": {
        "label_en": "Paid by senders who look like buyers",
        "label_fr": "Payé par des expéditeurs qui ressemblent à des acheteurs",
        "source": "AUSTRAC case study: one beneficiary, several unrelated senders",
    },
}


def _households(con: duckdb.DuckDBPyConnection) -> None:
    """``hh``: the household of every receiving identity (itself when none is known)."""
    known = scalar(con, "SELECT count(*) FROM receiver_households") or 0
    source = ("SELECT receiver_id, household_id FROM receiver_households" if known
              else "SELECT NULL::VARCHAR AS receiver_id, NULL::VARCHAR AS household_id "
                   "WHERE false")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE hh AS
            SELECT f.receiver_id, coalesce(h.household_id, f.receiver_id) AS household_id
            FROM receiver_features f LEFT JOIN ({source}) h USING (receiver_id)""")


def _payer_keys(con: duckdb.DuckDBPyConnection) -> None:
    """``payer_keys``: each sender's usual name, its words sorted ("martin serge").

    Evidence about a receiver needs *other* people behind it. When the resolution leaves two
    records of one man apart (a new operator, a phone he had not used), he must not pass for
    two unrelated payers backing each other: payers are counted by this key as well.
    """
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE payer_keys AS
        SELECT sender_id, {MOST_SEEN.format(col="sender_key", n="n")} AS payer_key
        FROM (SELECT sender_id, sender_key, count(*) AS n FROM screen_tx GROUP BY ALL)
        GROUP BY sender_id"""
    )


def _sender_prior(con: duckdb.DuckDBPyConnection, pack: Pack, run_id: str,
                  with_network: bool) -> None:
    """``sender_prior``: each sender's buyer likelihood, from his indicators (first round)
    or from his indicators and the network points of the round before."""
    network = ("(SELECT sender_id, $w_paid * paid_facilitators AS points FROM sender_evidence)"
               if with_network else
               "(SELECT NULL::VARCHAR AS sender_id, 0.0 AS points WHERE false)")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sender_prior AS
        SELECT f.sender_id, coalesce(h.points, 0) AS indicator_points,
               1 - exp(-greatest(coalesce(h.points, 0) + coalesce(n.points, 0), 0)
                       / $sender_scale) AS prior
        FROM sender_features f LEFT JOIN (
            SELECT party_id AS sender_id, sum(points) AS points FROM indicator_hits
            WHERE run_id = $run_id AND side = 'sender' GROUP BY party_id
        ) h USING (sender_id) LEFT JOIN {network} n USING (sender_id)""",
        {"run_id": run_id, "sender_scale": pack.scoring.sender_scale,
         **({"w_paid": pack.scoring.facilitator_paid_weight} if with_network else {})},
    )


def _propagate(con: duckdb.DuckDBPyConnection, pack: Pack) -> None:
    """One round of message passing: payers -> households -> payers."""
    s = pack.scoring
    params = {"fac_scale": s.facilitator_scale, "w_payers": s.payer_evidence_weight,
              "full": s.full_from_payers}
    # Unrelated payment edges into risk countries: where network evidence may flow.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE evidence_edges AS
        SELECT pr.sender_id, pk.payer_key, pr.receiver_id, hh.household_id, pr.n, pr.total_eur,
               sp.prior
        FROM screen_pairs pr JOIN sender_prior sp USING (sender_id) JOIN hh USING (receiver_id)
        JOIN payer_keys pk USING (sender_id)
        WHERE pr.risk AND NOT pr.related"""
    )
    # Each household's distinct unrelated payers, counted by name: records of one man that
    # the resolution left apart are one payer, with the highest likelihood among them.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE household_payer_keys AS
        SELECT household_id, payer_key, max(prior) AS prior
        FROM evidence_edges GROUP BY household_id, payer_key"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE household_payers AS
        SELECT household_id, count(*) AS k, sum(prior) AS prior_sum, max(prior) AS prior_max
        FROM household_payer_keys GROUP BY household_id"""
    )
    # The receiver's own score: its payers beyond the most suspicious one back its flags.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE receiver_evidence AS
        WITH parts AS (
            SELECT o.receiver_id, coalesce(p.k, 0) AS k, coalesce(p.prior_sum, 0) AS prior_sum,
                   least(coalesce(p.prior_sum - p.prior_max, 0) / $full, 1) AS backing,
                   coalesce(p.prior_sum / p.k, 0) AS mean_prior, o.positive, o.counter
            FROM receiver_own o JOIN hh USING (receiver_id)
            LEFT JOIN household_payers p USING (household_id)
        )
        SELECT receiver_id, k, prior_sum, backing,
               positive * backing + counter AS indicator_points,
               $w_payers * backing * mean_prior AS network_points,
               1 - exp(-greatest(backing * (positive + $w_payers * mean_prior) + counter, 0)
                       / $fac_scale) AS score
        FROM parts""",
        params,
    )
    # What each receiver says about one of its payers: only the household's other payers.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE edge_evidence AS
        WITH mine AS (
            SELECT DISTINCT e.household_id, e.sender_id, k.prior
            FROM evidence_edges e JOIN household_payer_keys k USING (household_id, payer_key)
        ), others AS (
            SELECT m.household_id, m.sender_id, p.k - 1 AS k_other,
                   greatest(p.prior_sum - m.prior, 0) AS prior_other
            FROM mine m JOIN household_payers p USING (household_id)
        )
        SELECT e.sender_id, e.receiver_id, e.household_id, e.n, e.total_eur, o.k_other,
               1 - exp(-greatest(
                   least(o.prior_other / $full, 1) * (r.positive
                       + $w_payers * coalesce(o.prior_other / nullif(o.k_other, 0), 0))
                   + r.counter, 0) / $fac_scale) AS facilitator_score
        FROM evidence_edges e JOIN others o USING (household_id, sender_id)
        JOIN receiver_own r USING (receiver_id)""",
        params,
    )
    # One household counts once, however many of its identities a sender pays.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sender_evidence AS
        SELECT sender_id,
               1 - exp(sum(ln(1 - least(score, 0.999)))) AS paid_facilitators,
               count(*) FILTER (WHERE score >= 0.5) AS likely_facilitators
        FROM (SELECT sender_id, household_id, max(facilitator_score) AS score
              FROM edge_evidence GROUP BY sender_id, household_id)
        GROUP BY sender_id"""
    )


def score_network(con: duckdb.DuckDBPyConnection, pack: Pack, run_id: str) -> None:
    """Build ``receiver_evidence``, ``edge_evidence`` and ``sender_evidence`` for the run.

    ``network_rounds`` rounds of message passing: in the first, a payer's buyer likelihood
    comes from his own indicators; in the next, also from the facilitators he was found to
    pay, so a one-off payer of a known facilitator strengthens the evidence it gives the
    others. What reaches a sender still never includes his own likelihood.
    """
    _households(con)
    _payer_keys(con)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE receiver_own AS
        SELECT f.receiver_id,
               coalesce(sum(h.points) FILTER (WHERE h.points > 0), 0) AS positive,
               coalesce(sum(h.points) FILTER (WHERE h.points < 0), 0) AS counter
        FROM receiver_features f LEFT JOIN indicator_hits h
          ON h.party_id = f.receiver_id AND h.run_id = $run_id AND h.side = 'receiver'
        GROUP BY f.receiver_id""",
        {"run_id": run_id},
    )
    for round_ in range(pack.scoring.network_rounds):
        _sender_prior(con, pack, run_id, with_network=round_ > 0)
        _propagate(con, pack)
