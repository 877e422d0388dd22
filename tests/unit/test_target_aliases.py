"""One line per person in the targets: a target that may be a better-ranked target's second
record is named in its line instead of taking a line of its own (``scoring.aliases``)."""

import pytest

from filature.exports.lists import read_list
from filature.resolve.exact import resolve_exact
from filature.scoring.run import run_screening
from tests.builders import corridor_world

FACILITATORS = ["maria santos", "liza cruz", "joy reyes"]


def _buys(w, name, *, city, birth=None, phone=None, payees=FACILITATORS, times=6, day0=0):
    for k in range(times):
        w.send(name, payees[k % len(payees)], [20, 25, 30, 35][k % 4], day=day0 + k * 13,
               hour=23, birth=birth, phone=phone, sender_city=city)


def _screen(w, capacity=12):
    con = w.store()
    resolve_exact(con)
    report = run_screening(con, capacity=capacity, language="en")
    ids = {name: [r[0] for r in con.execute(
        "SELECT DISTINCT p.sender_id FROM transfer_parties p JOIN transfers t "
        "USING (provider, transfer_id) WHERE t.sender_name_norm = ?", [name]).fetchall()]
        for name in {r[11] for r in w.rows}}
    listed = [r[0] for r in con.execute(
        "SELECT target_id FROM targets WHERE run_id = ? ORDER BY rank", [report.run_id]
    ).fetchall()]
    return con, report, ids, listed


def test_a_bare_record_of_a_listed_buyer_is_named_in_his_line_not_listed_again():
    w = corridor_world()
    _buys(w, "marc dubois", city="Lyon", birth="1970-01-01", phone="+33612345678")
    _buys(w, "marc dubois", city="Lyon", payees=["joy reyes"], times=3, day0=5)  # name + town
    con, report, ids, listed = _screen(w)
    assert len(ids["marc dubois"]) == 2
    (full,) = [i for i in ids["marc dubois"] if i in listed]
    (bare,) = [i for i in ids["marc dubois"] if i != full]
    assert con.execute("SELECT target_id, alias_id FROM target_aliases WHERE run_id = ?",
                       [report.run_id]).fetchall() == [(full, bare)]
    # the ranks stay a sequence: the freed line goes to the next sender
    ranks = con.execute("SELECT rank FROM targets WHERE run_id = ? ORDER BY rank",
                        [report.run_id]).fetchall()
    assert [r[0] for r in ranks] == list(range(1, len(listed) + 1))
    columns, rows = read_list(con, "targets", report.run_id)
    line = dict(zip(columns, rows[listed.index(full)], strict=True))
    assert line["possible_aliases"].startswith(f"{bare}: same name and town as {full}")
    assert "not confirmed" in line["possible_aliases"]


def test_a_typo_in_the_name_still_folds_the_bare_record():
    w = corridor_world()
    _buys(w, "marc dubois", city="Lyon", birth="1970-01-01", phone="+33612345678")
    _buys(w, "marc duboiss", city="Lyon", payees=["joy reyes"], times=3, day0=5)
    con, report, ids, listed = _screen(w)
    assert ids["marc dubois"][0] in listed and ids["marc duboiss"][0] not in listed


@pytest.mark.parametrize(("first", "second"), [
    ({"birth": "1960-03-01"}, {"birth": "1985-07-21"}),              # born on different days
    ({"phone": "+33611111111"}, {"phone": "+33622222222", "city": "Brest"}),  # two towns
], ids=["different-birth-dates", "different-towns"])
def test_namesakes_told_apart_keep_a_line_each(first, second):
    w = corridor_world()
    _buys(w, "paul martin", **{"city": "Lyon", **first})
    _buys(w, "paul martin", **{"city": "Lyon", **second}, payees=["joy reyes"], times=4)
    con, report, ids, listed = _screen(w)
    assert len(ids["paul martin"]) == 2 and all(i in listed for i in ids["paul martin"])
    assert con.execute("SELECT count(*) FROM target_aliases WHERE run_id = ?",
                       [report.run_id]).fetchone()[0] == 0


def test_a_new_run_of_the_lists_replaces_the_run_aliases():
    from filature.scoring.outputs import write_targets

    w = corridor_world()
    _buys(w, "marc dubois", city="Lyon", birth="1970-01-01", phone="+33612345678")
    _buys(w, "marc dubois", city="Lyon", payees=["joy reyes"], times=3, day0=5)
    con, report, ids, listed = _screen(w)
    con.execute("DELETE FROM targets WHERE run_id = ?", [report.run_id])
    write_targets(con, report.run_id, 12, "fr")  # as the supervised ranking rewrites them
    rows = con.execute("SELECT reason FROM target_aliases WHERE run_id = ?",
                       [report.run_id]).fetchall()
    assert len(rows) == 1 and rows[0][0].startswith("même nom et même ville")


def test_the_summary_names_the_possible_second_record_in_the_target_line():
    from filature.exports.summary import render_summary

    w = corridor_world()
    _buys(w, "marc dubois", city="Lyon", birth="1970-01-01", phone="+33612345678")
    _buys(w, "marc dubois", city="Lyon", payees=["joy reyes"], times=3, day0=5)
    con, report, ids, listed = _screen(w)
    (alias,) = [i for i in ids["marc dubois"] if i not in listed]
    page = render_summary(con, "en")
    assert f"Possibly the same person: {alias}: same name and town as" in page


def test_a_not_the_same_judgement_gives_the_folded_sender_his_line_back():
    from filature.resolve.judgements import record_judgement
    from filature.resolve.records import SENDER, signature_sql

    w = corridor_world()
    _buys(w, "marc dubois", city="Lyon", birth="1970-01-01", phone="+33612345678")
    _buys(w, "marc dubois", city="Lyon", payees=["joy reyes"], times=3, day0=5)
    con, report, ids, listed = _screen(w)
    (full,) = [i for i in ids["marc dubois"] if i in listed]
    (bare,) = [i for i in ids["marc dubois"] if i != full]
    records = {sid: con.execute(
        f"SELECT DISTINCT {signature_sql(SENDER)} FROM transfers t JOIN transfer_parties p "
        "USING (provider, transfer_id) WHERE p.sender_id = ? ORDER BY 1", [sid]).fetchall()[0][0]
        for sid in (full, bare)}
    record_judgement(con, "different", records[bare], records[full], by="Lt Martin",
                     why="two men: the bare record's payer is his cousin")
    again = run_screening(con, capacity=12, language="en")
    listed = [r[0] for r in con.execute("SELECT target_id FROM targets WHERE run_id = ?",
                                        [again.run_id]).fetchall()]
    assert full in listed and bare in listed
    assert con.execute("SELECT count(*) FROM target_aliases WHERE run_id = ?",
                       [again.run_id]).fetchone()[0] == 0
