"""The money followed from all of a referral's strong hits at once: the network a referral
page draws and a case opened from the referral keeps.

The report (``report.py``) follows each hit on its own to rank the senders per subject;
here the strong hits are seeds of one follow, as the report does per hit: one hop from a
facilitator's household (her payers), two from a buyer (his beneficiaries and their other
payers); with both kinds of hit, two hops.
"""

from __future__ import annotations

from typing import Any

import duckdb

from filature.network.follow import FollowResult, follow_money
from filature.referrals.report import FOLLOW_MIN_CONFIDENCE, HOPS, referral_hits


def strong_hits(con: duckdb.DuckDBPyConnection, referral_id: str) -> list[dict[str, Any]]:
    """The hits followed (confidence at least ``FOLLOW_MIN_CONFIDENCE``), one per party,
    best first."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for hit in referral_hits(con, referral_id):
        key = (hit["side"], hit["party_id"])
        if hit["confidence"] >= FOLLOW_MIN_CONFIDENCE and (
                key not in seen or seen[key]["confidence"] < hit["confidence"]):
            seen[key] = hit
    return sorted(seen.values(), key=lambda h: (-h["confidence"], h["party_id"]))


def referral_network(con: duckdb.DuckDBPyConnection,
                     referral_id: str) -> FollowResult | None:
    """The network followed from the strong hits; None when no hit is strong enough."""
    hits = strong_hits(con, referral_id)
    if not hits:
        return None
    hops = max(HOPS[h["side"]] for h in hits)
    result = follow_money(con, [(h["side"], h["party_id"], "the hit") for h in hits],
                          hops=hops, household=any(h["side"] == "receiver" for h in hits))
    result.seed = f"referral:{referral_id}"
    return result
