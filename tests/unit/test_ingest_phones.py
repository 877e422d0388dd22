"""Phones read in the background while a file is staged give what reading them in turn gives."""

from __future__ import annotations

from filature.ingest import phones
from filature.ingest.phones import BackgroundReading, to_e164

PAIRS = [(f"+33 6 {i // 100:02d} {i % 100:02d} 00 00", "FR") for i in range(60)] + [
    ("0660720427", "FR"), ("09171234567", "PH"), ("12", "FR"), ("0033 6 60 72 04 27", "FR"),
]


def test_a_small_file_is_read_in_process_at_the_end():
    reading = BackgroundReading()
    reading.add(PAIRS[:10])
    reading.add(PAIRS[10:])
    assert reading.results() == {pair: to_e164(*pair) for pair in PAIRS}


def test_a_large_file_is_read_by_workers_in_chunks_with_the_same_results(monkeypatch):
    monkeypatch.setattr(phones, "PARALLEL_FROM", 20)
    monkeypatch.setattr(phones, "CHUNK", 7)
    reading = BackgroundReading()
    for start in range(0, len(PAIRS), 16):
        reading.add(PAIRS[start:start + 16])
    try:
        assert reading._pool is not None and reading._sent  # workers started, chunks sent
        read = reading.results()
    finally:
        reading.close()
    assert read == {pair: to_e164(*pair) for pair in PAIRS}
    assert read[("0660720427", "FR")] == "+33660720427"
    assert read[("12", "FR")] is None
    assert reading._pool is None  # workers stopped once read


def test_a_file_staged_in_many_batches_with_phones_read_by_workers(tmp_path, monkeypatch):
    # Small batches, a restart on the exact path (a value spanning lines) and workers reading
    # the phones: every row keeps its line, its E.164 phones, and nothing is added twice.
    from filature.ingest import load, readers
    from filature.ingest.load import ingest_file
    from filature.store import open_store
    from tests.ingest_files import canonical_row, write_csv

    monkeypatch.setattr(readers, "BATCH_ROWS", 70)
    monkeypatch.setattr(load, "STAGE_ROWS", 150)
    monkeypatch.setattr(phones, "PARALLEL_FROM", 40)
    monkeypatch.setattr(phones, "CHUNK", 25)
    rows = [canonical_row(i, sender_phone=f"06 60 72 {i // 100:02d} {i % 100:02d}")
            for i in range(500)]
    rows[300]["message"] = "first line\nsecond line"
    rows[10] = dict(rows[9])  # the same transfer twice in the file
    con = open_store(":memory:")
    report = ingest_file(con, write_csv(tmp_path / "t.csv", rows))
    assert (report.rows_read, report.added, report.duplicates) == (500, 499, 1)
    got = con.execute("SELECT source_line, transfer_id, sender_phone_e164 FROM transfers "
                      "ORDER BY source_line").fetchall()
    lines = [line for line, _, _ in got]
    assert lines[:3] == [2, 3, 4] and lines[-1] == 502
    assert 12 not in lines  # the repeated transfer
    assert 302 in lines and 303 not in lines and 304 in lines  # the record on lines 302-303
    by_id = {tid: e164 for _, tid, e164 in got}
    assert by_id["T0000257"] == "+33660720257"
    # 499 distinct sender phones and the one receiver phone, each read once.
    assert con.execute("SELECT count(*) FROM phone_numbers").fetchall()[0][0] == 500
