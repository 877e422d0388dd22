"""Acceptance on the small synthetic world: referrals lead to the buyers, and no one else first.

A partner names one receiving identity of a facilitator the way partners do (name in
capitals, phone in national format, no birth date): the report's payers must include at
least 95% of the buyers who paid that identity, ranked ahead of the non-buyers. A platform
report naming a buyer by email only must make him the first hit.
"""

import json
import shutil
from collections import Counter
from datetime import timedelta

import phonenumbers
import pytest

from filature.referrals.intake import import_referrals
from filature.referrals.report import referral_report
from filature.store import open_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(screened_world, tmp_path_factory):
    """A private copy of the shared screened world, and its truth joined to the parties."""
    db = tmp_path_factory.mktemp("referrals-world") / "f.duckdb"
    shutil.copy(screened_world.db, db)
    con = open_store(db)
    truth = screened_world.world / "truth"
    con.execute("CREATE TEMP TABLE truth_tx AS SELECT * FROM read_csv(?, all_varchar = true)",
                [str(truth / "transfers.csv")])
    con.execute("CREATE TEMP TABLE truth_people AS SELECT * FROM read_csv(?, "
                "all_varchar = true)", [str(truth / "people.csv")])
    con.execute(
        """CREATE TEMP TABLE truth_parties AS
           SELECT p.provider, p.transfer_id, p.sender_id, p.receiver_id, tt.sender_person_id,
                  tt.receiver_person_id, s.role AS sender_role, r.role AS receiver_role
           FROM transfer_parties p JOIN truth_tx tt USING (provider, transfer_id)
           JOIN truth_people s ON s.person_id = tt.sender_person_id
           JOIN truth_people r ON r.person_id = tt.receiver_person_id""")
    yield con
    con.close()


def _import(con, tmp_path, document):
    path = tmp_path / f"{document['referral_id']}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return import_referrals(con, path)


def _sender_person(con):
    """Each resolved sender's person: the one behind most of its transfers."""
    rows = con.execute("SELECT sender_id, sender_person_id, sender_role FROM truth_parties"
                       ).fetchall()
    votes: dict[str, Counter] = {}
    for sender_id, person, role in rows:
        votes.setdefault(sender_id, Counter())[(person, role)] += 1
    return {sid: c.most_common(1)[0][0] for sid, c in votes.items()}


def _loose(name: str, k: int) -> str:
    """How a partner writes a name: in capitals, or surname first."""
    return name.upper() if k % 2 == 0 else " ".join(reversed(name.split()))


def test_each_facilitator_identity_named_loosely_leads_to_its_buyers_first(world, tmp_path):
    identities = world.execute(
        """SELECT tp.receiver_id, mode(t.receiver_name), mode(t.receiver_phone_e164)
           FROM truth_parties tp JOIN transfers t USING (provider, transfer_id)
           WHERE tp.receiver_role = 'facilitator' AND t.receiver_phone_e164 IS NOT NULL
           GROUP BY tp.receiver_id HAVING bool_or(tp.sender_role = 'buyer')
           ORDER BY tp.receiver_id""").fetchall()
    assert len(identities) >= 5, "the small world should hold several facilitator identities"
    person = _sender_person(world)
    for k, (receiver_id, name, phone) in enumerate(identities):
        national = phonenumbers.format_number(phonenumbers.parse(phone),
                                              phonenumbers.PhoneNumberFormat.NATIONAL)
        rid = f"ACC-FAC-{k}"
        _import(world, tmp_path, {"referral_id": rid, "subjects": [
            {"role": "suspected_facilitator", "names": [_loose(name, k)],
             "phones": [national]}]})
        # The named identity is among the best hits, found by its phone (identities the
        # resolver kept apart under the same name and phone tie with it).
        best = world.execute(
            "SELECT party_id, matched_on FROM referral_hits WHERE referral_id = ? "
            "QUALIFY confidence = max(confidence) OVER ()", [rid]).fetchall()
        assert receiver_id in [b[0] for b in best], (name, national, best)
        assert all("phone" in b[1] for b in best)

        buyers = {r[0] for r in world.execute(
            "SELECT DISTINCT sender_person_id FROM truth_parties WHERE receiver_id = ? "
            "AND sender_role = 'buyer'", [receiver_id]).fetchall()}
        ranked = [person[r["target_id"]] for r in referral_report(world, rid)]
        found = {p for p, role in ranked if role == "buyer"} & buyers
        assert len(found) >= 0.95 * len(buyers), (name, len(found), len(buyers))
        # Every buyer found stands ahead of every payer who is not a buyer.
        is_buyer = [role == "buyer" for _, role in ranked]
        last_buyer = max(i for i, b in enumerate(is_buyer) if b)
        first_other = min((i for i, b in enumerate(is_buyer) if not b), default=len(is_buyer))
        assert last_buyer < first_other, (name, is_buyer)


def test_each_buyer_named_by_email_only_is_the_first_hit(world, tmp_path):
    buyers = world.execute(
        """SELECT tp.sender_person_id, min(t.sender_email)
           FROM truth_parties tp JOIN transfers t USING (provider, transfer_id)
           WHERE tp.sender_role = 'buyer' AND t.sender_email IS NOT NULL
           GROUP BY ALL ORDER BY tp.sender_person_id""").fetchall()
    assert len(buyers) >= 10
    person = _sender_person(world)
    for k, (buyer, email) in enumerate(buyers):
        rid = f"ACC-BUY-{k}"
        _import(world, tmp_path, {"referral_id": rid, "subjects": [
            {"role": "suspected_buyer", "emails": [email.upper()]}]})
        first = world.execute("SELECT party_id FROM referral_hits WHERE referral_id = ? "
                              "ORDER BY confidence DESC, party_id LIMIT 1", [rid]).fetchone()
        assert first is not None and person[first[0]] == (buyer, "buyer"), (email, first)


def test_planted_call_logs_flag_exactly_their_payments(world, tmp_path):
    """Sessions planted after known buyer payments, with decoys, give exactly those flags."""
    from filature.referrals.session_flags import compute_session_flags, read_session_flags
    from filature.referrals.sessions import import_sessions

    window = 6
    # Buyer payments with nobody else paying from the same account in the 12 h before or
    # the 6 h after, so each planted session can only follow its own payment.
    payments = world.execute(
        """WITH tx AS (
               SELECT t.transfer_id, t.sent_at, t.receiver_phone_e164,
                      coalesce(t.sender_email, t.sender_phone) AS account,
                      coalesce(t.sender_email, t.sender_phone_e164) AS account_key, tp.sender_role,
                      tp.receiver_role
               FROM transfers t JOIN truth_parties tp USING (provider, transfer_id)
               WHERE coalesce(t.sender_email, t.sender_phone_e164) IS NOT NULL)
           SELECT a.transfer_id, a.sent_at, a.account, a.receiver_phone_e164 FROM tx a
           WHERE a.sender_role = 'buyer' AND a.receiver_role = 'facilitator'
             AND a.receiver_phone_e164 IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM tx b WHERE b.account_key = a.account_key
                             AND b.transfer_id <> a.transfer_id
                             AND b.sent_at BETWEEN a.sent_at - INTERVAL 12 HOUR
                                               AND a.sent_at + INTERVAL 6 HOUR)
           ORDER BY a.transfer_id LIMIT 40""").fetchall()
    assert len(payments) >= 20
    planted, rows = {}, []
    for k, (transfer_id, sent_at, account, receiver_phone) in enumerate(payments):
        minutes = 5 + (k * 37) % (window * 60 - 10)
        peer = phonenumbers.format_number(phonenumbers.parse(receiver_phone),
                                          phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        planted[transfer_id] = minutes
        start = sent_at + timedelta(minutes=minutes)
        rows.append(f"{account},{peer},{start.isoformat()},,,VidChat")
        # decoys: the same account 3 h before the payment, a stranger right after it
        rows.append(f"{account},,{(sent_at - timedelta(hours=3)).isoformat()},,,VidChat")
        rows.append(f"stranger{k}@example.org,{peer},{start.isoformat()},,,VidChat")
    log = tmp_path / "returns.csv"
    log.write_text("account,peer_account,start,end,ip,platform\n" + "\n".join(rows) + "\n")
    assert import_sessions(world, log).added == 3 * len(payments)
    assert compute_session_flags(world, window) == len(planted)
    flags = {f["transfer_id"]: f["minutes_after"] for f in read_session_flags(world, window)}
    assert flags == planted
