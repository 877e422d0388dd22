"""Time in the synthetic world: the window, hours of the day, and each sender's UTC offset.

Transfers are drawn in the sender's wall-clock time (a buyer pays at night *his* time), then
placed on the UTC axis with the offset his time zone had at that instant, so summer time is
right: Paris is +01:00 in winter and +02:00 from the last Sunday of March. The written time
is always the instant plus its offset, so a drawn wall-clock time that does not exist (the
hour skipped in spring) is written an hour off rather than as an impossible time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from filature.synth.calibration import LAST_DAY

DAY = 86_400

# Share of transfers per local hour (0-23) for the habits of the populations.
_NIGHT = [9, 8, 6, 4, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 5, 8, 9]
_EVENING = [2, 1, 0.5, 0.2, 0.2, 0.3, 0.5, 1, 1.5, 2, 2, 2, 2.5, 2.5, 2, 2, 2.5, 3, 4, 5, 6, 6,
            5, 3]
_OFFICE = [0, 0, 0, 0, 0, 0, 0, 0.5, 2, 5, 6, 6, 4, 4, 6, 6, 5, 4, 2, 0.5, 0, 0, 0, 0]
_DAYTIME = [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1, 2, 4, 5, 5, 5, 4, 4, 4, 4, 4, 4, 3.5, 3, 2, 1,
            0.5]
PROFILES: dict[str, np.ndarray] = {
    name: np.asarray(w, dtype=float) / np.sum(w)
    for name, w in (("night", _NIGHT), ("evening", _EVENING), ("office", _OFFICE),
                    ("daytime", _DAYTIME))
}


def window(months: int) -> tuple[int, int]:
    """(first day, last day) of the world as days since 1970-01-01, both included."""
    last = date(*LAST_DAY)
    year, month = last.year, last.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    first = date(year, month, 1)
    epoch = date(1970, 1, 1)
    return (first - epoch).days, (last - epoch).days


def clock_seconds(rng: np.random.Generator, n: int, profile: str) -> np.ndarray:
    """Seconds after local midnight, hours drawn from a habit profile."""
    hours = rng.choice(24, size=n, p=PROFILES[profile])
    return hours * 3600 + rng.integers(0, 3600, size=n)


def mixed_clock(rng: np.random.Generator, profiles: np.ndarray,
                names: tuple[str, ...]) -> np.ndarray:
    """Seconds after local midnight for transfers each with its own profile (index in names)."""
    out = np.empty(len(profiles), dtype=np.int64)
    for i, name in enumerate(names):
        mask = profiles == i
        out[mask] = clock_seconds(rng, int(mask.sum()), name)
    return out


@dataclass(frozen=True)
class Zones:
    """UTC offsets over the world's window for a few time zones, as step functions."""

    names: tuple[str, ...]
    starts: list[np.ndarray]     # UTC seconds where each offset starts
    offsets: list[np.ndarray]    # offset (seconds) from each start on

    @classmethod
    def build(cls, names: tuple[str, ...], first_day: int, last_day: int) -> Zones:
        """Scan the window day by day, then hour by hour around each change."""
        starts, offsets = [], []
        t0 = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=first_day - 2)
        days = last_day - first_day + 5
        for name in names:
            zone = ZoneInfo(name)

            def offset(t: datetime, zone: ZoneInfo = zone) -> int:
                delta = t.astimezone(zone).utcoffset()
                return int(delta.total_seconds()) if delta is not None else 0

            s, o = [int(t0.timestamp())], [offset(t0)]
            for d in range(1, days + 1):
                t = t0 + timedelta(days=d)
                if offset(t) != o[-1]:
                    h = t - timedelta(days=1)
                    while offset(h) == o[-1]:
                        h += timedelta(minutes=15)
                    s.append(int(h.timestamp()))
                    o.append(offset(h))
            starts.append(np.asarray(s, dtype=np.int64))
            offsets.append(np.asarray(o, dtype=np.int64))
        return cls(names, starts, offsets)

    def offset_at(self, utc: np.ndarray, zone: np.ndarray) -> np.ndarray:
        """Offset in seconds of each instant in its zone (index into ``names``)."""
        out = np.zeros(len(utc), dtype=np.int64)
        for z in range(len(self.names)):
            mask = zone == z
            if mask.any():
                idx = np.searchsorted(self.starts[z], utc[mask], side="right") - 1
                out[mask] = self.offsets[z][np.clip(idx, 0, None)]
        return out

    def place(self, local: np.ndarray, zone: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(UTC seconds, offset seconds) of wall-clock times (seconds since 1970, naive).

        Two fixed-point steps find the offset in force at the instant the time names; the
        caller writes ``utc + offset``, which is a real wall-clock time even when ``local``
        fell in the hour skipped in spring.
        """
        guess = local - self.offset_at(local - 12 * 3600, zone)
        offset = self.offset_at(guess, zone)
        utc = local - offset
        offset = self.offset_at(utc, zone)
        return utc, offset


def offset_text(offset: int) -> str:
    """+3600 -> '+01:00'."""
    sign = "+" if offset >= 0 else "-"
    minutes = abs(offset) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
