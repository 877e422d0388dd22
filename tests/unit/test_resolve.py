"""Splink resolution on tiny stores: variants of one person, stable ids, judgements,
explanations and receiving households.

One model is fitted per module on a small synthetic world and passed to every run (fitting
is what makes Splink slow on tiny data); each store is padded with unrelated people so that
name frequencies look like a real population's.
"""

from __future__ import annotations

from itertools import product
from pathlib import Path
from typing import Any

import duckdb
import pytest

from filature.errors import InputError
from filature.resolve.explain import explain_link
from filature.resolve.judgements import record_judgement
from filature.resolve.people import fit_models, resolve_people
from filature.resolve.records import RECEIVER, SENDER, signature_sql
from tests.builders import World

COLUMNS = (
    "provider", "transfer_id", "sent_at", "sent_local", "amount", "currency", "amount_eur",
    "fx_rate", "fx_date", "channel", "sender_name", "sender_name_norm", "sender_birth_date",
    "sender_id_number", "sender_phone", "sender_phone_e164", "sender_email", "sender_address",
    "sender_city", "sender_country", "receiver_name", "receiver_name_norm",
    "receiver_birth_date", "receiver_id_number", "receiver_phone", "receiver_phone_e164",
    "receiver_city", "receiver_country",
)
FIRST = ("alain", "brigitte", "cedric", "delphine", "etienne", "fanny", "gilles", "helene",
         "ivan", "josiane", "karim", "laure", "mathis", "nadia", "olivier", "pauline")
LAST = ("abadie", "bertin", "carpentier", "dumont", "estienne", "ferrand", "gauthier",
        "hamelin", "imbert", "jolivet", "lacombe", "marchal", "noyer", "poirier", "quentin",
        "renaud", "sauvage", "tessier", "vautrin", "wagner")


def send(w: World, sender: str, receiver: str, day: float = 1, **fields: Any) -> str:
    """A transfer from ``tests.builders`` with any party field set (phone, email, ID...)."""
    tid = w.send(sender, receiver, 30, day, phone=fields.pop("sender_phone_e164", None),
                 birth=fields.pop("sender_birth_date", None),
                 provider=fields.pop("provider", "MoneyBridge"),
                 city=fields.pop("receiver_city", "Cebu City"))
    row = list(w.rows[-1])
    for name, value in fields.items():
        row[COLUMNS.index(name)] = value
        if name == "receiver_phone_e164":
            row[COLUMNS.index("receiver_phone")] = value
    w.rows[-1] = tuple(row)
    return tid


def padded() -> World:
    """A world of 320 unrelated senders and receivers, each with their own phone and birth date."""
    w = World()
    for k, (first, last) in enumerate(product(FIRST, LAST)):
        send(w, f"{first} {last}", f"{last} {first}a", day=k % 300,
             sender_phone_e164=f"+3361{k:07d}",
             sender_birth_date=f"19{50 + k % 45}-0{1 + k % 9}-1{k % 10}", sender_city="Lyon",
             receiver_phone_e164=f"+63917{k:07d}", receiver_city="Davao City")
    return w


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    from filature.ingest import ingest_file
    from filature.store import open_store
    from filature.synth import generate_world

    root: Path = tmp_path_factory.mktemp("resolve-model")
    generate_world(root / "world", senders=1500, seed=5)
    con = open_store(":memory:")
    ingest_file(con, root / "world" / "transfers.csv")
    fitted = fit_models(con)
    con.close()
    return fitted


def parties(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    rows = con.execute("SELECT transfer_id, sender_id, receiver_id FROM transfer_parties")
    return {t: (s, r) for t, s, r in rows.fetchall()}


def record_of(con: duckdb.DuckDBPyConnection, transfer_id: str, side: str = "sender") -> str:
    sql = signature_sql(SENDER if side == "sender" else RECEIVER)
    return str(con.execute(f"SELECT {sql} FROM transfers t WHERE transfer_id = ?",
                           [transfer_id]).fetchall()[0][0])


def test_one_buyer_under_name_variants_and_operators_is_one_person(models):
    w = padded()
    a = send(w, "bruno verois", "maria santos", sender_phone_e164="+33660720427",
             sender_birth_date="1971-03-02", sender_city="Namur")
    b = send(w, "VEROIS Bruno", "maria santos", provider="SwiftPay",
             sender_phone_e164="+33660720427", sender_city="Namur")
    c = send(w, "brunno verois", "joy reyes", sender_birth_date="1971-03-02",
             sender_email="bruno.verois@example.org", sender_city="Namur")
    namesake = send(w, "bruno verois", "joy reyes", sender_birth_date="1988-11-23",
                    sender_phone_e164="+33699887766", sender_city="Brest")
    con = w.store()
    report = resolve_people(con, models=models)
    ids = parties(con)
    assert ids[a][0] == ids[b][0] == ids[c][0]
    assert ids[namesake][0] != ids[a][0]
    assert report.method == "splink" and report.transfers == len(w.rows)
    saved = con.execute("SELECT count(*) FROM resolution_runs WHERE method = 'splink' AND "
                        "json_extract(parameters, '$.models.sender') IS NOT NULL").fetchall()
    assert saved == [(1,)]


def test_ids_survive_a_rerun_and_a_new_load_links_into_existing_people(models):
    w = padded()
    a = send(w, "claire chot", "maria santos", sender_phone_e164="+33662846447")
    con = w.store()
    resolve_people(con, models=models)
    first = parties(con)
    resolve_people(con, models=models)
    assert parties(con) == first
    # A new load: the same buyer under a new spelling with his known phone, and a newcomer.
    later = World(rows=list(w.rows))
    for _ in range(len(w.rows)):
        next(later._ids)
    b = send(later, "CHOT Claire", "joy reyes", day=200, sender_phone_e164="+33662846447")
    new = send(later, "ophelie grandin", "joy reyes", day=201, sender_phone_e164="+33611223344")
    con.executemany("INSERT INTO transfers VALUES (" + ", ".join("?" * 32) + ")", later.rows[-2:])
    resolve_people(con, models=models)
    after = parties(con)
    assert after[b][0] == first[a][0]
    assert all(after[t][0] == first[t][0] for t in first)   # nobody renumbered
    assert after[new][0] not in {s for s, _ in first.values()}


def test_not_the_same_splits_and_stays_split_after_a_new_load(models):
    w = padded()
    a = send(w, "jean pierre morel", "maria santos", sender_phone_e164="+33655500001",
             sender_city="Lille")
    b = send(w, "jean morel", "maria santos", sender_phone_e164="+33655500001",
             sender_city="Lille")
    con = w.store()
    resolve_people(con, models=models)
    assert parties(con)[a][0] == parties(con)[b][0]
    j = record_judgement(con, "different", record_of(con, a), record_of(con, b),
                         by="analyst.dupont", why="father and son share the phone")
    resolve_people(con, models=models)
    split = parties(con)
    assert split[a][0] != split[b][0]
    stored = con.execute("SELECT decided_by, reason, decided_at IS NOT NULL FROM "
                         "resolution_judgements WHERE judgement_id = ?", [j.judgement_id])
    assert stored.fetchall() == [("analyst.dupont", "father and son share the phone", True)]
    # A new record tying both (same phone, same name as the father) must not rejoin them.
    row = list(w.rows[-1])
    row[1], row[COLUMNS.index("sender_email")] = "T900001", "jp.morel@example.org"
    con.execute("INSERT INTO transfers VALUES (" + ", ".join("?" * 32) + ")", row)
    resolve_people(con, models=models)
    again = parties(con)
    assert again[a][0] != again[b][0]


def test_same_person_joins_entities_the_model_keeps_apart(models):
    w = padded()
    a = send(w, "sebastien louvet", "maria santos", sender_phone_e164="+33612121212")
    b = send(w, "seb l", "joy reyes", sender_phone_e164="+33734343434")
    con = w.store()
    resolve_people(con, models=models)
    ids = parties(con)
    assert ids[a][0] != ids[b][0]
    record_judgement(con, "same", ids[a][0], ids[b][0], by="analyst.martin",
                     why="the operator confirmed one customer account")
    resolve_people(con, models=models)
    joined = parties(con)
    assert joined[a][0] == joined[b][0]
    assert joined[a][0] in (ids[a][0], ids[b][0])   # one of the known ids is kept


def test_a_judgement_needs_who_and_why(models):
    w = padded()
    a = send(w, "sebastien louvet", "maria santos")
    con = w.store()
    resolve_people(con, models=models)
    with pytest.raises(InputError):
        record_judgement(con, "same", record_of(con, a), record_of(con, "T000001"),
                         by="", why="")


def test_explanation_gives_each_fields_match_weight(models):
    w = padded()
    a = send(w, "bruno verois", "maria santos", sender_phone_e164="+33660720427",
             sender_birth_date="1971-03-02")
    b = send(w, "VEROIS Brunno", "maria santos", sender_phone_e164="+33660720427")
    con = w.store()
    resolve_people(con, models=models)
    e = explain_link(con, record_of(con, a), record_of(con, b))
    weights = {f.field: f for f in e.fields}
    assert {"name", "birth_date", "phone", "email", "address", "city"} <= set(weights)
    assert weights["phone"].match_weight > 5          # a shared phone is strong evidence
    assert weights["birth_date"].match_weight == 0    # missing on one side: no evidence
    assert weights["name"].level == "one typo or swapped order"
    assert e.same_entity
    total = e.prior_weight + sum(f.match_weight for f in e.fields)
    assert total == pytest.approx(e.match_weight, abs=0.1)


def test_households_group_relatives_but_keep_their_identities(models):
    w = padded()
    a = send(w, "paul roux", "marites dizon", receiver_phone_e164="+639171112233")
    b = send(w, "paul roux", "jomar tolentino", receiver_phone_e164="+639171112233")
    c = send(w, "paul roux", "lorna dizon", receiver_city="Angeles City")
    d = send(w, "paul roux", "ramon dizon", receiver_city="Angeles City")
    e = send(w, "yves caron", "elena dizon", receiver_city="Iloilo City")
    con = w.store()
    resolve_people(con, models=models)
    ids = parties(con)
    assert ids[a][1] != ids[b][1]                      # two receiving identities...
    household = dict(con.execute("SELECT receiver_id, household_id FROM receiver_households"
                                 ).fetchall())
    assert household[ids[a][1]] == household[ids[b][1]]   # ...of one household (phone)
    assert household[ids[c][1]] == household[ids[d][1]]   # surname, payout city, same payer
    assert household[ids[e][1]] != household[ids[c][1]]
    why = dict(con.execute("SELECT receiver_id, why FROM receiver_households").fetchall())
    assert "phone +639171112233" in why[ids[a][1]]


def test_threshold_outside_zero_one_is_refused(models):
    con = padded().store()
    with pytest.raises(InputError):
        resolve_people(con, threshold=1.5, models=models)


def crowded() -> World:
    """``padded()`` with 700 more senders: a bare name is then as rare as in a real file."""
    w = padded()
    for k in range(700):
        first, last = FIRST[k % len(FIRST)], LAST[k % len(LAST)]
        send(w, f"{first} {last}{k}", f"{last} {first}b", day=k % 300, sender_city="Lyon",
             sender_phone_e164=f"+3362{k:07d}", receiver_phone_e164=f"+63918{k:07d}")
    return w


def gaspard(w: World, bare_name: str = "gaspard lemoine") -> tuple[str, str]:
    """Gaspard Lemoine of Lyon paying Rowena Bautista: one of his three full transfers, and
    one transfer with nothing but a name (``bare_name``) and the city."""
    rich = [send(w, "gaspard lemoine", "rowena bautista", day=d, sender_city="Lyon",
                 sender_phone_e164="+33677001122", sender_birth_date="1961-05-04",
                 receiver_phone_e164="+639175550101") for d in (3, 40, 80)]
    bare = send(w, bare_name, "rowena bautista", day=120, sender_city="Lyon",
                receiver_phone_e164="+639175550101")
    return rich[0], bare


def test_a_bare_record_joins_the_person_who_pays_the_same_receiver(models):
    w = crowded()
    # The operator asked nothing but the name: the model alone cannot tell him from a namesake.
    rich, bare = gaspard(w)
    namesake = send(w, "gaspard lemoine", "teresita ocampo", day=130, sender_city="Lyon",
                    sender_phone_e164="+33699887700", receiver_phone_e164="+639175550202")
    con = w.store()
    resolve_people(con, models=models)
    ids = parties(con)
    assert ids[bare][0] == ids[rich][0]             # confirmed by the shared payee
    assert ids[namesake][0] != ids[rich][0]         # same name, another payee: not him
    stats = con.execute("SELECT json_extract(parameters, '$.stats.sender.supported_links') "
                        "FROM resolution_runs").fetchall()
    assert int(stats[0][0]) >= 1


def test_a_bare_record_with_a_misspelt_name_joins_the_person_who_pays_the_same_receiver(models):
    w = crowded()
    # Name and city only, and a typo: no phone, date or name to block on with his records.
    rich, bare = gaspard(w, bare_name="gaspard lemione")
    con = w.store()
    resolve_people(con, models=models)
    assert parties(con)[bare][0] == parties(con)[rich][0]


def test_a_bare_record_missing_a_letter_of_a_compound_name_still_meets_his_records(models):
    w = crowded()
    rich = [send(w, "jean-luc lemoine", "rowena bautista", day=d, sender_city="Lyon",
                 sender_phone_e164="+33677001122", sender_birth_date="1961-05-04",
                 receiver_phone_e164="+639175550101") for d in (3, 40, 80)]
    # "jean-uc": the initials change (j l l / j l u), the first sorted token does not.
    bare = send(w, "jean-uc lemoine", "rowena bautista", day=120, sender_city="Lyon",
                receiver_phone_e164="+639175550101")
    con = w.store()
    resolve_people(con, models=models)
    assert parties(con)[bare][0] == parties(con)[rich[0]][0]


def test_a_name_common_elsewhere_but_rare_in_the_town_is_confirmed_by_the_payee(models):
    w = crowded()
    # Namesakes in other towns, each with his own phone: the name is not rare in the file...
    for k, city in enumerate(("Paris", "Lille")):
        send(w, "gaspard lemoine", f"marites {city.lower()}", day=k, sender_city=city,
             sender_phone_e164=f"+3367300{k:04d}", receiver_phone_e164=f"+6391760{k:05d}")
    # ... but in Lyon only he has it, and his bare record pays his receiver, whom four
    # people pay: across the file, the chance that one of four is a namesake is too high
    # (4 x 4 of ~1,040 records), within Lyon it is not (4 x 2 of ~1,040).
    rich, bare = gaspard(w)
    for k, other in enumerate(("ondine ferrand", "basile rocher")):
        send(w, other, "rowena bautista", day=9 + k, sender_city="Lyon",
             sender_phone_e164=f"+3367700998{k}", receiver_phone_e164="+639175550101")
    con = w.store()
    resolve_people(con, models=models)
    assert parties(con)[bare][0] == parties(con)[rich][0]


def test_a_bare_record_two_namesakes_share_does_not_chain_them(models):
    w = crowded()
    first = send(w, "gaspard lemoine", "rowena bautista", sender_city="Lyon",
                 sender_phone_e164="+33677001122", receiver_phone_e164="+639175550101")
    second = send(w, "gaspard lemoine", "teresita ocampo", sender_city="Lyon",
                  sender_phone_e164="+33699887700", sender_birth_date="1990-01-02",
                  receiver_phone_e164="+639175550202")
    # One bare record, written the same for both men, pays each one's receiver.
    send(w, "gaspard lemoine", "rowena bautista", day=50, sender_city="Lyon",
         receiver_phone_e164="+639175550101")
    send(w, "gaspard lemoine", "teresita ocampo", day=60, sender_city="Lyon",
         receiver_phone_e164="+639175550202")
    con = w.store()
    resolve_people(con, models=models)
    ids = parties(con)
    assert ids[first][0] != ids[second][0]


def test_a_merged_away_id_still_finds_the_person(models):
    from filature.resolve.judgements import records_of
    from filature.resolve.stable_ids import current_entity_id

    w = padded()
    a = send(w, "sebastien louvet", "maria santos", sender_phone_e164="+33612121212")
    b = send(w, "seb l", "joy reyes", sender_phone_e164="+33734343434")
    con = w.store()
    resolve_people(con, models=models)
    before = parties(con)
    assert current_entity_id(con, before[a][0]) == before[a][0]   # live ids are themselves
    j = record_judgement(con, "same", before[a][0], before[b][0], by="analyst.martin",
                         why="the operator confirmed one customer account")
    resolve_people(con, models=models)
    kept = parties(con)[a][0]
    gone = ({before[a][0], before[b][0]} - {kept}).pop()
    assert current_entity_id(con, gone) == kept
    alias = con.execute("SELECT new_id, reason FROM entity_aliases WHERE old_id = ?",
                        [gone]).fetchall()
    assert alias == [(kept, f"same-person judgement {j.judgement_id}")]
    _, records = records_of(con, gone)        # a judgement or an explanation may name it
    assert record_of(con, a) in records and record_of(con, b) in records
    # A later run keeps the alias and never hands the old id to someone else.
    send(w, "ophelie grandin", "joy reyes", day=201, sender_phone_e164="+33611223344")
    con.execute("INSERT INTO transfers VALUES (" + ", ".join("?" * 32) + ")", w.rows[-1])
    resolve_people(con, models=models)
    assert current_entity_id(con, gone) == kept
    assert gone not in {s for s, _ in parties(con).values()}


def test_relatives_paid_by_one_sender_stay_distinct_identities(models):
    w = crowded()
    c = send(w, "paul roux", "lorna dizon", receiver_city="Angeles City")
    d = send(w, "paul roux", "ramon dizon", receiver_city="Angeles City")
    e = send(w, "paul roux", "lorna dizon", day=40, receiver_city="Angeles City",
             receiver_phone_e164="+639171234567", receiver_birth_date="1970-02-03")
    con = w.store()
    resolve_people(con, models=models)
    ids = parties(con)
    assert ids[c][1] != ids[d][1]        # a shared payer does not merge relatives
    assert ids[c][1] == ids[e][1]        # but confirms the same name


def test_a_later_run_reuses_the_fitted_models_until_the_records_grow(models):
    import json

    from filature.resolve.people import REFIT_GROWTH, _reusable

    con = padded().store()
    fitted = {side: {"records": 300, "resolution_id": "res-earlier"} for side in models}
    con.execute("INSERT INTO resolution_runs VALUES ('res-earlier', 'splink', now(), now(), "
                "?, 0, 0)", [json.dumps({"models": models, "fitted": fitted})])
    resolve_people(con)     # fitting on 320 records would fail: EM finds too few pairs
    saved = json.loads(con.execute("SELECT parameters FROM resolution_runs WHERE "
                                   "resolution_id <> 'res-earlier'").fetchall()[0][0])
    assert saved["fitted"]["sender"]["resolution_id"] == "res-earlier"
    assert saved["models"]["sender"] == models["sender"]
    previous = {"models": models, "fitted": fitted}
    assert _reusable(previous, SENDER, int(300 * REFIT_GROWTH))
    assert not _reusable(previous, SENDER, int(300 * REFIT_GROWTH) + 1)
    changed = json.loads(json.dumps(models["sender"]))
    changed["comparisons"][0]["comparison_levels"][1]["sql_condition"] = "true"
    assert not _reusable({"models": {"sender": changed}, "fitted": fitted}, SENDER, 300)
