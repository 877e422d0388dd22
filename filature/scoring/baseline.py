"""The plain red-flag rule an analyst would write by hand, to measure the screening against.

One point per flag met, ranked by points then by number of small transfers:
three or more transfers of EUR 10-200 to a risk country; two or more receivers there; a
third of them at night; half of them round amounts; any cover-story description.
It uses the same pack parameters as the screening, but no weights, no counter-indicators
and no network evidence.
"""

from __future__ import annotations

import duckdb

from filature.indicators.features import build_features
from filature.indicators.pack import Pack


def rank_by_rules(con: duckdb.DuckDBPyConnection, pack: Pack) -> list[tuple[str, int, int]]:
    """(sender_id, flags met, small risk transfers) for every sender, best first."""
    build_features(con, pack.parameters)
    return con.execute(
        """SELECT sender_id,
                  (small_risk_transfers >= 3)::INT + (risk_receivers >= 2)::INT
                  + (night_share_risk >= 0.33)::INT + (round_small_share >= 0.5)::INT
                  + (cover_share_risk > 0)::INT AS flags,
                  small_risk_transfers
           FROM sender_features
           ORDER BY flags DESC, small_risk_transfers DESC, sender_id"""
    ).fetchall()
