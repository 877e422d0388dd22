"""Search across the parties of the run: names, phones, emails, ID numbers and transfer ids.

The text is tried in every form at once (a name fragment, a phone in E.164, an email, an ID
number, a transfer id), so the reader need not say what he typed.
"""

from __future__ import annotations

from typing import Any

import duckdb

from filature.referrals.normalise import email_norm, id_norm, name_norm, phone_e164
from filature.web.services import records
from filature.web.services.prepare import DB

LIMIT = 100
# National phone numbers are read as numbers of these countries, in this order.
PHONE_REGIONS = ("FR", "PH", "BE", "CH", "GB", "DE", "US", "TH")


def search(cur: duckdb.DuckDBPyConnection, text: str) -> list[dict[str, Any]]:
    """Parties matching ``text``, each with what matched; senders by score, then receivers."""
    text = text.strip()
    if len(text) < 2:
        return []
    name = name_norm(text)
    phone = phone_e164(text, PHONE_REGIONS) if any(c.isdigit() for c in text) else None
    params = {"name": name if len(name) >= 2 else None, "phone": phone,
              "email": email_norm(text), "id": id_norm(text), "tid": text.upper(),
              "limit": LIMIT}
    return records(cur, f"""WITH hits AS (
            SELECT side, party_id, 'name' AS matched, name AS value FROM {DB}.identities
            WHERE $name IS NOT NULL AND contains(name_norm, $name)
            UNION ALL SELECT side, party_id, 'phone', phone FROM {DB}.identities
            WHERE $phone IS NOT NULL AND phone = $phone
            UNION ALL SELECT side, party_id, 'email', email FROM {DB}.identities
            WHERE $email IS NOT NULL AND email = $email
            UNION ALL SELECT side, party_id, 'id_number', id_number FROM {DB}.identities
            WHERE $id IS NOT NULL AND id_number = $id
            UNION ALL SELECT unnest(['sender', 'receiver']),
                   unnest([sender_id, receiver_id]), 'transfer', provider || ':' || transfer_id
            FROM {DB}.sender_tx WHERE upper(transfer_id) = $tid
        ), found AS (
            SELECT side, party_id, string_agg(DISTINCT matched, ', ') AS matched,
                   string_agg(DISTINCT value, '; ') AS matched_values
            FROM hits GROUP BY side, party_id
        )
        SELECT f.*, coalesce(q.name, r.name) AS name, coalesce(q.country, r.country) AS country,
               coalesce(q.score, r.score) AS score, q.rank, q.is_target, r.city
        FROM found f
        LEFT JOIN {DB}.queue q ON f.side = 'sender' AND q.sender_id = f.party_id
        LEFT JOIN {DB}.receivers r ON f.side = 'receiver' AND r.receiver_id = f.party_id
        ORDER BY f.side DESC, score DESC NULLS LAST, name
        LIMIT $limit""", params)  # noqa: S608
