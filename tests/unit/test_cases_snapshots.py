"""What a case keeps of the store when opened: the target's name, score, run and receivers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from filature.cases.snapshots import snapshot_from_store
from filature.errors import InputError, NotFound
from tests.builders import corridor_world


@pytest.fixture(scope="module")
def screened():
    from filature.resolve.exact import resolve_exact
    from filature.scoring.run import run_screening

    con = corridor_world().store()
    resolve_exact(con)
    report = run_screening(con, capacity=5)
    yield con, report.run_id
    con.close()


def test_a_target_snapshot_names_the_receivers_it_paid(screened) -> None:
    con, run_id = screened
    target_id, name, score = con.execute(
        "SELECT target_id, name, score FROM targets WHERE run_id = ? ORDER BY rank LIMIT 1",
        [run_id]).fetchone()
    opening = snapshot_from_store(con, "target", target_id)
    assert (opening.name, opening.score, opening.run_id) == (name, score, run_id)
    assert [p.party_id for p in opening.subjects] == [target_id]
    paid = {r for (r,) in con.execute(
        "SELECT DISTINCT receiver_id FROM transfer_parties WHERE sender_id = ?",
        [target_id]).fetchall()}
    assert {p.party_id for p in opening.related} == paid and paid
    assert all(p.side == "receiver" and p.name for p in opening.related)


def test_a_facilitator_snapshot_and_unknown_ids(screened) -> None:
    con, run_id = screened
    receiver_id, name = con.execute(
        "SELECT receiver_id, name FROM facilitators WHERE run_id = ? ORDER BY rank LIMIT 1",
        [run_id]).fetchone()
    opening = snapshot_from_store(con, "facilitator", receiver_id, run_id)
    assert opening.subjects[0].side == "receiver" and opening.name == name
    with pytest.raises(NotFound):
        snapshot_from_store(con, "target", "no-such-sender")
    with pytest.raises(NotFound):
        snapshot_from_store(con, "target", receiver_id, "no-such-run")
    with pytest.raises(InputError):
        snapshot_from_store(con, "household", receiver_id)


def test_a_referral_snapshot_lists_its_hits(screened) -> None:
    con, _ = screened
    sender_id = con.execute("SELECT sender_id FROM transfer_parties LIMIT 1").fetchone()[0]
    now = datetime(2026, 3, 1, tzinfo=UTC)
    con.execute("INSERT INTO referrals VALUES ('REF-1', 'NCMEC', 'US', DATE '2026-02-27', "
                "'synthetic', ?, NULL, ?, 'matched', ?)", [json.dumps({}), now, now])
    con.execute("INSERT INTO referral_hits VALUES ('REF-1', 1, 'sender', ?, 0.9, 'email', "
                "'same email', ?)", [sender_id, now])
    opening = snapshot_from_store(con, "referral", "REF-1")
    assert opening.name == "REF-1 (NCMEC)" and opening.score == 0.9
    assert [(p.side, p.party_id) for p in opening.related] == [("sender", sender_id)]
    assert opening.related[0].name != sender_id   # the name as seen on the transfers
