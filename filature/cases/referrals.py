"""A referral opens a case, or extends an open one that shares a party, with its network.

The case database never reads the analytical store: the caller (web app or command line)
builds the ``Opening`` (the hits as subjects, the receivers of the followed network as
related parties) and the network files (JSON and GraphML of the follow), and this module
writes them. Each file is an evidence item stored under its SHA-256; every act is audited
(``case.open`` or ``case.extend``, and one ``evidence.add`` per file).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from filature.cases import audit, services
from filature.cases.evidence import _store_stream
from filature.cases.models import Case, CaseParty, EvidenceItem, User
from filature.cases.roles import Permission
from filature.cases.snapshots import Opening, PartyRef, snapshot_from_store
from filature.cases.users import actor_of
from filature.errors import InputError, NotFound

if TYPE_CHECKING:
    from filature.network.follow import FollowResult

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class NetworkFile:
    """A file of the followed network to attach (``referral-ID-network.json``...)."""

    name: str
    content: bytes
    content_type: str
    description: str


def _attach(session: Session, user: User, case: Case, evidence_dir: Path, file: NetworkFile,
            ip: str | None) -> EvidenceItem:
    """Store one network file by its hash and list it in the case, audited as
    ``evidence.add``. Not ``evidence.add_evidence``: that needs the right to edit the case,
    and an analyst who opens a case from a referral attaches its network as part of the
    opening, without being able to edit the case afterwards."""
    sha, size = _store_stream(evidence_dir, io.BytesIO(file.content))
    if size == 0:
        raise InputError(f"{file.name} is empty", key="evidence.empty_file",
                         params={"name": file.name})
    item = EvidenceItem(case_id=case.id, file_name=file.name[:300],
                        content_type=file.content_type[:100], size=size, sha256=sha,
                        added_by_id=user.id, added_at=services._now(),
                        description=file.description, added_by=user)
    case.evidence.append(item)
    session.flush()
    audit.record(session, actor_of(user, ip), "evidence.add", subject_type="case",
                 subject_id=case.reference,
                 detail={"evidence_id": item.id, "file": item.file_name, "sha256": sha,
                         "size": size, "origin": "referral network"})
    return item


def open_from_referral(session: Session, user: User, opening: Opening,
                       files: Sequence[NetworkFile], evidence_dir: Path, *,
                       ip: str | None = None) -> Case:
    """Open a case from the referral (``services.open_case``: role checked, one open case
    per referral) and attach the network files."""
    if opening.kind != "referral":
        raise InputError("open_from_referral takes a referral's opening")
    if not opening.subjects:
        raise InputError(f"referral {opening.origin_id} has no hit strong enough to open a "
                         "case on: check its hits, or wait for the next load",
                         key="referral.no_strong_hit", params={"referral_id": opening.origin_id})
    case = services.open_case(session, user, opening, ip=ip)
    for file in files:
        _attach(session, user, case, evidence_dir, file, ip)
    return case


def extend_with_referral(session: Session, user: User, case: Case, opening: Opening,
                         files: Sequence[NetworkFile], evidence_dir: Path, *,
                         ip: str | None = None) -> list[PartyRef]:
    """Add the referral's hits (as subjects) and related receivers to an open case, attach
    the network files, and audit ``case.extend``; returns the parties added."""
    services._need(services.can_edit(user, case), Permission.CASES_EDIT,
                   "this case is not assigned to you", "forbidden.not_assigned")
    if case.status not in services.OPEN_STATUSES:
        raise InputError(f"case {case.reference} is closed: open a new case instead",
                         key="case.closed_cannot_extend", params={"reference": case.reference})
    present = {(p.side, p.party_id): p for p in case.parties}
    added: list[PartyRef] = []
    for party, is_subject in [(p, True) for p in opening.subjects] + [
            (p, False) for p in opening.related]:
        kept = present.get((party.side, party.party_id))
        if kept is None:
            kept = CaseParty(side=party.side, party_id=party.party_id, name=party.name[:300],
                             is_subject=is_subject)
            case.parties.append(kept)
            present[(party.side, party.party_id)] = kept
            added.append(party)
        elif is_subject and not kept.is_subject:
            kept.is_subject = True   # a party already related becomes a subject: the hit
            added.append(party)
    case.updated_at = services._now()
    session.flush()
    audit.record(session, actor_of(user, ip), "case.extend", subject_type="case",
                 subject_id=case.reference,
                 detail={"origin": f"referral:{opening.origin_id}",
                         "parties_added": [f"{p.side}:{p.party_id}" for p in added],
                         "files": [f.name for f in files]})
    for file in files:
        _attach(session, user, case, evidence_dir, file, ip)
    return added


def cases_sharing_parties(session: Session, user: User,
                          parties: Iterable[PartyRef]) -> list[tuple[Case, list[str]]]:
    """Open cases this user may read that list one of ``parties``, with the names shared."""
    wanted = {(p.side, p.party_id): p.name for p in parties}
    if not wanted:
        return []
    rows = session.execute(
        select(Case, CaseParty.side, CaseParty.party_id)
        .join(CaseParty, CaseParty.case_id == Case.id)
        .where(CaseParty.party_id.in_({pid for _, pid in wanted}),
               Case.status.in_(services.OPEN_STATUSES))
        .order_by(Case.id)).all()
    shared: dict[int, tuple[Case, list[str]]] = {}
    for case, side, party_id in rows:
        if (side, party_id) in wanted and services.can_view(user, case):
            shared.setdefault(case.id, (case, []))[1].append(wanted[(side, party_id)])
    return list(shared.values())


def case_by_reference(session: Session, reference: str) -> Case:
    """The case with this reference (``C-2026-00012``), or NotFound."""
    case = session.scalar(select(Case).where(Case.reference == reference.strip()))
    if case is None:
        raise NotFound(f"no case {reference!r}", key="case.reference_not_found",
                       params={"reference": reference})
    return case


def referral_opening(con: Any, referral_id: str, network: FollowResult | None) -> Opening:
    """What a case keeps of a referral, read from the analytical store: the strong hits as
    subjects and the receivers of the followed ``network`` as related parties."""
    from filature.referrals.network import strong_hits

    base = snapshot_from_store(con, "referral", referral_id)
    names = {(p.side, p.party_id): p.name for p in base.related}
    subjects = [PartyRef(h["side"], h["party_id"], names.get((h["side"], h["party_id"]),
                                                             h["party_id"]))
                for h in strong_hits(con, referral_id)]
    hit_keys = {(p.side, p.party_id) for p in subjects}
    related = [] if network is None else [
        PartyRef("receiver", n["party_id"], n["name"] or n["party_id"])
        for n in network.receivers() if ("receiver", n["party_id"]) not in hit_keys]
    return replace(base, subjects=subjects, related=related,
                   run_id=network.run_id if network is not None else base.run_id)


def network_files(referral_id: str, network: FollowResult | None) -> list[NetworkFile]:
    """The followed network as JSON and GraphML (what ``filature follow referral:ID``
    writes with ``--format json`` and ``--format graphml``)."""
    from filature.network.follow import follow_bytes

    if network is None:
        return []
    stem = f"referral-{_SAFE.sub('_', referral_id)}-network"
    described = (f"Money followed from the hits of referral {referral_id} "
                 f"({network.hops} hop(s)): {len(network.payers())} payers, "
                 f"{len(network.receivers())} receivers, {len(network.edges)} links")
    return [
        NetworkFile(f"{stem}.json", follow_bytes(network, "json"), "application/json",
                    described),
        NetworkFile(f"{stem}.graphml", follow_bytes(network, "graphml"), "application/xml",
                    described + " (GraphML for Gephi, yEd or Cytoscape)"),
    ]
