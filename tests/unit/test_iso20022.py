"""ISO 20022 credit transfers (pain.001, pacs.008) load as canonical rows under the CSV rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import filature.ingest.iso20022 as iso
from filature.cli import app
from filature.errors import ConfigError, InputError
from filature.ingest import ingest_file
from filature.store import open_store

PAIN_09 = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
PAIN_03 = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
PACS_08 = "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"


@pytest.fixture
def con():
    return open_store(":memory:")


def _count(con, sql, params=()):
    return con.execute(sql, list(params)).fetchall()[0][0]


def party(tag: str, name: str, country: str, city: str = "", birth: str = "",
          id_number: str = "", phone: str = "", email: str = "", street: str = "",
          number: str = "") -> str:
    """A synthetic debtor or creditor, with only the elements given."""
    address = "".join(f"<{t}>{v}</{t}>" for t, v in (
        ("StrtNm", street), ("BldgNb", number), ("TwnNm", city), ("Ctry", country)) if v)
    person = ""
    if birth:
        person += (f"<DtAndPlcOfBirth><BirthDt>{birth}</BirthDt><CityOfBirth>Lyon</CityOfBirth>"
                   "<CtryOfBirth>FR</CtryOfBirth></DtAndPlcOfBirth>")
    if id_number:
        person += f"<Othr><Id>{id_number}</Id><SchmeNm><Cd>NIDN</Cd></SchmeNm></Othr>"
    contact = "".join(f"<{t}>{v}</{t}>" for t, v in (("MobNb", phone), ("EmailAdr", email)) if v)
    return (f"<{tag}><Nm>{name}</Nm><PstlAdr>{address}</PstlAdr>"
            + (f"<Id><PrvtId>{person}</PrvtId></Id>" if person else "")
            + (f"<CtctDtls>{contact}</CtctDtls>" if contact else "") + f"</{tag}>")


SENDER = party("Dbtr", "Odile Marchetti", "FR", city="Villeurbanne", birth="1971-05-03",
               id_number="14ab-22931", phone="+33-612345678", email="O.Marchetti@example.org",
               street="rue des Tilleuls", number="12")


def receiver(i: int) -> str:
    return party("Cdtr", f"Liza Dumalag{i}", "PH", city="Cebu City", phone="+63-9171234567")


def pain_tx(i: int, amount: str | None = "161.00", currency: str = "EUR",
            end_to_end: str | None = None) -> str:
    amt = (f'<Amt><InstdAmt Ccy="{currency}">{amount}</InstdAmt></Amt>'
           if amount is not None else "<Amt></Amt>")
    return f"""
    <CdtTrfTxInf>
      <PmtId><InstrId>I{i}</InstrId><EndToEndId>{end_to_end or f"E2E-{i:05d}"}</EndToEndId></PmtId>
      {amt}
      <CdtrAgt><FinInstnId><BICFI>PHBKPHMMXXX</BICFI></FinInstnId></CdtrAgt>
      {receiver(i)}
      <CdtrAcct><Id><IBAN>PH00TEST{i:08d}</IBAN></Id></CdtrAcct>
      <RmtInf><Ustrd>school fees</Ustrd><Ustrd>term {i}</Ustrd></RmtInf>
    </CdtTrfTxInf>"""


def pain001(transactions: list[str], namespace: str = PAIN_09, created: str =
            "2024-03-05T21:40:00+01:00", bic_tag: str = "BICFI",
            execution: str = "<Dt>2024-03-06</Dt>") -> str:
    """A pain.001 message with one payment information block holding ``transactions``."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{namespace}">
  <CstmrCdtTrfInitn>
    <GrpHdr>
      <MsgId>MSG-1</MsgId><CreDtTm>{created}</CreDtTm><NbOfTxs>{len(transactions)}</NbOfTxs>
      <InitgPty><Nm>Odile Marchetti</Nm></InitgPty>
    </GrpHdr>
    <PmtInf>
      <PmtInfId>PMT-1</PmtInfId><PmtMtd>TRF</PmtMtd>
      <ReqdExctnDt>{execution}</ReqdExctnDt>
      {SENDER}
      <DbtrAcct><Id><IBAN>FR7600000000000000000000000</IBAN></Id></DbtrAcct>
      <DbtrAgt><FinInstnId><{bic_tag}>BANQFRPPXXX</{bic_tag}></FinInstnId></DbtrAgt>
      {"".join(transactions)}
    </PmtInf>
  </CstmrCdtTrfInitn>
</Document>
"""


def pacs008(transactions: list[str]) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{PACS_08}">
  <FIToFICstmrCdtTrf>
    <GrpHdr>
      <MsgId>PACS-1</MsgId><CreDtTm>2024-04-02T09:15:00Z</CreDtTm>
      <NbOfTxs>{len(transactions)}</NbOfTxs><SttlmInf><SttlmMtd>INDA</SttlmMtd></SttlmInf>
    </GrpHdr>
    {"".join(transactions)}
  </FIToFICstmrCdtTrf>
</Document>
"""


def pacs_tx(i: int, settled: str = "250.00", instructed: str | None = None,
            accepted: str = "") -> str:
    return f"""
    <CdtTrfTxInf>
      <PmtId><InstrId>I{i}</InstrId><EndToEndId>NOTPROVIDED</EndToEndId><TxId>TX{i:06d}</TxId>
      </PmtId>
      <IntrBkSttlmAmt Ccy="USD">{settled}</IntrBkSttlmAmt>
      <IntrBkSttlmDt>2024-04-03</IntrBkSttlmDt>
      {f"<AccptncDtTm>{accepted}</AccptncDtTm>" if accepted else ""}
      {f'<InstdAmt Ccy="GBP">{instructed}</InstdAmt>' if instructed else ""}
      <ChrgBr>SHAR</ChrgBr>
      <InstgAgt><FinInstnId><BICFI>BANKGB2LXXX</BICFI></FinInstnId></InstgAgt>
      <InstdAgt><FinInstnId><BICFI>PHBKPHMMXXX</BICFI></FinInstnId></InstdAgt>
      {party("Dbtr", "Gareth Pembury", "GB", city="Leeds", email="g.pembury@example.net")}
      <DbtrAgt><FinInstnId><BICFI>BANKGB2LXXX</BICFI></FinInstnId></DbtrAgt>
      <CdtrAgt><FinInstnId><BICFI>PHBKPHMMXXX</BICFI></FinInstnId>
        <BrnchId><Nm>Mabolo branch</Nm></BrnchId></CdtrAgt>
      {receiver(i)}
      <RmtInf><Ustrd>gift</Ustrd></RmtInf>
    </CdtTrfTxInf>"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def tx_lines(text: str) -> list[int]:
    """The line of every ``<CdtTrfTxInf>`` start tag, as a reader of the file would see it."""
    return [n for n, line in enumerate(text.splitlines(), start=1) if "<CdtTrfTxInf>" in line]


def test_a_pain001_loads_into_canonical_rows(con, tmp_path):
    text = pain001([pain_tx(1), pain_tx(2, amount="1000.50", currency="PHP")])
    report = ingest_file(con, write(tmp_path / "bank.xml", text))
    assert (report.rows_read, report.added, report.quarantined) == (2, 2, 0)
    rows = con.execute(
        """SELECT provider, transfer_id, strftime(sent_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M'),
                  amount::VARCHAR, currency, channel, sender_name, sender_name_norm,
                  sender_birth_date::VARCHAR, sender_id_number, sender_phone_e164, sender_email,
                  sender_address, sender_city, sender_country, receiver_name, receiver_city,
                  receiver_country, receiver_phone_e164, payout_location, message, source_line
           FROM transfers ORDER BY source_line""").fetchall()
    lines = tx_lines(text)
    assert rows[0] == (
        "BANQFRPPXXX", "E2E-00001", "2024-03-05 20:40", "161.00", "EUR", "bank",
        "Odile Marchetti", "odile marchetti", "1971-05-03", "14AB22931", "+33612345678",
        "o.marchetti@example.org", "12 rue des Tilleuls", "Villeurbanne", "FR",
        "Liza Dumalag1", "Cebu City", "PH", "+639171234567", "PHBKPHMMXXX",
        "school fees term 1", lines[0])
    assert rows[1][1:5] == ("E2E-00002", "2024-03-05 20:40", "1000.50", "PHP")
    assert rows[1][-1] == lines[1]
    eur = con.execute("SELECT amount_eur FROM transfers ORDER BY source_line").fetchall()
    assert eur[0][0] == 161.0 and 10 < eur[1][0] < 25  # PHP at the ECB rate of its date
    assert con.execute("SELECT format, encoding, delimiter FROM source_files").fetchall() == [
        ("iso20022", None, None)]


def test_a_pain001_version_03_reads_the_same(con, tmp_path):
    text = pain001([pain_tx(7)], namespace=PAIN_03, bic_tag="BIC",
                   created="2024-03-05T21:40:00", execution="2024-03-06")
    report = ingest_file(con, write(tmp_path / "v03.xml", text), timezone="Europe/Paris")
    assert report.added == 1
    assert con.execute(
        "SELECT provider, transfer_id, strftime(sent_at AT TIME ZONE 'UTC', '%H:%M'), sender_name"
        " FROM transfers").fetchall() == [("BANQFRPPXXX", "E2E-00007", "20:40", "Odile Marchetti")]


def test_a_pacs008_loads_with_the_instructed_amount_and_the_interbank_id(con, tmp_path):
    text = pacs008([pacs_tx(1), pacs_tx(2, instructed="180.00",
                                         accepted="2024-04-01T22:05:00+01:00")])
    report = ingest_file(con, write(tmp_path / "pacs.xml", text))
    assert report.added == 2
    rows = con.execute(
        """SELECT provider, transfer_id, strftime(sent_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M'),
                  amount::VARCHAR, currency, sender_name, sender_country, sender_city,
                  sender_email, receiver_name, payout_location, message
           FROM transfers ORDER BY source_line""").fetchall()
    # No acceptance time: the message's creation; an instructed amount wins over the
    # interbank settlement amount; NOTPROVIDED end-to-end ids fall back on the TxId.
    assert rows[0] == ("BANKGB2LXXX", "TX000001", "2024-04-02 09:15", "250.00", "USD",
                       "Gareth Pembury", "GB", "Leeds", "g.pembury@example.net",
                       "Liza Dumalag1", "Mabolo branch", "gift")
    assert rows[1][1:5] == ("TX000002", "2024-04-01 21:05", "180.00", "GBP")


def test_a_transaction_missing_its_amount_is_quarantined_with_its_line(con, tmp_path):
    text = pain001([pain_tx(i, amount=None if i == 3 else "50.00") for i in range(6)])
    report = ingest_file(con, write(tmp_path / "bank.xml", text))
    assert (report.rows_read, report.added, report.quarantined) == (6, 5, 1)
    line = tx_lines(text)[3]
    assert report.quarantine_sample == [(line, "amount: missing; currency: missing")]
    raw = con.execute("SELECT raw FROM quarantine").fetchall()[0][0]
    assert "E2E-00003" in raw
    assert line not in [r[0] for r in con.execute("SELECT source_line FROM transfers").fetchall()]


def test_loading_the_same_file_twice_adds_nothing(con, tmp_path):
    path = write(tmp_path / "pacs.xml", pacs008([pacs_tx(i) for i in range(20)]))
    assert ingest_file(con, path).added == 20
    again = ingest_file(con, path)
    assert (again.added, again.duplicates, again.conflicts) == (0, 20, 0)
    assert _count(con, "SELECT count(*) FROM transfers") == 20


def test_a_changed_transaction_under_a_known_id_is_a_conflict(con, tmp_path):
    ingest_file(con, write(tmp_path / "a.xml", pacs008([pacs_tx(1)])))
    report = ingest_file(con, write(tmp_path / "b.xml", pacs008([pacs_tx(1, settled="99.00")])))
    assert (report.added, report.conflicts) == (0, 1)
    assert _count(con, "SELECT differing_columns FROM conflicts") == "amount"


def test_the_provider_option_overrides_the_bic(con, tmp_path):
    path = write(tmp_path / "pacs.xml", pacs008([pacs_tx(1)]))
    ingest_file(con, path, provider="Banque Synthetique")
    assert _count(con, "SELECT provider FROM transfers") == "Banque Synthetique"


BOMB = """<?xml version="1.0"?>
<!DOCTYPE Document [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
"""


def test_entity_expansion_is_refused(con, tmp_path):
    text = pain001([pain_tx(1)]).replace('<?xml version="1.0" encoding="UTF-8"?>\n', BOMB)
    text = text.replace("<Nm>Odile Marchetti</Nm>", "<Nm>&c;</Nm>")
    with pytest.raises(InputError) as err:
        ingest_file(con, write(tmp_path / "bomb.xml", text))
    assert "DOCTYPE is refused" in str(err.value) and "bomb.xml" in str(err.value)
    assert _count(con, "SELECT count(*) FROM source_files") == 0


def test_an_external_entity_is_refused(con, tmp_path):
    text = pain001([pain_tx(1)]).replace(
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n')
    text = text.replace("<Nm>Odile Marchetti</Nm>", "<Nm>&x;</Nm>")
    with pytest.raises(InputError, match="DOCTYPE is refused"):
        ingest_file(con, write(tmp_path / "xxe.xml", text))


def test_xml_that_is_not_well_formed_is_refused_with_its_line_and_nothing_loaded(
        con, tmp_path, monkeypatch):
    # One transaction per batch, so rows are staged before the parser meets the break.
    monkeypatch.setattr(iso, "BATCH_ROWS", 1)
    text = pain001([pain_tx(i) for i in range(5)])
    broken = tx_lines(text)[4] + 1
    lines = text.splitlines()
    lines[broken - 1] = lines[broken - 1].replace("</PmtId>", "</PmtIdd>")
    with pytest.raises(InputError) as err:
        ingest_file(con, write(tmp_path / "broken.xml", "\n".join(lines)))
    assert err.value.line == broken and "not well-formed" in str(err.value)
    assert _count(con, "SELECT count(*) FROM transfers") == 0
    assert _count(con, "SELECT count(*) FROM source_files") == 0


def test_xml_that_is_no_credit_transfer_is_refused(con, tmp_path):
    path = write(tmp_path / "stmt.xml", '<Document xmlns="urn:x"><BkToCstmrStmt/></Document>')
    with pytest.raises(InputError, match="no ISO 20022 credit transfer"):
        ingest_file(con, path)


def test_csv_options_are_refused_for_xml(con, tmp_path):
    path = write(tmp_path / "bank.xml", pain001([pain_tx(1)]))
    with pytest.raises(ConfigError, match="--delimiter"):
        ingest_file(con, path, delimiter=";")


def test_the_cli_detects_the_root_element_whatever_the_extension(tmp_path):
    db = tmp_path / "f.duckdb"
    path = write(tmp_path / "export.dat", pacs008([pacs_tx(1), pacs_tx(2)]))
    result = CliRunner().invoke(app, ["--db", str(db), "ingest", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output
    forced = CliRunner().invoke(app, ["--db", str(db), "ingest", str(path), "--format", "csv"])
    assert forced.exit_code != 0
    con = open_store(db)
    assert _count(con, "SELECT count(*) FROM transfers") == 2


def test_memory_holds_one_transaction_not_the_document(tmp_path, monkeypatch):
    # Each transaction is read from a tree that holds it, the headers and what the parser
    # has read ahead in its buffer, not the transactions before: it does not grow with the file.
    path = write(tmp_path / "pacs.xml", pacs008([pacs_tx(i) for i in range(2000)]))
    tree_sizes = []
    real = iso._flatten

    def counting(element, prefix, view, skip=None):
        if prefix == "" and iso._local(element.tag) == iso.TRANSACTION:
            tree_sizes.append(sum(1 for _ in element.getroottree().getroot().iter()))
        return real(element, prefix, view, skip)

    monkeypatch.setattr(iso, "_flatten", counting)
    rows = list(iso.transactions(path))
    assert len(rows) == 2000 and rows[-1][1]["transfer_id"] == "TX001999"
    whole = sum(1 for _ in iso.etree.parse(str(path)).getroot().iter())
    assert max(tree_sizes) < whole / 20
    assert max(tree_sizes[-500:]) <= max(tree_sizes[:500]) + 50


def test_the_provider_option_also_overrides_a_csv_column(con, tmp_path):
    from tests.ingest_files import canonical_row, write_csv

    path = write_csv(tmp_path / "t.csv", [canonical_row(i) for i in range(3)])
    assert ingest_file(con, path, provider="Operator Y").added == 3
    assert con.execute("SELECT DISTINCT provider FROM transfers").fetchall() == [("Operator Y",)]
