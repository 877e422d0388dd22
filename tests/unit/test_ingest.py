"""Loading transfer files: nothing lost, nothing loaded twice, a failed load changes nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from filature.errors import InputError, InvalidData, MissingColumnsError
from filature.ingest import ingest_file
from filature.store import open_store
from tests.ingest_files import HEADER, canonical_row, write_csv


@pytest.fixture
def con():
    return open_store(":memory:")


def _count(con, sql, params=()):
    return con.execute(sql, list(params)).fetchall()[0][0]


def test_a_file_missing_amount_is_refused_naming_it(con, tmp_path):
    path = write_csv(tmp_path / "no_amount.csv", [canonical_row(1)],
                     header=[h for h in HEADER if h != "amount"])
    with pytest.raises(MissingColumnsError) as err:
        ingest_file(con, path)
    assert "amount" in str(err.value) and "no_amount.csv" in str(err.value)
    assert _count(con, "SELECT count(*) FROM transfers") == 0
    assert _count(con, "SELECT count(*) FROM source_files") == 0


def test_five_broken_rows_among_two_thousand(con, tmp_path):
    rows = [canonical_row(i) for i in range(2000)]
    broken = {17: {"amount": "douze"}, 450: {"sent_at": "yesterday"},
              999: {"receiver_country": "Philippines"}, 1500: {"amount": "-20.00"},
              1998: {"sender_name": ""}}
    for i, change in broken.items():
        rows[i].update(change)
    report = ingest_file(con, write_csv(tmp_path / "t.csv", rows))
    assert (report.rows_read, report.added, report.quarantined) == (2000, 1995, 5)
    quarantined = con.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall()
    assert [line for line, _ in quarantined] == [i + 2 for i in sorted(broken)]  # 1 = header
    reasons = dict(quarantined)
    assert "amount: not a number 'douze'" in reasons[19]
    assert "sent_at" in reasons[452]
    assert "receiver_country" in reasons[1001]
    assert "above zero" in reasons[1502]
    assert "sender_name: missing" in reasons[2000]


def test_the_same_file_twice_adds_nothing(con, tmp_path):
    path = write_csv(tmp_path / "t.csv", [canonical_row(i) for i in range(50)])
    assert ingest_file(con, path).added == 50
    again = ingest_file(con, path)
    assert (again.added, again.duplicates, again.conflicts) == (0, 50, 0)
    assert _count(con, "SELECT count(*) FROM transfers") == 50


def test_a_changed_row_under_a_known_key_is_a_conflict_not_a_load(con, tmp_path):
    ingest_file(con, write_csv(tmp_path / "a.csv", [canonical_row(1)]))
    report = ingest_file(con, write_csv(tmp_path / "b.csv", [canonical_row(1, amount="99.00")]))
    assert (report.added, report.conflicts) == (0, 1)
    assert con.execute("SELECT existing_file_id, existing_line, differing_columns "
                       "FROM conflicts").fetchall() == [(1, 2, "amount")]
    assert _count(con, "SELECT amount FROM transfers") == 21


def test_a_key_repeated_within_one_file_is_a_duplicate_or_a_conflict(con, tmp_path):
    rows = [canonical_row(1), canonical_row(2), canonical_row(1),
            canonical_row(2, amount="99.00"), canonical_row(3)]
    report = ingest_file(con, write_csv(tmp_path / "t.csv", rows))
    assert (report.added, report.duplicates, report.conflicts) == (3, 1, 1)
    assert con.execute("SELECT line, existing_file_id, existing_line, differing_columns "
                       "FROM conflicts").fetchall() == [(5, 1, 3, "amount")]
    assert con.execute("SELECT source_line FROM transfers ORDER BY rowid").fetchall() == [
        (2,), (3,), (6,)]


def test_a_load_killed_midway_leaves_the_store_unchanged(tmp_path):
    db = tmp_path / "f.duckdb"
    first = write_csv(tmp_path / "first.csv", [canonical_row(i) for i in range(10)])
    second = write_csv(tmp_path / "second.csv", [canonical_row(i) for i in range(10, 3000)])
    con = open_store(db)
    ingest_file(con, first)
    con.close()
    # The child process is killed by the operating system right after the transfers are
    # written and before the transaction commits, as a power cut or `kill -9` would.
    script = textwrap.dedent(f"""
        import os, signal
        import filature.ingest.load as load
        from filature.store import open_store
        real = load._write
        def write_then_die(*args, **kwargs):
            real(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
        load._write = write_then_die
        load.ingest_file(open_store({str(db)!r}), {str(second)!r})
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert result.returncode == -9
    con = open_store(db)
    assert _count(con, "SELECT count(*) FROM transfers") == 10
    assert _count(con, "SELECT count(*) FROM source_files") == 1
    assert ingest_file(con, second).added == 2990


def test_line_numbers_stay_true_across_a_value_spanning_lines(con, tmp_path):
    rows = [canonical_row(i) for i in range(6)]
    rows[1]["message"] = "first line\nsecond line"
    rows[4]["amount"] = "n/a"
    report = ingest_file(con, write_csv(tmp_path / "t.csv", rows))
    assert report.quarantine_sample == [(7, "amount: not a number 'n/a'")]
    assert con.execute("SELECT source_line FROM transfers ORDER BY source_line"
                       ).fetchall() == [(2,), (3,), (5,), (6,), (8,)]


def test_a_file_of_one_line_records_is_read_by_the_fast_parser(con, tmp_path, monkeypatch):
    from filature.ingest import readers

    def exact_path(*args, **kwargs):
        raise AssertionError("the exact (slow) path was taken")

    monkeypatch.setattr(readers, "_exact_csv", exact_path)
    rows = [canonical_row(i, message=f"school, term {i}") for i in range(300)]
    assert ingest_file(con, write_csv(tmp_path / "t.csv", rows)).added == 300


def test_a_record_with_too_many_fields_is_quarantined_with_its_line(con, tmp_path):
    path = write_csv(tmp_path / "t.csv", [canonical_row(i) for i in range(4)])
    lines = path.read_text().splitlines()
    lines[2] += ",unexpected"
    path.write_text("\n".join(lines) + "\n")
    report = ingest_file(con, path)
    assert (report.added, report.quarantined) == (3, 1)
    assert report.quarantine_sample[0][0] == 3
    assert "expected 16 fields, found 17" in report.quarantine_sample[0][1]


def test_the_exact_path_reports_its_progress_to_the_end(con, tmp_path):
    path = write_csv(tmp_path / "t.csv", [canonical_row(i) for i in range(4)])
    path.write_text(path.read_text() + "only,three,fields\n")
    seen: list[tuple[int, int]] = []
    report = ingest_file(con, path, progress=lambda done, total: seen.append((done, total)))
    assert (report.added, report.quarantined) == (4, 1)
    assert seen and seen[-1][0] == seen[-1][1] == path.stat().st_size


def test_values_are_normalised_beside_the_raw_ones(con, tmp_path):
    row = canonical_row(1, sender_name="  ÉLOÏSE   Núñez-Brun ", sender_email=" Eloise@Example.ORG",
                        sender_phone="0033 6 60 72 04 27", receiver_phone="0917-123-4567")
    ingest_file(con, write_csv(tmp_path / "t.csv", [row]))
    got = con.execute("SELECT sender_name, sender_name_norm, sender_email, sender_phone_e164, "
                      "receiver_phone_e164 FROM transfers").fetchall()[0]
    assert got == ("ÉLOÏSE   Núñez-Brun", "eloise nunez brun", "eloise@example.org",
                   "+33660720427", "+639171234567")


def test_amounts_are_also_kept_in_eur_at_the_rate_of_their_date(con, tmp_path):
    # Saturday 6 January 2024: the ECB's rate of Friday the 5th is used, and said so.
    row = canonical_row(1, amount="1000.00", currency="PHP", sent_at="2024-01-06T10:00:00+01:00")
    ingest_file(con, write_csv(tmp_path / "t.csv", [row]))
    eur, rate, fx_date = con.execute(
        "SELECT amount_eur, fx_rate, fx_date::VARCHAR FROM transfers").fetchall()[0]
    assert fx_date == "2024-01-05"
    assert eur == pytest.approx(1000 * rate, abs=0.01) and 15 < eur < 18
    assert con.execute("SELECT fx_date::VARCHAR FROM fx_rates WHERE currency = 'PHP'"
                       ).fetchall() == [("2024-01-05",)]


def test_a_later_load_takes_the_rates_already_looked_up_from_the_store(con, tmp_path,
                                                                       monkeypatch):
    first = canonical_row(1, amount="1000.00", currency="PHP", sent_at="2024-01-06T10:00:00+01:00")
    ingest_file(con, write_csv(tmp_path / "a.csv", [first]))
    asked: list[object] = []
    monkeypatch.setattr("filature.ingest.load.rate_table",
                        lambda pairs, reporting: asked.append(pairs) or [])
    again = canonical_row(2, amount="500.00", currency="PHP", sent_at="2024-01-06T18:00:00+01:00")
    report = ingest_file(con, write_csv(tmp_path / "b.csv", [again]))
    assert report.added == 1 and asked == [[]]  # nothing left to look up in the ECB series
    fx_date, eur, rate = con.execute("SELECT fx_date::VARCHAR, amount_eur, fx_rate FROM transfers "
                                     "WHERE transfer_id = ?", [again["transfer_id"]]).fetchall()[0]
    assert fx_date == "2024-01-05" and eur == pytest.approx(500 * rate, abs=0.01)


def test_a_currency_without_reference_rate_is_quarantined(con, tmp_path):
    report = ingest_file(con, write_csv(tmp_path / "t.csv", [canonical_row(1, currency="XOF")]))
    assert report.quarantined == 1
    assert "no ECB reference rate for 'XOF'" in report.quarantine_sample[0][1]


def test_local_time_is_the_senders_whatever_offset_was_written(con, tmp_path):
    rows = [canonical_row(1, sent_at="2024-03-01T22:30:00Z"),        # 23:30 in Paris
            canonical_row(2, sent_at="2024-07-01 23:30:00")]          # no offset: Paris
    ingest_file(con, write_csv(tmp_path / "t.csv", rows))
    got = con.execute("SELECT transfer_id, strftime(sent_local, '%H:%M'), "
                      "strftime(sent_at, '%H:%M') FROM transfers ORDER BY 1").fetchall()
    assert got == [("T0000001", "23:30", "22:30"), ("T0000002", "23:30", "21:30")]


MAPPING = """
[format]
delimiter = ";"
decimal = ","
datetime = "%d/%m/%Y %H:%M:%S"
timezone = "Europe/Paris"
encoding = "cp1252"

[columns]
transfer_id = "MTCN"
sent_at = "Date envoi"
amount = "Montant"
currency = "Devise"
sender_name = "Nom expéditeur"
sender_country = "Pays expéditeur"
receiver_name = "Nom bénéficiaire"
receiver_country = "Pays bénéficiaire"

[defaults]
provider = "Opérateur X"
"""


def test_an_operator_layout_through_a_mapping(con, tmp_path):
    (tmp_path / "op.toml").write_text(MAPPING, encoding="utf-8")
    export = tmp_path / "export.csv"
    export.write_bytes(
        "MTCN;Date envoi;Montant;Devise;Nom expéditeur;Pays expéditeur;Nom bénéficiaire;"
        "Pays bénéficiaire\r\n"
        "481141;01/01/2024 07:13:47;1 161,50;EUR;Hélène Gérard;FR;Maria Santos;PH\r\n"
        "481142;32/01/2024 07:13:47;20,00;EUR;Hélène Gérard;FR;Maria Santos;PH\r\n"
        .encode("cp1252"))
    report = ingest_file(con, export, mapping=tmp_path / "op.toml")
    assert (report.added, report.quarantined) == (1, 1)
    assert "sent_at: not a date and time (%d/%m/%Y %H:%M:%S)" in report.quarantine_sample[0][1]
    row = con.execute("SELECT provider, amount::VARCHAR, sender_name, sender_name_norm, "
                      "strftime(sent_at, '%H:%M') FROM transfers").fetchall()[0]
    assert row == ("Opérateur X", "1161.50", "Hélène Gérard", "helene gerard", "06:13")
    source = con.execute("SELECT mapping, encoding, delimiter FROM source_files").fetchall()
    assert source == [("op.toml", "cp1252", ";")]


def test_a_mapping_naming_an_unknown_column_is_refused_before_reading(con, tmp_path):
    (tmp_path / "bad.toml").write_text('[columns]\nshoe_size = "Pointure"\n')
    with pytest.raises(InvalidData, match="shoe_size"):
        ingest_file(con, write_csv(tmp_path / "t.csv", [canonical_row(1)]),
                    mapping=tmp_path / "bad.toml")


def test_a_mapped_column_absent_from_the_file_is_named(con, tmp_path):
    (tmp_path / "op.toml").write_text(MAPPING, encoding="utf-8")
    with pytest.raises(MissingColumnsError, match="mapped from 'MTCN'"):
        ingest_file(con, write_csv(tmp_path / "t.csv", [canonical_row(1)]),
                    mapping=tmp_path / "op.toml")


def test_semicolons_tabs_a_bom_and_header_case_are_accepted(con, tmp_path):
    rows = [canonical_row(i) for i in range(3)]
    header = [h.upper() for h in HEADER]
    upper = [{h.upper(): v for h, v in r.items()} for r in rows]
    write_csv(tmp_path / "semi.csv", upper, header=header, delimiter=";", encoding="utf-8-sig")
    write_csv(tmp_path / "tab.csv", [canonical_row(i) for i in range(3, 5)], delimiter="\t")
    assert ingest_file(con, tmp_path / "semi.csv").added == 3
    assert ingest_file(con, tmp_path / "tab.csv").added == 2


def test_a_latin1_file_read_as_utf8_says_which_encoding_to_give(con, tmp_path):
    path = write_csv(tmp_path / "t.csv", [canonical_row(i) for i in range(3)] +
                     [canonical_row(3, sender_name="Hélène")], encoding="cp1252")
    with pytest.raises(InputError, match="encoding cp1252") as err:
        ingest_file(con, path)
    assert err.value.line == 5
    assert _count(con, "SELECT count(*) FROM transfers") == 0
    assert ingest_file(con, path, encoding="cp1252").added == 4


def test_parquet_is_read_natively_with_row_numbers(con, tmp_path):
    rows = [canonical_row(i) for i in range(5)]
    rows[3]["amount"] = "0"
    table = pa.table({h: [r[h] for r in rows] for h in HEADER})
    pq.write_table(table, tmp_path / "t.parquet")
    report = ingest_file(con, tmp_path / "t.parquet")
    assert (report.added, report.quarantined) == (4, 1)
    assert report.quarantine_sample[0][0] == 4
