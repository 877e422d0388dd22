"""Reading referral files (JSON, JSON Lines, CSV lists of subjects) and storing them whole.

Every referral of a file is validated before anything is written: one bad field anywhere
refuses the whole file with every error listed (file, line, field), so an investigator never
works from a half-loaded alert. Importing a referral id again replaces it (a partner's
corrected version), and the new subjects are matched at once.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from filature.errors import InputError, InvalidData
from filature.referrals.model import Referral, validate_referral
from filature.referrals.transaction import all_or_nothing

# CSV variant: one row per subject; rows with the same referral_id form one referral.
CSV_REFERRAL_COLUMNS = ("referral_id", "source", "source_country", "received_at", "summary")
CSV_LIST_COLUMNS = ("names", "birth_dates", "phones", "emails", "id_numbers", "usernames",
                    "cities", "countries")
CSV_SEPARATOR = ";"  # between the values of one cell: "Maria Santos;Marites Dizon"


@dataclass
class ReferralImport:
    """What one import stored, for the terminal and the web page."""

    file: str
    referral_ids: list[str]
    subjects: int
    hits: int
    open_referrals: list[str]


def _is_json_lines(text: str) -> bool:
    """JSON Lines when the first line is a whole JSON object on its own."""
    try:
        return isinstance(json.loads(text.splitlines()[0]), dict)
    except json.JSONDecodeError:
        return False


def _json_documents(path: Path, text: str) -> list[tuple[str, Any]]:
    """(where, document) pairs: a JSON object, a JSON array of objects, or JSON Lines."""
    stripped = text.strip()
    if not stripped:
        raise InputError("the file is empty", file=path.name)
    if path.suffix.lower() not in (".jsonl", ".ndjson"):
        try:
            document = json.loads(stripped)
        except json.JSONDecodeError as e:
            if not _is_json_lines(stripped):
                raise InputError(f"not valid JSON: {e.msg} (column {e.colno})",
                                 file=path.name, line=e.lineno) from e
        else:
            if isinstance(document, list):
                return [(f"item {i + 1}", d) for i, d in enumerate(document)]
            return [("", document)]
    documents = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            documents.append((f"line {n}", json.loads(line)))
        except json.JSONDecodeError as e:
            raise InputError(f"not valid JSON: {e.msg}", file=path.name, line=n) from e
    return documents


def _split(cell: str | None) -> list[str]:
    return [v.strip() for v in (cell or "").split(CSV_SEPARATOR) if v.strip()]


def _csv_documents(path: Path, text: str) -> list[tuple[str, Any]]:
    """Rows grouped into referral documents, in the JSON shape, so one validator serves all."""
    reader = csv.DictReader(text.splitlines())
    header = {h.strip().lower(): h for h in (reader.fieldnames or [])}
    missing = [c for c in ("referral_id", "role") if c not in header]
    if missing:
        raise InputError(f"missing column(s): {', '.join(missing)}", file=path.name, line=1)
    grouped: dict[str, dict[str, Any]] = {}
    where: dict[str, str] = {}
    for n, raw in enumerate(reader, start=2):
        row = {k: (raw.get(h) or "").strip() for k, h in header.items()}
        rid = row["referral_id"]
        document = grouped.setdefault(rid, {
            "referral_id": rid, "subjects": [],
            **{c: row[c] or None for c in CSV_REFERRAL_COLUMNS[1:] if c in row}})
        where.setdefault(rid, f"line {n}")
        subject: dict[str, Any] = {"role": row["role"], "_line": n}
        for column in CSV_LIST_COLUMNS:
            subject[column] = _split(row.get(column))
        subject["ip_addresses"] = [{"ip": ip} for ip in _split(row.get("ip_addresses"))]
        subject["payment_references"] = [
            {"provider": ref.rpartition(":")[0], "transfer_id": ref.rpartition(":")[2]}
            for ref in _split(row.get("payment_references"))]
        document["subjects"].append(subject)
    return [(where[rid], doc) for rid, doc in grouped.items()]


def read_referrals(path: Path) -> list[tuple[Referral, dict[str, Any]]]:
    """Every referral of the file, validated, with its document as received.

    Raises ``InvalidData`` listing every error of every referral of the file.
    """
    if not path.exists():
        raise InputError("no such file", file=str(path))
    text = path.read_text(encoding="utf-8-sig")
    reader: Callable[[Path, str], list[tuple[str, Any]]] = (
        _csv_documents if path.suffix.lower() == ".csv" else _json_documents)
    documents = reader(path, text)
    referrals, errors, seen = [], [], set()
    for where, document in documents:
        lines = [s.pop("_line", None) for s in document.get("subjects", [])] \
            if isinstance(document, dict) and isinstance(document.get("subjects"), list) else []
        try:
            referral = validate_referral(document, where)
        except InvalidData as e:
            errors.extend(_with_lines(e, lines))
            continue
        if referral.referral_id in seen:
            errors.append(f"{where or 'referral'}: referral_id {referral.referral_id!r} "
                          "appears twice")
        seen.add(referral.referral_id)
        referrals.append((referral, document))
    if errors:
        raise InvalidData(path.name, errors)
    return referrals


def _with_lines(error: InvalidData, lines: list[int | None]) -> list[str]:
    """Each error prefixed with where it is: a CSV subject's own line, else the referral's."""
    out = []
    for message in error.errors:
        where = error.source
        for i, line in enumerate(lines):
            if line is not None and message.startswith(f"subjects[{i}]"):
                where = f"line {line}"
        out.append(f"{where}: {message}" if where else message)
    return out


def _store_referral(con: duckdb.DuckDBPyConnection, referral: Referral,
                    document: dict[str, Any], file_name: str, now: datetime) -> None:
    con.execute("DELETE FROM referral_hits WHERE referral_id = ?", [referral.referral_id])
    con.execute("DELETE FROM referral_subjects WHERE referral_id = ?", [referral.referral_id])
    con.execute("DELETE FROM referrals WHERE referral_id = ?", [referral.referral_id])
    con.execute("INSERT INTO referrals VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', NULL)",
                [referral.referral_id, referral.source, referral.source_country,
                 referral.received_at, referral.summary,
                 json.dumps(document, ensure_ascii=False, default=str), file_name, now])
    for n, s in enumerate(referral.subjects, start=1):
        con.execute(
            "INSERT INTO referral_subjects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [referral.referral_id, n, s.role, s.names, s.birth_dates, s.phones, s.emails,
             s.id_numbers, s.usernames, s.cities, s.countries,
             json.dumps([ip.model_dump(mode="json") for ip in s.ip_addresses]),
             json.dumps([ref.model_dump(mode="json") for ref in s.payment_references])])


def import_referrals(con: duckdb.DuckDBPyConnection, path: Path) -> ReferralImport:
    """Validate the whole file, store its referrals in one transaction, then match them."""
    from filature.referrals.matching import match_referrals

    referrals = read_referrals(path)
    now = datetime.now(UTC)
    with all_or_nothing(con):
        for referral, document in referrals:
            _store_referral(con, referral, document, path.name, now)
    ids = [r.referral_id for r, _ in referrals]
    hits = match_referrals(con, ids)
    open_ids = [rid for rid in ids if hits.get(rid, 0) == 0]
    return ReferralImport(path.name, ids, sum(len(r.subjects) for r, _ in referrals),
                          sum(hits.values()), open_ids)
