"""Exact-key resolution: one person across operators, two people who merely share a name."""

from filature.resolve.exact import resolve_exact
from tests.builders import World


def _senders(con):
    return dict(con.execute("SELECT transfer_id, sender_id FROM transfer_parties").fetchall())


def test_same_phone_across_operators_and_name_order_is_one_person():
    w = World()
    a = w.send("bruno rey", "x", 20, 1, phone="+33660720427", provider="MoneyBridge")
    b = w.send("rey bruno", "y", 20, 2, phone="+33660720427", provider="SwiftPay")
    con = w.store()
    resolve_exact(con)
    ids = _senders(con)
    assert ids[a] == ids[b]


def test_same_name_with_different_birth_dates_are_two_people():
    w = World()
    a = w.send("jean martin", "x", 20, 1, birth="1960-01-01")
    b = w.send("jean martin", "x", 20, 2, birth="1971-05-09")
    con = w.store()
    resolve_exact(con)
    ids = _senders(con)
    assert ids[a] != ids[b]


def test_entity_ids_are_stable_across_runs():
    w = World()
    w.send("bruno rey", "x", 20, 1, phone="+33660720427")
    con = w.store()
    resolve_exact(con)
    first = _senders(con)
    resolve_exact(con)
    assert _senders(con) == first


def test_receiving_identities_sharing_a_phone_stay_distinct():
    w = World()
    a = w.send("bruno rey", "maria santos", 20, 1)
    b = w.send("bruno rey", "marites dizon", 20, 2)
    con = w.store()
    resolve_exact(con)
    rows = dict(con.execute("SELECT transfer_id, receiver_id FROM transfer_parties").fetchall())
    assert rows[a] != rows[b]
