"""Matching referral subjects against the resolved parties of the transfers, with reasons.

Each piece of evidence has a confidence and a sentence; the evidence for one subject and one
party is combined as independent clues (1 - product of (1 - c)), so a phone and a name
together weigh more than either. Identifiers compare exactly after normalisation; names
fuzzily, and a name hit is strengthened by a birth date, city or country in common. When a
Splink resolution saved its models, a name pair is weighed by the model's own name
comparison (its level and match weight, ``name_model``); otherwise by Jaro-Winkler on the
name tokens in any order.

Confidences are judgement, not calibrated probabilities; they are chosen so that an exact
account identifier alone ranks above a name alone, and a name with a matching birth date
ranks close to an identifier. The reasons let an investigator check each hit.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb

from filature.referrals.name_model import saved_name_models, weigh_name_pairs
from filature.referrals.normalise import email_norm, id_norm, name_key, phone_candidates
from filature.referrals.transaction import all_or_nothing
from filature.store.query import NAME_KEY

# Confidence of each kind of evidence, on its own.
EXACT_CONFIDENCE = {"reference": 0.99, "email": 0.95, "id": 0.95, "phone": 0.9}
# Through the session logs: a username an investigator attached to a party, and an IP
# address seen on a party's sessions (weaker: addresses are shared behind routers and VPNs).
SESSION_CONFIDENCE = {"username": 0.9, "ip": 0.45}
NAME_MIN_SIMILARITY = 0.88        # below this, two names are different people
TOKEN_MIN_SIMILARITY = 0.8       # blocking: names sharing no token this close are not compared
NAME_CONFIDENCE = (0.3, 0.6)      # at NAME_MIN_SIMILARITY, at an identical name
CONTEXT_CONFIDENCE = {"birth_date": 0.8, "city": 0.3, "country": 0.1}
NAME_HITS_PER_SUBJECT = 25        # a common name alone must not flood the list

# Both ways: each token of one name against its best counterpart in the other, averaged,
# so "Marites Dizon" and "Dizon Maria Santos" compare on their shared tokens.
_TOKEN_SIMILARITY = """CREATE OR REPLACE TEMP MACRO ref_token_similarity(a, b) AS
    list_avg(list_transform(string_split(a, ' '), lambda x: list_max(list_transform(
        string_split(b, ' '), lambda y: jaro_winkler_similarity(x, y)))))"""
_PARTIES = """CREATE OR REPLACE TEMP VIEW ref_parties AS
    SELECT t.*, p.sender_id, p.receiver_id FROM transfers t
    JOIN transfer_parties p USING (provider, transfer_id)"""


def _phone_regions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Countries a phone in national format may belong to: receiving ones first."""
    rows = con.execute(
        """SELECT country FROM (
             SELECT receiver_country AS country, 0 AS side, count(*) AS n FROM transfers
             GROUP BY ALL UNION ALL
             SELECT sender_country, 1, count(*) FROM transfers GROUP BY ALL)
           WHERE length(country) = 2 ORDER BY side, n DESC""").fetchall()
    return list(dict.fromkeys(r[0].upper() for r in rows))


def _subject_keys(con: duckdb.DuckDBPyConnection, referral_ids: list[str]) -> None:
    """``ref_keys(referral_id, subject_no, kind, value, shown)``: normalised identifiers."""
    regions = _phone_regions(con)
    rows = con.execute(
        """SELECT referral_id, subject_no, names, phones, emails, id_numbers, countries,
                  CAST(payment_references AS VARCHAR), usernames,
                  CAST(ip_addresses AS VARCHAR)
           FROM referral_subjects WHERE list_contains(?, referral_id)""",
        [referral_ids]).fetchall()
    keys: list[tuple[str, int, str, str, str]] = []
    for rid, no, names, phones, emails, ids, countries, refs, users, ips in rows:
        for user in users:
            keys.append((rid, no, "username", user.strip().lower(), user))
        for ip in json.loads(ips):
            keys.append((rid, no, "ip", ip["ip"].strip().lower(), ip["ip"]))
        for name in names:
            if name_key(name):
                keys.append((rid, no, "name", name_key(name), name))
        for phone in phones:
            for e164 in phone_candidates(phone, [*countries, *regions]):
                keys.append((rid, no, "phone", e164, phone))
        for email in emails:
            if email_norm(email):
                keys.append((rid, no, "email", str(email_norm(email)), email))
        for number in ids:
            if id_norm(number):
                keys.append((rid, no, "id", str(id_norm(number)), number))
        for ref in json.loads(refs):
            shown = f"{ref['provider']} {ref['transfer_id']}".strip()
            keys.append((rid, no, "reference",
                         f"{ref['provider'].lower()}|{ref['transfer_id'].upper()}", shown))
    con.execute("""CREATE OR REPLACE TEMP TABLE ref_keys (referral_id VARCHAR,
                   subject_no INTEGER, kind VARCHAR, value VARCHAR, shown VARCHAR)""")
    if keys:
        con.executemany("INSERT INTO ref_keys VALUES (?, ?, ?, ?, ?)", keys)


def _exact_evidence(con: duckdb.DuckDBPyConnection) -> None:
    """Phones, emails, ID numbers and transfer references found as they are in transfers."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE ref_evidence AS
        WITH tp AS (FROM ref_parties), party_keys AS (
            SELECT 'sender' AS side, sender_id AS party_id, 'phone' AS kind,
                   sender_phone_e164 AS value, count(*) AS n FROM tp GROUP BY ALL
            UNION ALL SELECT 'sender', sender_id, 'email', sender_email, count(*)
                      FROM tp GROUP BY ALL
            UNION ALL SELECT 'sender', sender_id, 'id', sender_id_number, count(*)
                      FROM tp GROUP BY ALL
            UNION ALL SELECT 'receiver', receiver_id, 'phone', receiver_phone_e164, count(*)
                      FROM tp GROUP BY ALL
            UNION ALL SELECT 'receiver', receiver_id, 'id', receiver_id_number, count(*)
                      FROM tp GROUP BY ALL
        )
        SELECT k.referral_id, k.subject_no, pk.side, pk.party_id, k.kind,
               CASE k.kind WHEN 'email' THEN $email WHEN 'id' THEN $id ELSE $phone END
                   AS confidence,
               CASE k.kind WHEN 'phone' THEN 'phone ' || k.value
                           WHEN 'email' THEN 'email ' || k.value
                           ELSE 'ID number ' || k.value END
               || CASE WHEN k.shown <> k.value THEN ' (given as "' || k.shown || '")' ELSE '' END
               || ' is the ' || pk.side || '''s on ' || pk.n || ' transfer'
               || CASE WHEN pk.n > 1 THEN 's' ELSE '' END AS reason
        FROM ref_keys k JOIN party_keys pk ON pk.kind = k.kind AND pk.value = k.value
        WHERE k.kind IN ('phone', 'email', 'id')
        UNION ALL
        SELECT k.referral_id, k.subject_no, side.side,
               CASE side.side WHEN 'sender' THEN tp.sender_id ELSE tp.receiver_id END,
               'reference', $reference,
               'transfer ' || k.shown || ' was ' ||
               CASE side.side WHEN 'sender' THEN 'sent' ELSE 'received' END || ' by this '
               || side.side || ' on ' || strftime(tp.sent_at, '%Y-%m-%d')
               || printf(' (%.2f EUR)', tp.amount_eur)
        FROM ref_keys k JOIN referral_subjects s USING (referral_id, subject_no)
        JOIN tp ON upper(tp.transfer_id) = split_part(k.value, '|', 2)
               AND (split_part(k.value, '|', 1) = ''
                    OR lower(tp.provider) = split_part(k.value, '|', 1))
        JOIN (SELECT unnest(['sender', 'receiver']) AS side) side
          ON s.role = 'unknown' OR (s.role = 'suspected_buyer') = (side.side = 'sender')
        WHERE k.kind = 'reference'""",
        EXACT_CONFIDENCE,
    )


def _session_evidence(con: duckdb.DuckDBPyConnection) -> None:
    """Usernames and IP addresses, found in the imported session logs (``sessions``)."""
    con.execute(
        """INSERT INTO ref_evidence
        SELECT k.referral_id, k.subject_no, a.side, a.party_id, 'username', $username,
               'username ' || k.shown || ' is the session account tied to this ' || a.side
               || ' (' || a.via || coalesce(', by ' || a.attached_by, '') || ')'
        FROM ref_keys k JOIN session_accounts a ON a.account_key = k.value
        WHERE k.kind = 'username'
        UNION ALL
        SELECT k.referral_id, k.subject_no, a.side, a.party_id, 'ip', $ip,
               'IP ' || k.shown || ' was used on ' || count(*) || ' session(s) of account '
               || min(s.account) || ', tied to this ' || a.side || ' (' || min(a.via) || ')'
        FROM ref_keys k JOIN sessions s ON lower(s.ip) = k.value
        JOIN session_accounts a ON a.account_key = s.account_key
        WHERE k.kind = 'ip'
        GROUP BY k.referral_id, k.subject_no, k.shown, a.side, a.party_id""",
        SESSION_CONFIDENCE)


# Pairs of a subject's name and a party's name worth comparing, on the side its role points
# to: blocking keeps a party name only if it has a token close to one of the subject's.
_NAME_CANDIDATES = """CREATE OR REPLACE TEMP TABLE ref_name_pairs AS
    WITH tp AS (FROM ref_parties), names AS (
        SELECT DISTINCT 'sender' AS side, sender_name_norm AS name FROM tp
        UNION SELECT 'receiver', receiver_name_norm FROM tp
    ), name_tokens AS (
        SELECT DISTINCT side, name, unnest(string_split(name, ' ')) AS token FROM names
    ), close_tokens AS (
        SELECT DISTINCT k.referral_id, k.subject_no, v.token
        FROM (SELECT referral_id, subject_no, unnest(string_split(value, ' ')) AS token
              FROM ref_keys WHERE kind = 'name') k
        JOIN (SELECT DISTINCT token FROM name_tokens) v
          ON jaro_winkler_similarity(k.token, v.token) >= $token_min
    ), candidates AS (
        SELECT DISTINCT c.referral_id, c.subject_no, nt.side, nt.name
        FROM close_tokens c JOIN name_tokens nt USING (token)
    )  -- each distinct name once, however many transfers carry it
    SELECT k.referral_id, k.subject_no, k.shown, k.value, c.side, c.name
    FROM ref_keys k JOIN referral_subjects s USING (referral_id, subject_no)
    JOIN candidates c USING (referral_id, subject_no)
    WHERE k.kind = 'name' AND list_contains(
        CASE s.role WHEN 'suspected_buyer' THEN ['sender']
                    WHEN 'suspected_facilitator' THEN ['receiver']
                    ELSE ['sender', 'receiver'] END, c.side)"""

# The best name pair of each subject and party, at most NAME_HITS_PER_SUBJECT per subject,
# as evidence; ``scored`` gives each pair a ``score`` (higher is closer), a confidence and a
# reason, and keeps only the pairs that are a hit.
_NAME_HITS = """INSERT INTO ref_evidence
    WITH tp AS (FROM ref_parties), names AS (
        SELECT DISTINCT 'sender' AS side, sender_id AS party_id, sender_name_norm AS name
        FROM tp
        UNION SELECT 'receiver', receiver_id, receiver_name_norm FROM tp
    ), scored AS ({scored}), best AS (
        SELECT s.*, n.party_id FROM scored s JOIN names n USING (side, name)
        QUALIFY row_number() OVER (PARTITION BY referral_id, subject_no, side, n.party_id
                                   ORDER BY score DESC, name) = 1
    ), kept AS (
        SELECT * FROM best QUALIFY row_number() OVER (
            PARTITION BY referral_id, subject_no ORDER BY score DESC, party_id)
            <= $per_subject
    )
    SELECT referral_id, subject_no, side, party_id, 'name', confidence,
           'name "' || shown || '" is close to "' || name || '" (' || detail || ')'
    FROM kept"""

# Without a saved model: Jaro-Winkler on the sorted names, or on the tokens in any order.
_JARO_WINKLER_SCORED = f"""
    WITH compared AS (
        SELECT *, jaro_winkler_similarity(value, {NAME_KEY.format(col="name")}) AS jw
        FROM ref_name_pairs
    ), closeness AS (
        SELECT *, CASE WHEN jw >= $min_sim THEN jw  -- the cheap measure suffices
            ELSE greatest(jw, (ref_token_similarity(value, name)
                               + ref_token_similarity(name, value)) / 2) END AS score
        FROM compared
    )
    SELECT referral_id, subject_no, shown, side, name, score,
           $low + ($high - $low) * (score - $min_sim) / (1 - $min_sim) AS confidence,
           printf('similarity %.2f', score) AS detail
    FROM closeness WHERE score >= $min_sim"""

# With the resolution model: the pair's level and its weight (see ``name_model``).
_MODEL_SCORED = """
    SELECT referral_id, subject_no, shown, side, name, weight AS score,
           $low + ($high - $low) * probability AS confidence,
           printf('''%s'' level, match weight %+.1f from the resolution model', label, weight)
               AS detail
    FROM ref_name_weighed WHERE weight > 0"""


def _name_evidence(con: duckdb.DuckDBPyConnection) -> None:
    """Names close to a subject's name, on the side its role points to, with their context.

    With the models of a Splink resolution saved in the store, a name pair is weighed by the
    model's own name comparison (``name_model``); without, by Jaro-Winkler similarity.
    """
    low, high = NAME_CONFIDENCE
    con.execute(_NAME_CANDIDATES, {"token_min": TOKEN_MIN_SIMILARITY})
    models = saved_name_models(con)
    if models:
        weigh_name_pairs(con, models, "ref_name_pairs", "ref_name_weighed")
        con.execute(_NAME_HITS.format(scored=_MODEL_SCORED),
                    {"per_subject": NAME_HITS_PER_SUBJECT, "low": low, "high": high})
    else:
        con.execute(_TOKEN_SIMILARITY)
        con.execute(_NAME_HITS.format(scored=_JARO_WINKLER_SCORED),
                    {"min_sim": NAME_MIN_SIMILARITY, "per_subject": NAME_HITS_PER_SUBJECT,
                     "low": low, "high": high})
    # Context only strengthens a name: on its own a city or a birth date names nobody.
    con.execute(
        """INSERT INTO ref_evidence
        WITH tp AS (FROM ref_parties), named AS (
            SELECT DISTINCT referral_id, subject_no, side, party_id FROM ref_evidence
            WHERE kind = 'name'
        ), seen AS (
            SELECT 'sender' AS side, sender_id AS party_id, sender_birth_date AS birth_date,
                   strip_accents(lower(sender_city)) AS city, sender_country AS country
            FROM tp WHERE sender_id IN (SELECT party_id FROM named) GROUP BY ALL
            UNION ALL
            SELECT 'receiver', receiver_id, receiver_birth_date,
                   strip_accents(lower(receiver_city)), receiver_country
            FROM tp WHERE receiver_id IN (SELECT party_id FROM named) GROUP BY ALL
        ), ctx AS (
            SELECT n.*, s.birth_dates,
                   list_transform(s.cities, lambda c: strip_accents(lower(c))) AS cities,
                   s.countries
            FROM named n JOIN referral_subjects s USING (referral_id, subject_no)
        )
        SELECT DISTINCT c.referral_id, c.subject_no, c.side, c.party_id, e.kind,
               CASE e.kind WHEN 'birth_date' THEN $birth_date WHEN 'city' THEN $city
                           ELSE $country END, e.reason
        FROM ctx c JOIN seen s USING (side, party_id),
        LATERAL (SELECT 'birth_date' AS kind, 'birth date ' || s.birth_date || ' in common'
                     AS reason WHERE list_contains(c.birth_dates, s.birth_date)
                 UNION ALL SELECT 'city', 'city ' || s.city || ' in common'
                     WHERE list_contains(c.cities, s.city)
                 UNION ALL SELECT 'country', 'country ' || s.country || ' in common'
                     WHERE list_contains(c.countries, s.country)) e""",
        CONTEXT_CONFIDENCE,
    )


def match_referrals(con: duckdb.DuckDBPyConnection, referral_ids: list[str]) -> dict[str, int]:
    """Replace the hits of these referrals with a fresh match; hits found per referral."""
    if not referral_ids:
        return {}
    _subject_keys(con, referral_ids)
    con.execute(_PARTIES)
    _exact_evidence(con)
    _session_evidence(con)
    _name_evidence(con)
    now = datetime.now(UTC)
    with all_or_nothing(con):
        con.execute("DELETE FROM referral_hits WHERE list_contains(?, referral_id)",
                    [referral_ids])
        con.execute(
            """INSERT INTO referral_hits
            WITH per_kind AS (   -- one clue per kind: two names do not make two clues
                SELECT referral_id, subject_no, side, party_id, kind, max(confidence) AS c,
                       arg_max(reason, confidence) AS reason
                FROM ref_evidence GROUP BY ALL
            )
            SELECT referral_id, subject_no, side, party_id,
                   round(1 - exp(sum(ln(1 - least(c, 0.999)))), 3),
                   string_agg(kind, ';' ORDER BY c DESC, kind),
                   string_agg(reason, '; ' ORDER BY c DESC, kind), ?
            FROM per_kind GROUP BY referral_id, subject_no, side, party_id
            -- context alone (a city in common) is not a hit
            HAVING bool_or(kind NOT IN ('birth_date', 'city', 'country'))""",
            [now])
        con.execute(
            """UPDATE referrals SET matched_at = ?, status = CASE WHEN EXISTS (
                   SELECT 1 FROM referral_hits h WHERE h.referral_id = referrals.referral_id)
                   THEN 'matched' ELSE 'open' END
               WHERE list_contains(?, referral_id)""", [now, referral_ids])
        counts = dict(con.execute(
            """SELECT referral_id, count(*) FROM referral_hits
               WHERE list_contains(?, referral_id) GROUP BY referral_id""",
            [referral_ids]).fetchall())
    return {rid: int(counts.get(rid, 0)) for rid in referral_ids}


def rematch_open_referrals(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Match again every referral still without a hit (call at the end of every ingest)."""
    ids = [r[0] for r in con.execute(
        "SELECT referral_id FROM referrals WHERE status = 'open' ORDER BY referral_id"
    ).fetchall()]
    return match_referrals(con, ids)


def rematch_all_referrals(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Match every referral again (after a new resolution, party ids may have changed)."""
    ids = [r[0] for r in con.execute(
        "SELECT referral_id FROM referrals ORDER BY referral_id").fetchall()]
    return match_referrals(con, ids)
