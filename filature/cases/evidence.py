"""Evidence files of a case: stored once by SHA-256, checked again whenever they are read.

A file is written under ``<evidence_dir>/<first two hex digits>/<sha256>``: the name is
the content's hash, so the same document attached to two cases is stored once and any
change on disk is caught when it is next read (the hash no longer matches).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from filature.cases import audit
from filature.cases.models import Case, EvidenceItem, User
from filature.cases.roles import Permission, allows
from filature.cases.services import _need, _now, can_edit, can_view
from filature.cases.users import actor_of
from filature.errors import InputError, NotFound, StoreError

CHUNK = 1 << 20


def stored_path(evidence_dir: Path, sha256: str) -> Path:
    """Where the file with this hash lives."""
    return evidence_dir / sha256[:2] / sha256


def _store_stream(evidence_dir: Path, stream: BinaryIO) -> tuple[str, int]:
    """Copy ``stream`` to the evidence folder under its hash; return (sha256, size)."""
    evidence_dir.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(dir=evidence_dir, delete=False) as tmp:
        try:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                tmp.write(chunk)
        except BaseException:
            os.unlink(tmp.name)
            raise
    sha = digest.hexdigest()
    target = stored_path(evidence_dir, sha)
    target.parent.mkdir(exist_ok=True)
    os.replace(tmp.name, target)
    return sha, size


def add_evidence(session: Session, user: User, case: Case, evidence_dir: Path,
                 file_name: str, stream: BinaryIO, *, content_type: str | None = None,
                 description: str | None = None, ip: str | None = None) -> EvidenceItem:
    """Attach an uploaded file to the case, recording its hash, who added it and when."""
    _need(can_edit(user, case), Permission.CASES_EDIT, "this case is not assigned to you",
          "forbidden.not_assigned")
    name = Path(file_name or "").name.strip()
    if not name:
        raise InputError("an evidence file needs a name", key="evidence.no_name")
    sha, size = _store_stream(evidence_dir, stream)
    if size == 0:
        raise InputError(f"{name} is empty", key="evidence.empty_file", params={"name": name})
    item = EvidenceItem(case_id=case.id, file_name=name[:300],
                        content_type=(content_type or "application/octet-stream")[:100],
                        size=size, sha256=sha, added_by_id=user.id, added_at=_now(),
                        description=description or None, added_by=user)
    case.evidence.append(item)
    case.updated_at = _now()
    session.flush()
    audit.record(session, actor_of(user, ip), "evidence.add", subject_type="case",
                 subject_id=case.reference,
                 detail={"evidence_id": item.id, "file": name, "sha256": sha, "size": size})
    return item


def read_evidence(session: Session, user: User, case: Case, evidence_id: int,
                  evidence_dir: Path, *, ip: str | None = None) -> tuple[EvidenceItem, Path]:
    """The item and its file, after checking the file still has the recorded hash.

    The download is logged (disclosure, in the directive's words).
    """
    _need(can_view(user, case), Permission.EVIDENCE_DOWNLOAD, "this case was not sent to you",
          "forbidden.not_sent")
    _need(allows(user.role, Permission.EVIDENCE_DOWNLOAD), Permission.EVIDENCE_DOWNLOAD,
          "cannot download evidence", "forbidden.download")
    item = session.get(EvidenceItem, evidence_id)
    if item is None or item.case_id != case.id:
        raise NotFound(f"no evidence {evidence_id} in case {case.reference}",
                       key="evidence.not_found",
                       params={"evidence_id": evidence_id, "reference": case.reference})
    path = stored_path(evidence_dir, item.sha256)
    if not path.exists():
        raise StoreError(f"the file of evidence {item.id} ({item.file_name}) is missing from "
                         f"{evidence_dir}", key="evidence.file_missing",
                         params={"evidence_id": item.id, "name": item.file_name})
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    if digest.hexdigest() != item.sha256:
        raise StoreError(f"the file of evidence {item.id} ({item.file_name}) was changed on "
                         "disk: its SHA-256 no longer matches", key="evidence.file_changed",
                         params={"evidence_id": item.id, "name": item.file_name})
    audit.record(session, actor_of(user, ip), "evidence.download", subject_type="case",
                 subject_id=case.reference,
                 detail={"evidence_id": item.id, "sha256": item.sha256})
    return item, path


def remove_unreferenced(session: Session, evidence_dir: Path, hashes: set[str]) -> int:
    """Delete the stored files among ``hashes`` that no evidence item points to any more."""
    if not hashes:
        return 0
    still = set(session.scalars(select(EvidenceItem.sha256).distinct().where(
        EvidenceItem.sha256.in_(hashes))))
    removed = 0
    for sha in hashes - still:
        path = stored_path(evidence_dir, sha)
        if path.exists():
            path.unlink()
            removed += 1
    return removed
