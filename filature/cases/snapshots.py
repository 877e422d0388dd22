"""What a case keeps of the analytical store when it is opened: ids, a name, a score, a run.

The case database never reads DuckDB itself; the web app passes an open store connection
to ``snapshot_from_store`` and hands the resulting ``Opening`` to ``services.open_case``.
Later screening runs may rank the person differently; the case keeps what was seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from filature.errors import InputError, NotFound

OriginKind = Literal["target", "facilitator", "referral"]
ORIGINS: tuple[str, ...] = ("target", "facilitator", "referral")


@dataclass(frozen=True)
class PartyRef:
    """A party of the store: ``side`` is sender or receiver, ``party_id`` its stable id."""

    side: str
    party_id: str
    name: str


@dataclass(frozen=True)
class Opening:
    """Everything needed to open a case: where it comes from and who it concerns."""

    kind: str
    origin_id: str
    name: str
    score: float | None
    run_id: str | None
    subjects: list[PartyRef] = field(default_factory=list)
    related: list[PartyRef] = field(default_factory=list)  # receivers paid, referral hits


def snapshot_from_store(con: Any, kind: str, origin_id: str,
                        run_id: str | None = None) -> Opening:
    """Read the snapshot of a target, facilitator or referral from a DuckDB connection."""
    if kind == "target":
        return _target(con, origin_id, run_id)
    if kind == "facilitator":
        return _facilitator(con, origin_id, run_id)
    if kind == "referral":
        return _referral(con, origin_id)
    raise InputError(f"a case opens from one of {', '.join(ORIGINS)}, not {kind!r}")


def _target(con: Any, target_id: str, run_id: str | None) -> Opening:
    # The given run, or else the newest finished one.
    row = con.execute(
        "SELECT run_id, name, score FROM targets WHERE target_id = ? AND run_id = coalesce(?, "
        "(SELECT run_id FROM screening_runs WHERE status = 'done' "
        "ORDER BY started_at DESC LIMIT 1))", [target_id, run_id]).fetchone()
    if row is None:
        raise NotFound(f"no target {target_id!r} in the screening run")
    paid = con.execute(
        "SELECT p.receiver_id, min(t.receiver_name) FROM transfer_parties p "
        "JOIN transfers t USING (provider, transfer_id) WHERE p.sender_id = ? "
        "GROUP BY p.receiver_id ORDER BY p.receiver_id", [target_id]).fetchall()
    return Opening("target", target_id, row[1], float(row[2]), row[0],
                   subjects=[PartyRef("sender", target_id, row[1])],
                   related=[PartyRef("receiver", rid, name) for rid, name in paid])


def _facilitator(con: Any, receiver_id: str, run_id: str | None) -> Opening:
    row = con.execute(
        "SELECT run_id, name, score FROM facilitators WHERE receiver_id = ? AND "
        "run_id = coalesce(?, (SELECT run_id FROM screening_runs WHERE status = 'done' "
        "ORDER BY started_at DESC LIMIT 1))", [receiver_id, run_id]).fetchone()
    if row is None:
        raise NotFound(f"no facilitator {receiver_id!r} in the screening run")
    return Opening("facilitator", receiver_id, row[1], float(row[2]), row[0],
                   subjects=[PartyRef("receiver", receiver_id, row[1])])


def _referral(con: Any, referral_id: str) -> Opening:
    row = con.execute("SELECT source, summary FROM referrals WHERE referral_id = ?",
                      [referral_id]).fetchone()
    if row is None:
        raise NotFound(f"no referral {referral_id!r}")
    hits = con.execute(
        "SELECT h.side, h.party_id, max(h.confidence), "
        "coalesce(min(t.sender_name) FILTER (WHERE h.side = 'sender'), "
        "         min(t.receiver_name) FILTER (WHERE h.side = 'receiver'), h.party_id) "
        "FROM referral_hits h LEFT JOIN transfer_parties p "
        "ON (h.side = 'sender' AND p.sender_id = h.party_id) "
        "OR (h.side = 'receiver' AND p.receiver_id = h.party_id) "
        "LEFT JOIN transfers t USING (provider, transfer_id) "
        "WHERE h.referral_id = ? GROUP BY h.side, h.party_id ORDER BY 3 DESC, 2",
        [referral_id]).fetchall()
    title = f"{referral_id} ({row[0]})" if row[0] else referral_id
    best = max((float(h[2]) for h in hits), default=None)
    return Opening("referral", referral_id, title, best, None,
                   related=[PartyRef(side, pid, name) for side, pid, _, name in hits])
