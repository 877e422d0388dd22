"""What the referral pages read: the list, one referral's subjects and hits, and its network.

Intake, matching, the report and following the money are ``filature.referrals`` and
``filature.network.follow``, the same code as the command line; this module only adds the
reads the pages need (names of the parties hit, counts for the list) and saves uploads.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from filature.errors import NotFound
from filature.referrals.intake import ReferralImport, import_referrals
from filature.referrals.network import referral_network, strong_hits
from filature.referrals.report import (
    FOLLOW_MIN_CONFIDENCE,
    referral_hits,
    write_referral_report,
)
from filature.web.services import record, records
from filature.web.services.imports import save_upload

__all__ = ["import_upload", "list_referrals", "referral", "referral_network", "report_file",
           "strong_hits"]

SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv")
# What the page lists of each subject, in this order (referral_subjects' columns).
SUBJECT_FIELDS = ("names", "birth_dates", "phones", "emails", "id_numbers", "usernames",
                  "cities", "countries")


def list_referrals(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every referral, newest first, with its subjects, hits and best confidence."""
    return records(cur, """SELECT r.referral_id, r.source, r.source_country, r.received_at,
            r.status, r.loaded_at, r.matched_at, r.file_name,
            (SELECT count(*) FROM referral_subjects s WHERE s.referral_id = r.referral_id)
                AS subjects,
            count(h.party_id) AS hits, max(h.confidence) AS best
        FROM referrals r LEFT JOIN referral_hits h USING (referral_id)
        GROUP BY ALL ORDER BY r.received_at DESC NULLS LAST, r.loaded_at DESC,
                 r.referral_id""")


def import_upload(cur: duckdb.DuckDBPyConnection, folder: Path, name: str,
                  content: bytes) -> tuple[Path, ReferralImport]:
    """Keep the uploaded file beside the store, then import it (all or nothing) and match.

    The saved copy keeps the upload's suffix, which tells JSON, JSON Lines and CSV apart.
    """
    path = save_upload(folder, name, content, SUFFIXES)
    return path, import_referrals(cur, path)


def _party_names(cur: duckdb.DuckDBPyConnection,
                 parties: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The name most often written for each (side, party id)."""
    senders = [pid for side, pid in parties if side == "sender"]
    receivers = [pid for side, pid in parties if side == "receiver"]
    rows = cur.execute("""SELECT 'sender', p.sender_id, mode(t.sender_name)
        FROM transfers t JOIN transfer_parties p USING (provider, transfer_id)
        WHERE list_contains($s, p.sender_id) GROUP BY p.sender_id
        UNION ALL SELECT 'receiver', p.receiver_id, mode(t.receiver_name)
        FROM transfers t JOIN transfer_parties p USING (provider, transfer_id)
        WHERE list_contains($r, p.receiver_id) GROUP BY p.receiver_id""",
                       {"s": senders, "r": receivers}).fetchall()
    return {(side, pid): name for side, pid, name in rows}


def referral(cur: duckdb.DuckDBPyConnection, referral_id: str) -> dict[str, Any]:
    """The referral as received, its subjects (identifiers given) and each subject's hits,
    best first, with the party's name and whether the hit is strong enough to follow."""
    head = record(cur, """SELECT referral_id, source, source_country, received_at, summary,
            status, file_name, loaded_at, matched_at, document
        FROM referrals WHERE referral_id = ?""", [referral_id])
    if head is None:
        raise NotFound(f"no referral {referral_id!r}")
    document = json.loads(head.pop("document"))
    head["partner_fields"] = {k: v for k, v in document.items()
                              if k not in ("referral_id", "source", "source_country",
                                           "received_at", "summary", "subjects")}
    subjects = records(cur, f"""SELECT subject_no, role, {', '.join(SUBJECT_FIELDS)},
            CAST(payment_references AS VARCHAR) AS payment_references,
            CAST(ip_addresses AS VARCHAR) AS ip_addresses
        FROM referral_subjects WHERE referral_id = ? ORDER BY subject_no""",  # noqa: S608
                       [referral_id])
    hits = referral_hits(cur, referral_id)
    names = _party_names(cur, [(h["side"], h["party_id"]) for h in hits])
    for subject in subjects:
        subject["payment_references"] = [
            f"{r['provider']} {r['transfer_id']}".strip()
            for r in json.loads(subject["payment_references"])]
        subject["ip_addresses"] = [r["ip"] for r in json.loads(subject["ip_addresses"])]
        subject["birth_dates"] = [d.isoformat() for d in subject["birth_dates"]]
        subject["hits"] = [
            {**h, "name": names.get((h["side"], h["party_id"]), h["party_id"]),
             "followed": h["confidence"] >= FOLLOW_MIN_CONFIDENCE}
            for h in hits if h["subject_no"] == subject["subject_no"]]
    head["subjects"] = subjects
    head["hit_count"] = len(hits)
    return head


def report_file(cur: duckdb.DuckDBPyConnection, referral_id: str, fmt: str) -> bytes:
    """``filature referrals report ID --format FMT`` as bytes: per subject, the related
    senders ranked, with the hit and the path to each (one follow per strong hit)."""
    with tempfile.TemporaryDirectory(prefix="filature-report-") as folder:
        path = Path(folder) / f"report.{fmt}"
        write_referral_report(cur, referral_id, fmt, path)
        return path.read_bytes()
