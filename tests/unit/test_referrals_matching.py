"""Matching referral subjects to the parties of the transfers, and the referral report."""

import json

import pytest

from filature.referrals.intake import import_referrals
from filature.referrals.matching import rematch_open_referrals
from filature.referrals.report import referral_report, write_referral_report
from filature.resolve.exact import resolve_exact
from filature.scoring.run import run_screening
from tests.builders import corridor_world


@pytest.fixture(scope="module")
def screened():
    con = corridor_world().store()
    # What the builder leaves empty: a buyer's email and a facilitator's phone.
    con.execute("UPDATE transfers SET sender_email = 'buyer3.dupont@example.org' "
                "WHERE sender_name_norm = 'buyer3 dupont'")
    con.execute("UPDATE transfers SET receiver_phone = '+63 917 555 0101', "
                "receiver_phone_e164 = '+639175550101' WHERE receiver_name_norm = 'liza cruz'")
    resolve_exact(con)
    run_screening(con, capacity=5, language="en")
    yield con
    con.close()


def _import(con, tmp_path, document):
    path = tmp_path / f"{document['referral_id']}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return import_referrals(con, path)


def _hits(con, referral_id):
    return con.execute(
        """SELECT h.side, min(t.receiver_name) FILTER (WHERE h.side = 'receiver'),
                  min(t.sender_name) FILTER (WHERE h.side = 'sender'), h.confidence, h.reason
           FROM referral_hits h JOIN transfer_parties p
             ON (h.side = 'sender' AND p.sender_id = h.party_id)
             OR (h.side = 'receiver' AND p.receiver_id = h.party_id)
           JOIN transfers t USING (provider, transfer_id)
           WHERE h.referral_id = ? GROUP BY ALL ORDER BY h.confidence DESC""",
        [referral_id]).fetchall()


def test_a_facilitator_named_in_capitals_with_a_national_phone_is_the_first_hit(
        screened, tmp_path):
    _import(screened, tmp_path, {"referral_id": "PH-1", "subjects": [
        {"role": "suspected_facilitator", "names": ["CRUZ, LIZA"], "phones": ["0917 555 0101"],
         "countries": ["PH"]}]})
    hits = _hits(screened, "PH-1")
    side, receiver, _, confidence, reason = hits[0]
    assert (side, receiver) == ("receiver", "Liza Cruz")
    assert confidence > 0.95
    assert 'phone +639175550101 (given as "0917 555 0101")' in reason
    assert 'name "CRUZ, LIZA" is close to "liza cruz"' in reason
    assert all(h[3] < confidence for h in hits[1:])


def test_a_buyer_named_by_email_only_is_the_first_hit(screened, tmp_path):
    _import(screened, tmp_path, {"referral_id": "NCMEC-1", "subjects": [
        {"role": "suspected_buyer", "emails": [" Buyer3.Dupont@Example.org"]}]})
    (side, _, sender, confidence, reason), *others = _hits(screened, "NCMEC-1")
    assert (side, sender, others) == ("sender", "Buyer3 Dupont", [])
    assert confidence == pytest.approx(0.95)
    assert "email buyer3.dupont@example.org" in reason and "8 transfers" in reason


def test_a_name_variant_still_hits_on_the_facilitator_side_only(screened, tmp_path):
    _import(screened, tmp_path, {"referral_id": "V-1", "subjects": [
        {"role": "suspected_facilitator", "names": ["Marya Santos"]}]})
    hits = _hits(screened, "V-1")
    assert [(h[0], h[1]) for h in hits] == [("receiver", "Maria Santos")]
    assert 0.3 <= hits[0][3] < 0.6  # a name alone stays below an account identifier


def test_a_transfer_reference_hits_both_ends_for_an_unknown_role(screened, tmp_path):
    tid = screened.execute("SELECT transfer_id FROM transfers WHERE receiver_name_norm = "
                           "'hope foundation' ORDER BY transfer_id LIMIT 1").fetchone()[0]
    _import(screened, tmp_path, {"referral_id": "MTO-1", "subjects": [
        {"role": "unknown", "payment_references": [{"provider": "moneybridge",
                                                    "transfer_id": tid.lower()}]}]})
    assert sorted(h[0] for h in _hits(screened, "MTO-1")) == ["receiver", "sender"]


def test_a_referral_with_no_hit_is_kept_and_found_after_a_new_load(tmp_path):
    world = corridor_world()
    con = world.store()
    resolve_exact(con)
    report = _import(con, tmp_path, {"referral_id": "LATE-1", "subjects": [
        {"role": "suspected_facilitator", "names": ["Rowena Bautista"]}]})
    assert report.open_referrals == ["LATE-1"]
    assert rematch_open_referrals(con) == {"LATE-1": 0}
    world.rows.clear()
    for k in range(3):
        world.send("buyer0 dupont", "rowena bautista", 25, day=200 + k, hour=23)
    con.executemany("INSERT INTO transfers VALUES (" + ", ".join("?" * 32) + ")", world.rows)
    resolve_exact(con)
    assert rematch_open_referrals(con) == {"LATE-1": 1}
    assert con.execute("SELECT status FROM referrals").fetchone() == ("matched",)
    assert rematch_open_referrals(con) == {}  # matched referrals are not matched again


def test_the_report_ranks_the_facilitators_buyers_ahead_of_an_occasional_payer(
        screened, tmp_path):
    _import(screened, tmp_path, {"referral_id": "R-MS", "subjects": [
        {"role": "suspected_facilitator", "names": ["MARIA SANTOS"], "cities": ["Cebu City"]}]})
    rows = referral_report(screened, "R-MS")
    names = [r["name"] for r in rows]
    assert names[-1] == "Occasional Bob" and len(names) == 6
    assert all(n.startswith("Buyer") for n in names[:5])
    first = rows[0]
    assert first["rank"] == 1 and first["subject_role"] == "suspected_facilitator"
    assert first["receivers"] == "Maria Santos" and first["path"].endswith(first["target_id"])
    assert len(first["transfer_ids"].split(";")) == first["transfer_count"] > 0
    assert first["top_indicators"].startswith("N01")


def test_a_buyers_report_reaches_the_other_payers_of_his_beneficiaries(screened, tmp_path):
    _import(screened, tmp_path, {"referral_id": "B-3", "subjects": [
        {"role": "suspected_buyer", "emails": ["buyer3.dupont@example.org"]}]})
    out = tmp_path / "b3.json"
    assert write_referral_report(screened, "B-3", "json", out) == 6
    document = json.loads(out.read_text())
    related = {r["name"]: r for r in document["related_senders"]}
    assert related["Buyer3 Dupont"]["path"] == related["Buyer3 Dupont"]["target_id"]
    assert " -> " in related["Buyer0 Dupont"]["path"] and " <- " in related["Buyer0 Dupont"][
        "path"]
    assert document["hits"][0]["matched_on"] == "email"


def test_rematching_inside_the_callers_transaction_follows_its_fate(tmp_path):
    con = corridor_world().store()
    resolve_exact(con)
    _import(con, tmp_path, {"referral_id": "T-1", "subjects": [
        {"role": "suspected_facilitator", "names": ["Joy Reyes"]}]})
    con.execute("DELETE FROM referral_hits")
    con.execute("UPDATE referrals SET status = 'open'")
    con.execute("BEGIN")  # as ingest does around a load
    assert rematch_open_referrals(con) == {"T-1": 1}
    con.execute("ROLLBACK")
    assert con.execute("SELECT count(*) FROM referral_hits").fetchone() == (0,)
