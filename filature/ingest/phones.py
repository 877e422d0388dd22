"""Phone numbers to E.164, once per distinct (number, country), cached in the store.

Operators capture phones every way: "+33 6 60 72 04 27", "0660720427", "0033660720427",
"09171234567" for a Philippine mobile. ``phonenumbers`` (Google's libphonenumber metadata,
shipped in the package) reads a national number in the party's own country. A number it
cannot read keeps its raw value and gets no E.164: a phone is evidence, not a reason to
refuse a transfer. libphonenumber takes about 40 µs a number, so a national load with
150,000 new numbers is read across the cores, in the background while the file is still
being read (``BackgroundReading``), and what was read once is kept in ``phone_numbers`` for
every later load.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import Future, ProcessPoolExecutor

import phonenumbers

# Below this many new numbers, starting worker processes costs more than it saves.
PARALLEL_FROM = 20_000
# Numbers sent to a worker at a time by ``BackgroundReading``.
CHUNK = 5_000


def to_e164(raw: str, country: str | None) -> str | None:
    """The E.164 form of ``raw`` read in ``country`` (ISO alpha-2), or None if not a phone."""
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _read_chunk(pairs: list[tuple[str, str]]) -> list[str | None]:
    return [to_e164(raw, country) for raw, country in pairs]


def _can_spawn() -> bool:
    """Worker processes re-import ``__main__``: impossible for a script read from stdin."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    return main_file is None or os.path.isfile(main_file)


def read_phones(pairs: list[tuple[str, str]]) -> list[str | None]:
    """E.164 (or None) for each (raw, country), in order; across the cores when many."""
    workers = min(os.cpu_count() or 1, 4)
    if len(pairs) < PARALLEL_FROM or workers < 2 or not _can_spawn():
        return _read_chunk(pairs)
    size = -(-len(pairs) // (workers * 4))
    chunks = [pairs[i:i + size] for i in range(0, len(pairs), size)]
    # "spawn": the parent holds a multi-threaded DuckDB connection, which must not be forked.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return [e164 for chunk in pool.map(_read_chunk, chunks) for e164 in chunk]


class BackgroundReading:
    """Numbers handed over batch by batch as a file is read, read by worker processes
    meanwhile; ``results`` waits for them. Workers start only once ``PARALLEL_FROM`` numbers
    are waiting (a small file is read in-process at the end, as ``read_phones`` does)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._waiting: list[tuple[str, str]] = []
        self._sent: list[tuple[list[tuple[str, str]], Future[list[str | None]]]] = []

    def add(self, pairs: list[tuple[str, str]]) -> None:
        """Queue (raw, country) pairs not queued before."""
        self._waiting.extend(pairs)
        if self._pool is None:
            workers = min(os.cpu_count() or 1, 4)
            if len(self._waiting) < PARALLEL_FROM or workers < 2 or not _can_spawn():
                return
            # "spawn": the parent holds a multi-threaded DuckDB connection, which must not
            # be forked.
            self._pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        while len(self._waiting) >= CHUNK:
            chunk, self._waiting = self._waiting[:CHUNK], self._waiting[CHUNK:]
            self._sent.append((chunk, self._pool.submit(_read_chunk, chunk)))

    def results(self) -> dict[tuple[str, str], str | None]:
        """E.164 (or None) of every pair queued, once all are read."""
        read = {pair: e164 for pair, e164 in zip(self._waiting, _read_chunk(self._waiting),
                                                 strict=True)}
        for chunk, future in self._sent:
            read.update(zip(chunk, future.result(), strict=True))
        self.close()
        return read

    def close(self) -> None:
        """Stop the workers (also when the load fails half-way)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
