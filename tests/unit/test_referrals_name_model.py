"""Referral names weighed by the saved resolution model's own name comparison."""

import json

import pytest

from filature.ingest import ingest_file
from filature.referrals.intake import import_referrals
from filature.referrals.matching import NAME_CONFIDENCE
from filature.referrals.name_model import saved_name_models
from filature.resolve.exact import resolve_exact
from filature.resolve.people import resolve_people
from filature.store import open_store
from filature.synth import generate_world
from tests.builders import corridor_world


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    """A small world resolved by Splink, so the store holds both sides' fitted models."""
    root = tmp_path_factory.mktemp("name-model")
    generate_world(root / "world", senders=400, buyers=8, seed=5)
    con = open_store(root / "f.duckdb")
    ingest_file(con, root / "world" / "transfers.csv")
    resolve_people(con)
    yield con
    con.close()


def _busiest_receiver(con):
    return con.execute(
        """SELECT p.receiver_id, mode(t.receiver_name) FROM transfers t
           JOIN transfer_parties p USING (provider, transfer_id)
           GROUP BY p.receiver_id ORDER BY count(*) DESC, p.receiver_id LIMIT 1""").fetchone()


def _hits(con, tmp_path, referral_id, name):
    path = tmp_path / f"{referral_id}.json"
    path.write_text(json.dumps({"referral_id": referral_id, "subjects": [
        {"role": "suspected_facilitator", "names": [name]}]}), encoding="utf-8")
    import_referrals(con, path)
    return con.execute("SELECT party_id, confidence, reason FROM referral_hits "
                       "WHERE referral_id = ? ORDER BY confidence DESC", [referral_id]).fetchall()


def test_the_saved_models_give_the_name_levels_and_their_weights(resolved):
    models = saved_name_models(resolved)
    assert models is not None and set(models) == {"sender", "receiver"}
    labels = [level.label for level in models["receiver"].levels]
    assert "one typo or swapped order" in labels
    exact = next(lv for lv in models["receiver"].levels if lv.tf_adjusted)
    assert exact.weight is not None and exact.weight > 0


def test_without_a_splink_run_there_is_no_name_model():
    con = corridor_world().store()
    resolve_exact(con)
    assert saved_name_models(con) is None


def test_capitals_swapped_order_and_a_typo_hit_with_the_models_level(resolved, tmp_path):
    party_id, name = _busiest_receiver(resolved)
    tokens = name.split()
    last = tokens[-1]
    typo = " ".join([*tokens[:-1], last[:2] + last[1] + last[2:]])  # one letter doubled
    variants = {"CAPS": (name.upper(), "Exact match on name_sorted"),
                "SWAP": (" ".join(reversed(tokens)), "Exact match on name_sorted"),
                "TYPO": (typo, "one typo or swapped order")}
    low, high = NAME_CONFIDENCE
    for referral_id, (variant, label) in variants.items():
        hits = _hits(resolved, tmp_path, referral_id, variant)
        assert hits and hits[0][0] == party_id, (variant, hits)
        _, confidence, reason = hits[0]
        assert low <= confidence <= high
        assert f"'{label}' level, match weight +" in reason, reason
        assert reason.endswith("from the resolution model)"), reason


def test_an_unrelated_name_does_not_hit(resolved, tmp_path):
    assert _hits(resolved, tmp_path, "NONE", "Zbigniew Quorbelsky") == []
    # Sharing one token passes the blocking, but the model's level for it weighs against.
    party_id, name = _busiest_receiver(resolved)
    hits = _hits(resolved, tmp_path, "ONE-TOKEN", f"{name.split()[0]} Quorbelsky")
    assert party_id not in [h[0] for h in hits], hits
