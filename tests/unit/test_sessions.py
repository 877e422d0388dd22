"""Session logs: import with quarantine, account links, and payments flagged by a session."""

import csv
from datetime import timedelta, timezone

import pytest

from filature.errors import InputError, InvalidData
from filature.referrals.session_flags import (
    compute_session_flags,
    flagged_payments_by_sender,
    read_session_flags,
    write_session_flags,
)
from filature.referrals.session_layout import load_session_layout
from filature.referrals.sessions import attach_username, import_sessions
from filature.resolve.exact import resolve_exact
from tests.builders import BASE, World

PARIS = timezone(timedelta(hours=1))
MARIA, LIZA = "+639175550101", "+639175550202"


def _at(day, hour=23, minutes=0):
    """A payment time of the builder, written as a platform would: Paris time, offset."""
    return (BASE + timedelta(days=day, hours=hour, minutes=minutes)).astimezone(PARIS).isoformat()


@pytest.fixture
def world():
    w = World()
    pays = {
        "a": w.send("bruno rey", "maria santos", 25, day=10, hour=23),
        "b": w.send("alain roux", "liza cruz", 30, day=20, hour=23, phone="+33612345678"),
        "c": w.send("bruno rey", "liza cruz", 25, day=30, hour=23),
        "d": w.send("bruno rey", "maria santos", 40, day=40, hour=23),
        "e": w.send("alain roux", "maria santos", 50, day=50, hour=23, phone="+33612345678"),
    }
    con = w.store()
    con.execute("UPDATE transfers SET sender_email = 'bruno.rey@example.org' "
                "WHERE sender_name_norm = 'bruno rey'")
    con.execute("UPDATE transfers SET receiver_phone_e164 = CASE receiver_name_norm "
                "WHEN 'maria santos' THEN ? ELSE ? END", [MARIA, LIZA])
    resolve_exact(con)
    yield con, pays
    con.close()


def _log(tmp_path, rows, header="account,peer_account,start,end,ip,platform"):
    path = tmp_path / "vidchat.csv"
    path.write_text(header + "\n" + "\n".join(",".join(r) for r in rows) + "\n")
    return path


KNOWN_PAIRS = [
    # payment a: the payer's email calls the receiver 40 min later, and again 3 h later
    ("Bruno.Rey@example.org", "+63 917 555 0101", _at(10, 23, 40), _at(10, 24, 20), "", "VidChat"),
    ("bruno.rey@example.org", "", _at(10, 26), "", "198.51.100.23", "VidChat"),
    # payment b: the payer's phone, in French national format, 5 h later, no peer given
    ("06 12 34 56 78", "", _at(20, 28), _at(20, 29), "", "VidChat"),
    # payment c (to Liza): a call 1 h later, but with Maria: not evidence for this payment
    ("bruno.rey@example.org", "+63 917 555 0101", _at(30, 24), "", "", "VidChat"),
    # payment d: a session *before* the payment
    ("bruno.rey@example.org", "", _at(40, 22), "", "", "VidChat"),
    # payment e: the receiver's account, the payer on the other side, 2 h later
    ("+63 917 555 0101", "+33 6 12 34 56 78", _at(50, 25), "", "", "VidChat"),
    # an account the transfers do not know
    ("zed@example.org", "", _at(10, 23, 30), "", "", "VidChat"),
]


def test_payments_followed_by_a_session_are_flagged_exactly(world, tmp_path):
    con, pays = world
    report = import_sessions(con, _log(tmp_path, KNOWN_PAIRS))
    assert (report.rows_read, report.added, report.quarantined) == (7, 7, 0)
    assert compute_session_flags(con, 6) == 3
    flags = {f["transfer_id"]: f for f in read_session_flags(con, 6)}
    assert set(flags) == {pays["a"], pays["b"], pays["e"]}
    assert flags[pays["a"]]["minutes_after"] == 40 and flags[pays["a"]]["sessions_in_window"] == 2
    assert flags[pays["a"]]["link"] == ("payer's email Bruno.Rey@example.org; other side is the "
                                        "receiver (phone)")
    assert flags[pays["b"]]["minutes_after"] == 300
    assert flags[pays["b"]]["link"].endswith("no other side given")
    assert flags[pays["e"]]["link"].startswith("receiver's phone +63 917 555 0101; other side "
                                               "is the payer (phone)")
    # A narrower window drops the payment whose session came 5 h later.
    assert compute_session_flags(con, 4) == 2
    assert {f["transfer_id"] for f in read_session_flags(con, 4)} == {pays["a"], pays["e"]}
    per_sender = flagged_payments_by_sender(con, 6)
    assert sorted(per_sender.values()) == [1, 2]


def test_bad_rows_are_quarantined_with_line_and_reason(world, tmp_path):
    con, _ = world
    report = import_sessions(con, _log(tmp_path, [
        ("bruno.rey@example.org", "", "2024-03-02T22:41:10", "", "", ""),
        ("", "", _at(1), "", "", ""),
        ("bruno.rey@example.org", "", _at(2), _at(1), "", ""),
        ("bruno.rey@example.org", "", "yesterday", "", "", ""),
        ("bruno.rey@example.org", "", _at(3), "", "", "VidChat"),
    ]))
    assert (report.added, report.quarantined) == (1, 4)
    reasons = dict(report.quarantine_sample)
    assert "has no UTC offset" in reasons[2]
    assert reasons[3] == "account is empty"
    assert "is before start" in reasons[4]
    assert "is not an ISO 8601 date and time" in reasons[5]
    again = import_sessions(con, tmp_path / "vidchat.csv")
    assert again.already_loaded and con.execute("SELECT count(*) FROM sessions").fetchone() == (1,)


def test_a_file_without_the_required_columns_is_refused(world, tmp_path):
    con, _ = world
    with pytest.raises(InputError) as caught:
        import_sessions(con, _log(tmp_path, [("x", "y")], header="user,when"))
    assert "missing column(s): account, start" in str(caught.value)


def test_a_username_attached_by_an_investigator_links_its_sessions(world, tmp_path):
    con, pays = world
    import_sessions(con, _log(tmp_path, [("rey_b_75", "", _at(40, 23, 15), "", "", "VidChat")]))
    assert compute_session_flags(con, 6) == 0
    bruno = con.execute("SELECT sender_id FROM transfer_parties WHERE transfer_id = ?",
                        [pays["d"]]).fetchone()[0]
    attach_username(con, "Rey_B_75", "sender", bruno, "analyst1")
    assert compute_session_flags(con, 6) == 1
    out = tmp_path / "flags.csv"
    write_session_flags(read_session_flags(con, 6), "csv", out)
    (row,) = list(csv.DictReader(out.open()))
    assert row["transfer_id"] == pays["d"] and row["link"].startswith("payer's username")
    with pytest.raises(InputError):
        attach_username(con, "x", "sender", "S-unknown", "analyst1")


def test_another_layout_is_read_through_a_mapping(world, tmp_path):
    con, pays = world
    mapping = tmp_path / "vidchat.toml"
    mapping.write_text('[format]\ndelimiter = ";"\ntimezone = "Europe/Paris"\n'
                       '[columns]\naccount = "Compte"\nstart = "Debut"\n'
                       'peer_account = "Correspondant"\n')
    log = tmp_path / "export.csv"
    # Paris wall-clock time, no offset: 40 minutes after payment a (23:00 UTC = 00:00 Paris)
    log.write_text("Compte;Correspondant;Debut\n"
                   "bruno.rey@example.org;+63 917 555 0101;2024-01-12T00:40:00\n")
    assert import_sessions(con, log, mapping=mapping).added == 1
    assert compute_session_flags(con, 1) == 1
    (flag,) = read_session_flags(con, 1)
    assert flag["transfer_id"] == pays["a"] and flag["minutes_after"] == 40


def test_a_mapping_with_an_unknown_column_is_refused(tmp_path):
    mapping = tmp_path / "bad.toml"
    mapping.write_text('[columns]\ncaller = "Compte"\n[format]\ntimezone = "Paris"\n')
    with pytest.raises(InvalidData) as caught:
        load_session_layout(mapping)
    assert "columns: unknown column(s) caller" in str(caught.value)
    assert "format.timezone: unknown time zone 'Paris'" in str(caught.value)


def test_referral_usernames_and_ips_match_through_the_session_logs(world, tmp_path):
    import json

    from filature.referrals.intake import import_referrals

    con, pays = world
    import_sessions(con, _log(tmp_path, KNOWN_PAIRS))
    bruno = con.execute("SELECT sender_id FROM transfer_parties WHERE transfer_id = ?",
                        [pays["a"]]).fetchone()[0]
    attach_username(con, "rey_b_75", "sender", bruno, "analyst1")
    referral = tmp_path / "platform.json"
    referral.write_text(json.dumps({"referral_id": "VC-1", "subjects": [
        {"role": "suspected_buyer", "usernames": ["REY_B_75"]},
        {"role": "suspected_buyer", "ip_addresses": [{"ip": "198.51.100.23"}]}]}))
    import_referrals(con, referral)
    hits = con.execute("SELECT subject_no, party_id, confidence, reason FROM referral_hits "
                       "ORDER BY subject_no").fetchall()
    assert [(h[0], h[1]) for h in hits] == [(1, bruno), (2, bruno)]
    assert "username REY_B_75 is the session account tied to this sender" in hits[0][3]
    assert hits[1][3] == ("IP 198.51.100.23 was used on 1 session(s) of account "
                          "bruno.rey@example.org, tied to this sender (email)")
    assert hits[1][2] < 0.5  # an IP alone is listed, not followed
