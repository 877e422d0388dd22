"""Properties of the normalisers: names, phones, amounts, whatever an operator writes."""

from __future__ import annotations

import duckdb
import phonenumbers
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from filature.ingest.layout import build_layout, shipped_mappings
from filature.ingest.phones import to_e164
from filature.ingest.rules import SPACES, norm_name, trimmed

names = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "Zs", "Pd", "Po")),
                max_size=40)


CON = duckdb.connect()  # one connection for every example: these tests only evaluate SQL


def _norm(con: duckdb.DuckDBPyConnection, value: str) -> str:
    return con.execute(f"SELECT {norm_name('?')}", [value]).fetchall()[0][0]


@settings(max_examples=150, deadline=None)
@given(name=names)
def test_a_normalised_name_is_plain_lowercase_tokens_and_stable(name):
    con = CON
    once = _norm(con, name)
    assert once == once.strip() and "  " not in once
    assert all(ch.isalnum() or ch == " " for ch in once) and once == once.lower()
    assert _norm(con, once) == once
    assert _norm(con, name.upper()) == _norm(con, name.lower()) or not name.isascii()


def test_accents_case_and_punctuation_do_not_separate_two_spellings():
    con = CON
    assert _norm(con, "  JEAN-LUC  Müller ") == _norm(con, "jean luc muller") == "jean luc muller"


@settings(max_examples=100, deadline=None)
@given(subscriber=st.integers(min_value=600000000, max_value=799999999))
def test_a_french_mobile_in_any_usual_writing_gives_one_e164(subscriber):
    national = f"0{subscriber}"
    spaced = " ".join([national[:2], national[2:4], national[4:6], national[6:8], national[8:]])
    forms = {to_e164(national, "FR"), to_e164(spaced, "FR"), to_e164(f"+33{subscriber}", "FR"),
             to_e164(f"0033 {subscriber}", "FR"), to_e164(f"+33{subscriber}", None)}
    assert forms == {f"+33{subscriber}"}
    assert phonenumbers.is_possible_number(phonenumbers.parse(forms.pop()))


def test_a_philippine_mobile_written_nationally_is_read_in_its_country():
    assert to_e164("0917 123 4567", "PH") == to_e164("+63 917 123 4567", None) == "+639171234567"
    assert to_e164("not a phone", "PH") is None


@settings(max_examples=150, deadline=None)
@given(cents=st.integers(min_value=1, max_value=10**11))
def test_decimal_comma_amounts_with_thousand_separators_parse_exactly(cents):
    from filature.ingest.rules import _amount

    layout = build_layout("fr-operator", encoding=None, delimiter=None, timezone=None,
                          default_timezone="Europe/Paris")
    units, rest = divmod(cents, 100)
    grouped = f"{units:,}".replace(",", ".")  # 1.234.567,89 as French exports write it
    con = CON
    got = con.execute(f"SELECT {_amount(layout)}::VARCHAR FROM (SELECT ? AS amount) r",
                      [f"{grouped},{rest:02d}"]).fetchall()[0][0]
    assert got == f"{units}.{rest:02d}"


def test_the_shipped_mapping_is_listed_by_name():
    assert "fr-operator" in shipped_mappings()


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.text(alphabet=st.sampled_from(SPACES + "\t\n\r\u200b\u180eaZé-1"),
                               max_size=12), max_size=8))
def test_values_are_trimmed_in_arrow_exactly_as_duckdb_trims_them(values):
    got = trimmed(pa.table({"v": pa.array(values, pa.string())})).column("v").to_pylist()
    assert got == [CON.execute("SELECT trim(?)", [v]).fetchall()[0][0] for v in values]
