"""Following the money from a seed: who is reached, in which order, with which filters."""

import csv
import json

import igraph as ig
import pytest

from filature.errors import InputError, NotFound
from filature.network.follow import (
    FollowFilters,
    follow_money,
    household_receivers,
    write_follow,
)
from filature.resolve.exact import resolve_exact
from filature.scoring.run import run_screening
from tests.builders import corridor_world


@pytest.fixture(scope="module")
def screened():
    w = corridor_world()
    # Maria's household: her sister in the same city (same surname), and a cousin
    # elsewhere who shares her phone; each paid by one sender nobody else pays.
    w.send("hidden payer", "rosa santos", 30, day=50, hour=23)
    w.send("phone payer", "gloria bautista", 35, day=60, hour=23, city="Davao City")
    w.send("davao client", "rosa santos", 30, day=70, hour=23, city="Davao City")
    con = w.store()
    con.execute("UPDATE transfers SET receiver_phone_e164 = '+639175550199' "
                "WHERE receiver_name_norm IN ('maria santos', 'gloria bautista')")
    resolve_exact(con)
    run_screening(con, capacity=5, language="en")
    yield con
    con.close()


def _receiver(con, name):
    return con.execute("SELECT DISTINCT p.receiver_id FROM transfers t JOIN transfer_parties p "
                       "USING (provider, transfer_id) WHERE t.receiver_name_norm = ? "
                       "AND t.receiver_city = 'Cebu City'", [name]).fetchone()[0]


def _names(nodes):
    return [n["name"] for n in nodes]


def test_a_facilitator_seed_reaches_her_whole_households_payers_buyers_first(screened):
    result = follow_money(screened, _receiver(screened, "maria santos"), hops=1)
    payers = _names(result.payers())
    assert set(payers) == {f"Buyer{b} Dupont" for b in range(5)} | {
        "Occasional Bob", "Hidden Payer", "Phone Payer"}
    assert all(n.startswith("Buyer") for n in payers[:5])
    whys = {n["name"]: n["via"] for n in result.receivers()}
    assert whys["Maria Santos"] == "the seed"
    assert whys["Rosa Santos"] == "same surname santos in cebu city"
    assert whys["Gloria Bautista"] == "shares phone +639175550199"
    assert "Davao Client" not in payers  # Rosa Santos of Davao is another household


def test_household_is_not_widened_when_asked_not_to(screened):
    result = follow_money(screened, _receiver(screened, "maria santos"), hops=1,
                          household=False)
    assert "Hidden Payer" not in _names(result.payers())


def test_a_buyer_seed_reaches_his_beneficiaries_then_their_other_payers(screened):
    buyer = screened.execute("SELECT DISTINCT sender_id FROM transfer_parties JOIN transfers "
                             "USING (provider, transfer_id) WHERE sender_name_norm = "
                             "'buyer0 dupont'").fetchone()[0]
    one = follow_money(screened, buyer, hops=1)
    assert set(_names(one.receivers())) == {"Maria Santos", "Liza Cruz", "Joy Reyes"}
    two = follow_money(screened, buyer, hops=2)
    assert "Occasional Bob" in _names(two.payers())
    assert {n["hop"] for n in two.payers() if n["name"] != "Buyer0 Dupont"} == {2}


def test_filters_narrow_every_hop(screened):
    seed = _receiver(screened, "maria santos")
    cheap = follow_money(screened, seed, hops=1, household=False,
                         filters=FollowFilters(max_eur=25))
    assert all(e["total_eur"] / e["transfers"] <= 25 for e in cheap.edges)
    assert "Occasional Bob" not in _names(cheap.payers())  # he sent 40 EUR
    nobody = follow_money(screened, seed, hops=1, filters=FollowFilters(corridor="DE-PH"))
    assert nobody.payers() == []
    strict = follow_money(screened, seed, hops=2, household=False,
                          filters=FollowFilters(min_facilitator_score=0.5))
    assert set(_names(strict.receivers())) == {"Maria Santos", "Liza Cruz", "Joy Reyes"}


def test_seeds_can_be_a_phone_in_national_format_or_a_transfer(screened):
    by_phone = follow_money(screened, "0917 555 0199", hops=1, household=False)
    assert {"Maria Santos", "Gloria Bautista"} == set(_names(by_phone.receivers()))
    with pytest.raises(NotFound):
        follow_money(screened, "nobody@example.org")
    with pytest.raises(InputError):
        follow_money(screened, _receiver(screened, "maria santos"),
                     filters=FollowFilters(corridor="France to PH"))


def test_exports_carry_the_same_network(screened, tmp_path):
    result = follow_money(screened, _receiver(screened, "maria santos"), hops=2)
    for fmt in ("csv", "json", "graphml"):
        write_follow(result, fmt, tmp_path / f"net.{fmt}")
    rows = list(csv.DictReader((tmp_path / "net.csv").open()))
    assert len(rows) == len(result.nodes) and rows[0]["side"] == "sender"
    document = json.loads((tmp_path / "net.json").read_text())
    assert len(document["edges"]) == len(result.edges) > 0
    graph = ig.Graph.Read_GraphML(str(tmp_path / "net.graphml"))
    assert (graph.vcount(), graph.ecount()) == (len(result.nodes), len(result.edges))
    assert sum(graph.es["transfers"]) == sum(e["transfers"] for e in result.edges)


def test_household_rule_reads_phone_and_surname_city(screened):
    maria = _receiver(screened, "maria santos")
    assert len(household_receivers(screened, [maria])) == 3
