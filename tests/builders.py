"""Tiny hand-made stores for unit tests: transfers inserted as ingest would leave them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import duckdb

from filature.store import open_store

BASE = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class World:
    """Adds transfers with sensible defaults; ``store`` returns an in-memory store holding them."""

    rows: list[tuple] = field(default_factory=list)
    _ids: count = field(default_factory=lambda: count(1))

    def send(self, sender: str, receiver: str, eur: float, day: float, hour: int = 12, *,
             sender_country: str = "FR", receiver_country: str = "PH",
             provider: str = "MoneyBridge", phone: str | None = None,
             birth: str | None = None, message: str | None = None,
             city: str = "Cebu City", sender_city: str | None = None) -> str:
        n = next(self._ids)
        transfer_id = f"T{n:06d}"
        when = BASE + timedelta(days=day, hours=hour)
        birth_date = datetime.fromisoformat(birth).date() if birth else None
        self.rows.append((
            provider, transfer_id, when, when.replace(tzinfo=None), eur, "EUR", eur, 1.0,
            when.date(), "online", sender.title(), sender.lower(), birth_date, None, phone,
            phone, None, None, sender_city, sender_country, receiver.title(), receiver.lower(),
            None, None, None, None, city, receiver_country, None, message, 1, n + 1,
        ))
        return transfer_id

    def store(self) -> duckdb.DuckDBPyConnection:
        con = open_store(":memory:")
        if self.rows:
            con.executemany("INSERT INTO transfers VALUES (" + ", ".join("?" * 32) + ")",
                            self.rows)
        return con


def corridor_world() -> World:
    """Five buyers paying three facilitators at night, next to family remittances, a charity
    hub, an online relationship and one occasional sender who pays a facilitator once."""
    w = World()
    facilitators = ["maria santos", "liza cruz", "joy reyes"]
    for b in range(5):
        for k in range(8):
            w.send(f"buyer{b} dupont", facilitators[(b + k) % 3], [20, 25, 30, 50][k % 4],
                   day=b * 3 + k * 11, hour=23)
    for f in range(20):
        for m in range(12):
            w.send(f"ana{f} garcia", f"pedro{f} garcia", 300, day=30 * m + f % 3)
    for d in range(30):
        for m in range(6):
            w.send(f"donor{d} martin", "hope foundation", 25, day=30 * m + d % 5, hour=10)
    for m in range(6):
        w.send("paul leroy", "grace villanueva", 100 + 60 * m, day=17 * m, hour=21)
    w.send("occasional bob", "maria santos", 40, day=40, hour=23)
    return w


def screened_corridor_store(path: Path | str) -> duckdb.DuckDBPyConnection:
    """``corridor_world()`` stored at ``path``, resolved by exact keys and screened, with the
    two identifiers the referral tests look for: buyer 2's e-mail and Joy Reyes's phone."""
    from filature.resolve.exact import resolve_exact
    from filature.scoring.run import run_screening

    con = open_store(path)
    con.executemany("INSERT INTO transfers VALUES (" + ", ".join("?" * 32) + ")",
                    corridor_world().rows)
    con.execute("UPDATE transfers SET sender_email = 'buyer2.dupont@example.org' "
                "WHERE sender_name_norm = 'buyer2 dupont'")
    con.execute("UPDATE transfers SET receiver_phone_e164 = '+639175550303' "
                "WHERE receiver_name_norm = 'joy reyes'")
    resolve_exact(con)
    run_screening(con, capacity=5)
    return con


def alias_top_sender(path: Path | str, alias: str) -> str:
    """Record ``alias`` as an id a later resolution merged into the store's top-ranked
    sender (as ``entity_aliases`` keeps it); returns that sender's current id."""
    con = open_store(path)
    try:
        (current,) = con.execute(
            "SELECT sender_id FROM sender_scores ORDER BY rank LIMIT 1").fetchone()
        con.execute("INSERT INTO entity_aliases VALUES ('sender', ?, ?, 'R-1', "
                    "'merged by the model', now())", [alias, current])
    finally:
        con.close()
    return str(current)
