"""A referral's report: per subject, its hits and the senders the money leads to, ranked.

For a hit on a receiving identity (a facilitator), the money is followed one hop from her
whole household: all of her payers. For a hit on a sender (a buyer), two hops: his
beneficiaries, then their other payers. Each related sender is one row in the columns of
``targets`` (counts, sums and ``transfer_ids`` are those inside the followed network, the
payments that tie him to the subject), plus the subject, the hit and the path to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from filature.errors import NotFound
from filature.exports.tables import write_table
from filature.network.follow import FollowResult, follow_money

# Hits below this confidence (a name alone, not identical) are listed but not followed:
# following a namesake would put strangers' payers in the report.
FOLLOW_MIN_CONFIDENCE = 0.5
HOPS = {"receiver": 1, "sender": 2}

REPORT_COLUMNS = (
    "subject_no", "subject_role", "subject_names", "rank", "target_id", "score", "name",
    "names_seen", "country", "transfer_count", "total_eur", "first_seen", "last_seen",
    "top_indicators", "receivers", "transfer_ids", "hit_side", "hit_party_id",
    "hit_confidence", "hit_reason", "path",
)


def referral_hits(con: duckdb.DuckDBPyConnection, referral_id: str) -> list[dict[str, Any]]:
    """The hits of a referral, best first within each subject, with the subject's role."""
    if not con.execute("SELECT 1 FROM referrals WHERE referral_id = ?",
                       [referral_id]).fetchall():
        raise NotFound(f"no referral {referral_id!r}: import it with `filature referrals "
                       "import`")
    cursor = con.execute(
        """SELECT h.subject_no, s.role, array_to_string(s.names, '; ') AS names, h.side,
                  h.party_id, h.confidence, h.matched_on, h.reason
           FROM referral_hits h JOIN referral_subjects s USING (referral_id, subject_no)
           WHERE h.referral_id = ? ORDER BY h.subject_no, h.confidence DESC, h.party_id""",
        [referral_id])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _path(result: FollowResult, party_id: str) -> str:
    """``S-1 -> R-2 <- S-3``: how the money leads from the hit to this sender."""
    by_id = {(n["party_id"]): n for n in result.nodes}
    chain, node = [party_id], by_id.get(party_id)
    while node is not None and node["hop"] > 0:
        chain.append(node["via"].split(" ")[-1])
        node = by_id.get(chain[-1])
    chain.reverse()
    text = chain[0]
    if node is not None and node["via"] not in ("the hit", "the seed"):
        text += f" (household: {node['via']})"
    for previous, current in zip(chain, chain[1:], strict=False):
        sender_first = by_id.get(previous, {}).get("side") == "sender"
        text += (" -> " if sender_first else " <- ") + current
    return text


def _sender_details(con: duckdb.DuckDBPyConnection, run_id: str | None,
                    sender_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Names seen and the top three indicators of the latest run, per sender."""
    rows = con.execute(
        """WITH names AS (
               SELECT p.sender_id, string_agg(DISTINCT t.sender_name, '; '
                                              ORDER BY t.sender_name) AS names_seen
               FROM transfers t JOIN transfer_parties p USING (provider, transfer_id)
               WHERE list_contains($ids, p.sender_id) GROUP BY p.sender_id
           ), top AS (
               SELECT sender_id, array_to_string(list_transform(list_filter(
                   from_json(breakdown, '[{"id": "VARCHAR", "label_en": "VARCHAR",
                                           "points": "DOUBLE"}]'),
                   lambda x: x.points > 0)[1:3],
                   lambda x: x.id || ' ' || x.label_en || printf(' (%.1f)', x.points)), '; ')
                   AS top_indicators
               FROM sender_scores WHERE run_id = $run AND list_contains($ids, sender_id)
           )
           SELECT sender_id, names_seen, coalesce(top_indicators, '')
           FROM names LEFT JOIN top USING (sender_id)""",
        {"ids": sender_ids, "run": run_id}).fetchall()
    return {r[0]: {"names_seen": r[1], "top_indicators": r[2]} for r in rows}


def referral_report(con: duckdb.DuckDBPyConnection,
                    referral_id: str) -> list[dict[str, Any]]:
    """One row per (subject, related sender), ranked within the subject; see module doc."""
    by_subject: dict[int, dict[str, dict[str, Any]]] = {}
    for hit in referral_hits(con, referral_id):
        if hit["confidence"] < FOLLOW_MIN_CONFIDENCE:
            continue
        result = follow_money(con, [(hit["side"], hit["party_id"], "the hit")],
                              hops=HOPS[hit["side"]], household=hit["side"] == "receiver")
        names = {n["party_id"]: n["name"] for n in result.receivers()}
        for node in result.payers():
            edges = [e for e in result.edges if e["sender_id"] == node["party_id"]]
            if not edges and node["hop"] > 0:
                continue
            row = {
                "subject_no": hit["subject_no"], "subject_role": hit["role"],
                "subject_names": hit["names"], "target_id": node["party_id"],
                "score": node["score"], "name": node["name"], "country": node["country"],
                "transfer_count": sum(e["transfers"] for e in edges),
                "total_eur": round(sum(e["total_eur"] for e in edges), 2),
                "first_seen": min((e["first_seen"] for e in edges), default=None),
                "last_seen": max((e["last_seen"] for e in edges), default=None),
                "receivers": "; ".join(sorted({names.get(e["receiver_id"]) or e["receiver_id"]
                                               for e in edges})),
                "transfer_ids": ";".join(e["transfer_ids"] for e in edges),
                "hit_side": hit["side"], "hit_party_id": hit["party_id"],
                "hit_confidence": hit["confidence"], "hit_reason": hit["reason"],
                "path": _path(result, node["party_id"]),
            }
            rows = by_subject.setdefault(hit["subject_no"], {})
            kept = rows.get(node["party_id"])
            if kept is None or kept["hit_confidence"] < row["hit_confidence"]:
                rows[node["party_id"]] = row
    run_id = con.execute("SELECT run_id FROM screening_runs WHERE status = 'done' "
                         "ORDER BY started_at DESC LIMIT 1").fetchall()
    everyone = [sid for rows in by_subject.values() for sid in rows]
    details = _sender_details(con, run_id[0][0] if run_id else None, everyone)
    report = []
    for subject_no in sorted(by_subject):
        ranked = sorted(by_subject[subject_no].values(),
                        key=lambda r: (-(r["score"] or 0), -r["total_eur"], r["target_id"]))
        for rank, row in enumerate(ranked, start=1):
            row.update(rank=rank, **details.get(row["target_id"],
                                                {"names_seen": row["name"],
                                                 "top_indicators": ""}))
            report.append({c: row[c] for c in REPORT_COLUMNS})
    return report


def write_referral_report(con: duckdb.DuckDBPyConnection, referral_id: str, fmt: str,
                          out: Path | None) -> int:
    """The report as ``csv`` or ``json`` (with the hits) to ``out`` or stdout; rows written."""
    return write_table(
        REPORT_COLUMNS, referral_report(con, referral_id), fmt, out, format_column="format",
        document=lambda table: {"referral_id": referral_id,
                                "hits": referral_hits(con, referral_id),
                                "related_senders": table})
