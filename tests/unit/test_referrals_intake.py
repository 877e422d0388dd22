"""Referral intake: what an investigator sees when a partner's file is good, odd or broken."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from filature.errors import InputError, InvalidData
from filature.referrals.intake import import_referrals, read_referrals
from filature.referrals.normalise import name_key, phone_e164
from tests.builders import World

GOOD = {
    "referral_id": "US-HSI-2025-00417", "source": "Homeland Security Investigations",
    "source_country": "US", "received_at": "2025-03-01", "partner_case": "HSI-77",
    "subjects": [{"role": "suspected_facilitator", "names": ["Maria Santos Dizon"],
                  "birth_dates": ["1986-04-12"], "phones": ["+63 917 123 4567"],
                  "ip_addresses": [{"ip": "203.0.113.7", "seen_at": "2025-02-11T21:04:00Z"}],
                  "countries": ["ph"],
                  "payment_references": [{"provider": "MoneyBridge", "transfer_id": "T1"}]}],
}


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _errors(tmp_path, document, name="r.json"):
    with pytest.raises(InvalidData) as caught:
        read_referrals(_write(tmp_path, name, json.dumps(document)))
    return str(caught.value)


def test_a_referral_is_stored_with_its_subjects_and_the_partner_fields(tmp_path):
    con = World().store()
    report = import_referrals(con, _write(tmp_path, "r.json", json.dumps(GOOD)))
    assert report.referral_ids == ["US-HSI-2025-00417"] and report.subjects == 1
    assert report.open_referrals == ["US-HSI-2025-00417"]  # no transfers yet: kept open
    role, phones, countries = con.execute(
        "SELECT role, phones, countries FROM referral_subjects").fetchone()
    assert (role, phones, countries) == ("suspected_facilitator", ["+63 917 123 4567"], ["PH"])
    document = json.loads(con.execute("SELECT document FROM referrals").fetchone()[0])
    assert document["partner_case"] == "HSI-77"


def test_json_lines_and_csv_lists_give_the_same_referrals(tmp_path):
    second = {**GOOD, "referral_id": "FIU-2", "subjects": [
        {"role": "suspected_buyer", "emails": ["bruno.rey@example.org"]}]}
    lines = _write(tmp_path, "many.jsonl", json.dumps(GOOD) + "\n\n" + json.dumps(second))
    assert [r.referral_id for r, _ in read_referrals(lines)] == ["US-HSI-2025-00417", "FIU-2"]
    table = _write(tmp_path, "subjects.csv",
                   "Referral_ID,role,names,phones,emails,payment_references\n"
                   "FIU-3,suspected_facilitator,Maria Santos;Marites Dizon,0917 123 4567,,"
                   "MoneyBridge:T9\n"
                   "FIU-3,suspected_buyer,,,bruno.rey@example.org,\n")
    (referral, _), = read_referrals(table)
    assert [s.role for s in referral.subjects] == ["suspected_facilitator", "suspected_buyer"]
    assert referral.subjects[0].names == ["Maria Santos", "Marites Dizon"]
    assert referral.subjects[0].payment_references[0].provider == "MoneyBridge"


def test_missing_subjects_are_refused_by_name(tmp_path):
    assert "subjects: is required" in _errors(tmp_path, {"referral_id": "X"})
    assert "at least one subject" in _errors(tmp_path, {"referral_id": "X", "subjects": []})


def test_bad_dates_name_the_field_and_the_value(tmp_path):
    document = json.loads(json.dumps(GOOD))
    document["received_at"] = "01/03/2025"
    document["subjects"][0]["birth_dates"] = ["1986-13-40"]
    message = _errors(tmp_path, document)
    assert "received_at: '01/03/2025' is not an ISO 8601 date" in message
    assert "subjects[0].birth_dates[0]: '1986-13-40' is not an ISO 8601 date" in message


def test_an_unknown_role_lists_the_roles_accepted(tmp_path):
    document = {"referral_id": "X", "subjects": [{"role": "seller", "names": ["A B"]}]}
    message = _errors(tmp_path, document)
    assert "subjects[0].role: unknown role 'seller'" in message
    assert "suspected_buyer, suspected_facilitator, unknown" in message


def test_a_subject_without_identifier_is_refused(tmp_path):
    message = _errors(tmp_path, {"referral_id": "X", "subjects": [
        {"role": "unknown", "cities": ["Cebu City"]}]})
    assert "subjects[0]: a subject needs at least one identifier" in message


def test_one_bad_referral_loads_nothing_from_the_file(tmp_path):
    con = World().store()
    bad = {"referral_id": "BAD", "subjects": [{"role": "buyer", "names": ["A B"]}]}
    path = _write(tmp_path, "many.jsonl", json.dumps(GOOD) + "\n" + json.dumps(bad))
    with pytest.raises(InvalidData) as caught:
        import_referrals(con, path)
    assert "many.jsonl: line 2: subjects[0].role" in str(caught.value)
    assert con.execute("SELECT count(*) FROM referrals").fetchone() == (0,)


def test_csv_errors_point_at_the_subject_line(tmp_path):
    table = _write(tmp_path, "s.csv", "referral_id,role,names\nA,suspected_buyer,Jo Bo\n"
                                      "A,dealer,Al Bo\n")
    with pytest.raises(InvalidData) as caught:
        read_referrals(table)
    assert "s.csv: line 3: subjects[1].role: unknown role 'dealer'" in str(caught.value)


def test_broken_json_names_the_line(tmp_path):
    with pytest.raises(InputError) as caught:
        read_referrals(_write(tmp_path, "r.json", '{\n "referral_id": "X",\n}'))
    assert caught.value.line == 3 and "not valid JSON" in str(caught.value)


def test_a_referral_imported_again_replaces_the_old_version(tmp_path):
    con = World().store()
    import_referrals(con, _write(tmp_path, "r.json", json.dumps(GOOD)))
    corrected = {**GOOD, "subjects": [GOOD["subjects"][0], {"role": "suspected_buyer",
                                                            "emails": ["a@example.org"]}]}
    import_referrals(con, _write(tmp_path, "r2.json", json.dumps(corrected)))
    assert con.execute("SELECT count(*) FROM referrals").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM referral_subjects").fetchone() == (2,)


@given(st.lists(st.sampled_from(["maria", "SANTOS", "Dizón", "reyes", "José"]), min_size=1,
                max_size=4), st.randoms())
def test_a_name_key_ignores_order_case_and_accents(tokens, rnd):
    shuffled = list(tokens)
    rnd.shuffle(shuffled)
    assert name_key(" ".join(tokens)) == name_key("  ".join(t.upper() for t in shuffled))
    assert name_key(" ".join(tokens)).isascii()


@pytest.mark.parametrize("written", ["0917 123 4567", "+63 917 123 4567", "0063-917-1234567",
                                     "(0917) 123-4567"])
def test_phones_in_any_format_reach_the_same_e164(written):
    assert phone_e164(written, ["PH"]) == "+639171234567"


def test_a_national_phone_is_read_in_the_first_region_where_it_is_valid():
    assert phone_e164("06 12 34 56 78", ["PH", "FR"]) == "+33612345678"
    assert phone_e164("12", ["PH", "FR"]) is None
