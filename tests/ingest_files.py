"""Writing small transfer files for the ingest tests: canonical rows, any layout."""

from __future__ import annotations

import csv
from pathlib import Path

HEADER = ["transfer_id", "sent_at", "amount", "currency", "channel", "provider", "sender_name",
          "sender_birth_date", "sender_phone", "sender_email", "sender_country",
          "receiver_name", "receiver_phone", "receiver_city", "receiver_country", "message"]


def canonical_row(i: int, **overrides: str) -> dict[str, str]:
    """A valid transfer; ``overrides`` break or change any column."""
    row = {
        "transfer_id": f"T{i:07d}", "sent_at": f"2024-03-{1 + i % 28:02d}T23:{i % 60:02d}:00+01:00",
        "amount": f"{20 + i % 50}.00", "currency": "EUR", "channel": "online",
        "provider": "MoneyBridge", "sender_name": f"Bruno Rey{i % 97}",
        "sender_birth_date": "1963-02-11", "sender_phone": "06 60 72 04 27",
        "sender_email": f"bruno{i % 97}@example.org", "sender_country": "FR",
        "receiver_name": "Maria Santos", "receiver_phone": "0917 123 4567",
        "receiver_city": "Angeles City", "receiver_country": "PH", "message": "school",
    }
    row.update(overrides)
    return row


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] | None = None,
              delimiter: str = ",", encoding: str = "utf-8") -> Path:
    header = header or HEADER
    with open(path, "w", newline="", encoding=encoding) as f:
        writer = csv.DictWriter(f, fieldnames=header, delimiter=delimiter,
                                extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path
