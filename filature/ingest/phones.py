"""Phone numbers to E.164, once per distinct (number, country), cached in the store.

Operators capture phones every way: "+33 6 60 72 04 27", "0660720427", "0033660720427",
"09171234567" for a Philippine mobile. ``phonenumbers`` (Google's libphonenumber metadata,
shipped in the package) reads a national number in the party's own country. A number it
cannot read keeps its raw value and gets no E.164: a phone is evidence, not a reason to
refuse a transfer. libphonenumber takes about 40 µs a number, so a national load with
150,000 new numbers is split across the cores, and what was read once is kept in
``phone_numbers`` for every later load.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import phonenumbers

# Below this many new numbers, starting worker processes costs more than it saves.
PARALLEL_FROM = 20_000


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
