"""Evidence that flows through the sender <-> receiver graph, both ways.

1. A receiver's *facilitator score* combines its own red flags (many unrelated foreign payers
   of small irregular sums, ...) with how suspicious its other unrelated payers look from
   their own indicators: being paid by likely buyers raises a receiver.
2. A sender's *network points* come from the facilitator scores of the receivers he pays
   with no family tie: paying a likely facilitator raises a sender.

The score a receiver passes to one sender is computed *leaving that sender out*, so a
sender's own suspicion never comes back to him through a receiver only he pays.

The graph is the table of (sender, receiver) pairs; each step is one join and one
aggregation over its edges, the message passing a graph library would do, written as SQL
so that the same logic runs in DuckDB on a laptop and in Spark at national scale.
"""

from __future__ import annotations

import duckdb

from filature.indicators.pack import Pack

# The two network contributions, as they appear in explanations.
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


def score_network(con: duckdb.DuckDBPyConnection, pack: Pack, run_id: str) -> None:
    """Build ``receiver_evidence`` and ``sender_evidence`` temp tables for the run."""
    s = pack.scoring
    params = {"run_id": run_id, "sender_scale": s.sender_scale,
              "fac_scale": s.facilitator_scale, "w_payers": s.payer_evidence_weight}
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sender_prior AS
        SELECT f.sender_id, coalesce(h.points, 0) AS indicator_points,
               1 - exp(-greatest(coalesce(h.points, 0), 0) / $sender_scale) AS prior
        FROM sender_features f LEFT JOIN (
            SELECT party_id AS sender_id, sum(points) AS points FROM indicator_hits
            WHERE run_id = $run_id AND side = 'sender' GROUP BY party_id
        ) h USING (sender_id)""",
        {k: params[k] for k in ("run_id", "sender_scale")},
    )
    # Unrelated payment edges into risk countries: where network evidence may flow.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE evidence_edges AS
        SELECT pr.sender_id, pr.receiver_id, pr.n, pr.total_eur, sp.prior
        FROM screen_pairs pr JOIN sender_prior sp USING (sender_id)
        WHERE pr.risk AND NOT pr.related"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE receiver_evidence AS
        WITH own AS (
            SELECT party_id AS receiver_id, sum(points) AS points FROM indicator_hits
            WHERE run_id = $run_id AND side = 'receiver' GROUP BY party_id
        ), payers AS (
            SELECT receiver_id, sum(prior) AS prior_sum, count(*) AS k
            FROM evidence_edges GROUP BY receiver_id
        )
        SELECT f.receiver_id, coalesce(o.points, 0) AS indicator_points,
               coalesce(p.prior_sum, 0) AS prior_sum, coalesce(p.k, 0) AS k,
               $w_payers * coalesce(p.prior_sum / p.k, 0) AS network_points,
               1 - exp(-greatest(coalesce(o.points, 0)
                                 + $w_payers * coalesce(p.prior_sum / p.k, 0), 0)
                       / $fac_scale) AS score
        FROM receiver_features f LEFT JOIN own o USING (receiver_id)
        LEFT JOIN payers p USING (receiver_id)""",
        {k: params[k] for k in ("run_id", "fac_scale", "w_payers")},
    )
    # What each receiver says about one of its payers, without that payer's own prior.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE edge_evidence AS
        SELECT e.sender_id, e.receiver_id, e.n, e.total_eur,
               1 - exp(-greatest(r.indicator_points + $w_payers * CASE WHEN r.k > 1
                         THEN (r.prior_sum - e.prior) / (r.k - 1) ELSE 0 END, 0)
                       / $fac_scale) AS facilitator_score
        FROM evidence_edges e JOIN receiver_evidence r USING (receiver_id)""",
        {k: params[k] for k in ("fac_scale", "w_payers")},
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sender_evidence AS
        SELECT sender_id,
               1 - exp(sum(ln(1 - least(facilitator_score, 0.999)))) AS paid_facilitators,
               count(*) FILTER (WHERE facilitator_score >= 0.5) AS likely_facilitators
        FROM edge_evidence GROUP BY sender_id"""
    )
