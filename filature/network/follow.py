"""Following the money from a seed, hop by hop through the transfers, and ranking who it finds.

From a receiver (a facilitator's receiving identity) the first hop reaches her payers, the
second their other beneficiaries, and so on; from a sender the first hop reaches his
beneficiaries, the second their other payers. A facilitator seed is first widened to her
household, because facilitators receive under relatives' names (typology.md). Filters
(dates, amount band, corridor, minimum facilitator score) apply to every hop.

Each hop is two SQL statements: add the filtered transfers of the parties just reached to
an edge table, then take their other ends; Python only loops over the hops.
The result ranks the senders found by their latest screening score, then by what they sent
into the network, and the receivers by facilitator score; it exports as CSV, JSON or
GraphML (igraph) for Gephi, yEd or Cytoscape.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import igraph as ig

from filature.errors import InputError, NotFound
from filature.exports.tables import plain
from filature.referrals.normalise import email_norm, phone_e164
from filature.store.query import first_row

MAX_HOPS = 6
_CORRIDOR = re.compile(r"^([A-Za-z]{2}|\*)?-([A-Za-z]{2}|\*)?$")


@dataclass
class FollowFilters:
    """What a transfer must satisfy to be followed; None means no limit."""

    date_from: date | None = None
    date_to: date | None = None        # inclusive
    min_eur: float | None = None
    max_eur: float | None = None
    corridor: str | None = None        # "FR-PH", "-PH" (any sender country), "FR-"
    min_facilitator_score: float | None = None

    def corridor_countries(self) -> tuple[str | None, str | None]:
        if not self.corridor:
            return None, None
        found = _CORRIDOR.match(self.corridor.strip())
        if not found:
            raise InputError(f"corridor {self.corridor!r}: write SENDER-RECEIVER countries, "
                             "e.g. FR-PH, or -PH for any sender country", column="corridor")
        a, b = found.groups()
        return (a.upper() if a and a != "*" else None, b.upper() if b and b != "*" else None)


def parse_day(value: str | None, column: str) -> date | None:
    """A day given on the command line or in a form, with a clear error."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as e:
        raise InputError(f"{value!r} is not a date (YYYY-MM-DD)", column=column) from e


@dataclass
class FollowResult:
    """The network found from a seed: parties (ranked within their side) and payment edges."""

    seed: str
    hops: int
    filters: FollowFilters
    run_id: str | None
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)

    def payers(self) -> list[dict[str, Any]]:
        return [n for n in self.nodes if n["side"] == "sender"]

    def receivers(self) -> list[dict[str, Any]]:
        return [n for n in self.nodes if n["side"] == "receiver"]


def _latest_run(con: duckdb.DuckDBPyConnection) -> str | None:
    row = first_row(con, "SELECT run_id FROM screening_runs WHERE status = 'done' "
                         "ORDER BY started_at DESC LIMIT 1")
    return str(row[0]) if row else None


def household_receivers(con: duckdb.DuckDBPyConnection,
                        receiver_ids: list[str]) -> list[tuple[str, str]]:
    """(receiver_id, why) for each receiving identity of the same household as the given ones.

    The resolution stage's ``receiver_households`` decides when it covers the given
    receivers; otherwise (an exact-key resolution) a household is the receivers sharing a
    phone, or the same surname (last name token) and payout city, with one of the given
    receivers. Not transitive, so that one common surname does not chain a city.
    """
    covered = first_row(
        con, "SELECT 1 FROM receiver_households WHERE list_contains(?, receiver_id) LIMIT 1",
        [receiver_ids])
    if covered:
        rows = con.execute(
            """SELECT DISTINCT h.receiver_id,
                      CASE WHEN list_contains($ids, h.receiver_id) THEN 'the seed'
                           ELSE 'same household (' || h.household_id || ')' END
               FROM receiver_households h JOIN receiver_households g USING (household_id)
               WHERE list_contains($ids, g.receiver_id)
               ORDER BY h.receiver_id""", {"ids": receiver_ids}).fetchall()
        return [(r[0], r[1]) for r in rows]
    rows = con.execute(
        """WITH r AS (
               SELECT DISTINCT p.receiver_id, t.receiver_phone_e164 AS phone,
                      list_last(string_split(t.receiver_name_norm, ' ')) AS surname,
                      strip_accents(lower(t.receiver_city)) AS city
               FROM transfers t JOIN transfer_parties p USING (provider, transfer_id)
           ), seed AS (SELECT * FROM r WHERE list_contains($ids, receiver_id))
           SELECT r.receiver_id,
                  string_agg(DISTINCT CASE
                      WHEN list_contains($ids, r.receiver_id) THEN 'the seed'
                      WHEN r.phone = seed.phone THEN 'shares phone ' || r.phone
                      ELSE 'same surname ' || r.surname || ' in ' || r.city END, '; ')
           FROM r JOIN seed ON r.receiver_id = seed.receiver_id OR r.phone = seed.phone
                OR (r.surname = seed.surname AND r.city = seed.city)
           GROUP BY r.receiver_id ORDER BY r.receiver_id""", {"ids": receiver_ids}).fetchall()
    return [(r[0], r[1]) for r in rows]


def resolve_seed(con: duckdb.DuckDBPyConnection, seed: str) -> list[tuple[str, str, str]]:
    """(side, party_id, why) for a seed: a party id, ``referral:ID``, an email, a phone or a
    transfer id (``PROVIDER:TRANSFER_ID`` or the id alone)."""
    text = seed.strip()
    if text.lower().startswith("referral:"):
        rid = text.split(":", 1)[1].strip()
        rows = con.execute("SELECT side, party_id, 'hit of referral ' || referral_id FROM "
                           "referral_hits WHERE referral_id = ? ORDER BY confidence DESC",
                           [rid]).fetchall()
        if not rows:
            raise NotFound(f"referral {rid} has no hit to follow")
        return [(r[0], r[1], r[2]) for r in rows]
    rows = con.execute(
        """SELECT DISTINCT 'sender', sender_id, 'the seed' FROM transfer_parties
           WHERE sender_id = $s
           UNION SELECT DISTINCT 'receiver', receiver_id, 'the seed' FROM transfer_parties
           WHERE receiver_id = $s""", {"s": text}).fetchall()
    if not rows and email_norm(text):
        rows = con.execute(
            """SELECT DISTINCT 'sender', p.sender_id, 'email ' || t.sender_email
               FROM transfers t JOIN transfer_parties p USING (provider, transfer_id)
               WHERE t.sender_email = ?""", [email_norm(text)]).fetchall()
    if not rows:
        provider, _, tid = text.rpartition(":")
        rows = con.execute(
            """SELECT s.side, CASE s.side WHEN 'sender' THEN p.sender_id ELSE p.receiver_id END,
                      'party to transfer ' || p.transfer_id
               FROM transfer_parties p, (SELECT unnest(['sender', 'receiver']) AS side) s
               WHERE upper(p.transfer_id) = upper($tid)
                 AND ($provider = '' OR lower(p.provider) = lower($provider))""",
            {"tid": tid, "provider": provider}).fetchall()
    if not rows and re.fullmatch(r"[+0-9 ().-]{6,}", text):
        regions = [r[0] for r in con.execute(
            "SELECT receiver_country FROM transfers GROUP BY ALL ORDER BY count(*) DESC"
        ).fetchall()]
        e164 = phone_e164(text, regions)
        if e164:
            rows = con.execute(
                """SELECT DISTINCT 'sender', p.sender_id, 'phone ' || t.sender_phone_e164
                   FROM transfers t JOIN transfer_parties p USING (provider, transfer_id)
                   WHERE t.sender_phone_e164 = $p
                   UNION SELECT DISTINCT 'receiver', p.receiver_id, 'phone ' || $p
                   FROM transfers t JOIN transfer_parties p USING (provider, transfer_id)
                   WHERE t.receiver_phone_e164 = $p""", {"p": e164}).fetchall()
    if not rows:
        raise NotFound(f"nothing in the transfers matches the seed {seed!r} (a party id, "
                       "referral:ID, an email, a phone or a transfer id)")
    return sorted((r[0], r[1], r[2]) for r in rows)


def _filtered_edges(con: duckdb.DuckDBPyConnection, filters: FollowFilters,
                    run_id: str | None) -> dict[str, Any]:
    """``follow_tx``, empty: the transfers that pass the filters are added party by party as
    the network grows (``_add_transfers``); returns the filters as SQL parameters.

    Copying every filtered transfer up front cost seconds on a million transfers for a
    network of a few hundred; only the transfers touching a party reached are ever read.
    """
    sender_country, receiver_country = filters.corridor_countries()
    if filters.min_facilitator_score is not None and run_id is None:
        raise NotFound("a minimum facilitator score needs a screening run: run "
                       "`filature screen` first")
    con.execute("""CREATE OR REPLACE TEMP TABLE follow_tx (provider VARCHAR,
                   transfer_id VARCHAR, sender_id VARCHAR, receiver_id VARCHAR,
                   sent_at TIMESTAMPTZ, amount_eur DOUBLE)""")
    return {"from": filters.date_from, "to": filters.date_to, "min": filters.min_eur,
            "max": filters.max_eur, "sc": sender_country, "rc": receiver_country}


def _add_transfers(con: duckdb.DuckDBPyConnection, hop: int, where: dict[str, Any]) -> None:
    """Add to ``follow_tx`` the transfers that pass the filters and touch a party reached at
    ``hop``, once each."""
    con.execute(
        """INSERT INTO follow_tx
        WITH reached AS (SELECT side, party_id FROM follow_nodes WHERE hop = $hop),
        touching AS (
            SELECT p.* FROM transfer_parties p JOIN reached r
              ON r.side = 'sender' AND r.party_id = p.sender_id
            UNION SELECT p.* FROM transfer_parties p JOIN reached r
              ON r.side = 'receiver' AND r.party_id = p.receiver_id
        )
        SELECT t.provider, t.transfer_id, p.sender_id, p.receiver_id, t.sent_at, t.amount_eur
        FROM touching p JOIN transfers t USING (provider, transfer_id)
        WHERE ($from IS NULL OR t.sent_at >= CAST($from AS DATE))
          AND ($to IS NULL OR t.sent_at < CAST($to AS DATE) + INTERVAL 1 DAY)
          AND ($min IS NULL OR t.amount_eur >= $min)
          AND ($max IS NULL OR t.amount_eur <= $max)
          AND ($sc IS NULL OR t.sender_country = $sc)
          AND ($rc IS NULL OR t.receiver_country = $rc)
          AND (t.provider, t.transfer_id) NOT IN (SELECT (provider, transfer_id)
                                                  FROM follow_tx)""",
        {**where, "hop": hop})


def _expand(con: duckdb.DuckDBPyConnection, hop: int, min_score: float | None,
            run_id: str | None) -> int:
    """One hop: the other ends of the transfers touching the last hop's parties."""
    con.execute(
        """INSERT INTO follow_nodes
        WITH frontier AS (SELECT * FROM follow_nodes WHERE hop = $hop - 1),
        found AS (
            SELECT 'receiver' AS side, e.receiver_id AS party_id,
                   'paid by ' || min(e.sender_id) AS via
            FROM follow_tx e JOIN frontier f ON f.side = 'sender' AND f.party_id = e.sender_id
            GROUP BY e.receiver_id
            UNION ALL
            SELECT 'sender', e.sender_id, 'pays ' || min(e.receiver_id)
            FROM follow_tx e JOIN frontier f ON f.side = 'receiver'
                 AND f.party_id = e.receiver_id
            GROUP BY e.sender_id
        )
        SELECT found.side, found.party_id, $hop, found.via FROM found
        LEFT JOIN receiver_scores rs ON found.side = 'receiver' AND rs.run_id = $run
             AND rs.receiver_id = found.party_id
        WHERE (found.side, found.party_id) NOT IN (SELECT (side, party_id) FROM follow_nodes)
          AND ($min IS NULL OR found.side = 'sender' OR coalesce(rs.score, 0) >= $min)""",
        {"hop": hop, "min": min_score, "run": run_id})
    row = first_row(con, "SELECT count(*) FROM follow_nodes WHERE hop = ?", [hop])
    return int(row[0]) if row else 0


def follow_money(con: duckdb.DuckDBPyConnection, seed: str | list[tuple[str, str, str]],
                 hops: int = 2, filters: FollowFilters | None = None,
                 household: bool = True) -> FollowResult:
    """The network reached from ``seed`` in ``hops`` hops, ranked; see the module docstring."""
    if not 1 <= hops <= MAX_HOPS:
        raise InputError(f"hops must be between 1 and {MAX_HOPS}", column="hops")
    filters = filters or FollowFilters()
    run_id = _latest_run(con)
    seeds = resolve_seed(con, seed) if isinstance(seed, str) else seed
    start = {(side, pid): why for side, pid, why in seeds}
    receivers = [pid for side, pid in start if side == "receiver"]
    if household and receivers:
        for rid, why in household_receivers(con, receivers):
            start.setdefault(("receiver", rid), why)
    con.execute("CREATE OR REPLACE TEMP TABLE follow_nodes (side VARCHAR, party_id VARCHAR, "
                "hop INTEGER, via VARCHAR)")
    con.executemany("INSERT INTO follow_nodes VALUES (?, ?, 0, ?)",
                    [(side, pid, why) for (side, pid), why in start.items()])
    where = _filtered_edges(con, filters, run_id)
    for hop in range(1, hops + 1):
        _add_transfers(con, hop - 1, where)
        if _expand(con, hop, filters.min_facilitator_score, run_id) == 0:
            break
    else:  # the last hop's parties: their transfers to parties reached before are links too
        _add_transfers(con, hops, where)
    label = seed if isinstance(seed, str) else ", ".join(pid for _, pid, _ in seed)
    result = FollowResult(label, hops, filters, run_id)
    result.edges = _edges(con)
    result.nodes = _ranked_nodes(con, run_id)
    return result


def _edges(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cursor = con.execute(
        """SELECT e.sender_id, e.receiver_id, count(*) AS transfers,
                  round(sum(e.amount_eur), 2) AS total_eur, min(e.sent_at) AS first_seen,
                  max(e.sent_at) AS last_seen,
                  string_agg(e.transfer_id, ';' ORDER BY e.sent_at, e.transfer_id)
                      AS transfer_ids
           FROM follow_tx e
           JOIN follow_nodes s ON s.side = 'sender' AND s.party_id = e.sender_id
           JOIN follow_nodes r ON r.side = 'receiver' AND r.party_id = e.receiver_id
           GROUP BY e.sender_id, e.receiver_id ORDER BY e.sender_id, e.receiver_id""")
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _ranked_nodes(con: duckdb.DuckDBPyConnection, run_id: str | None) -> list[dict[str, Any]]:
    """Parties found, each with its name, score and the money it moved inside the network."""
    cursor = con.execute(
        """WITH edges AS (
               SELECT e.* FROM follow_tx e
               JOIN follow_nodes s ON s.side = 'sender' AND s.party_id = e.sender_id
               JOIN follow_nodes r ON r.side = 'receiver' AND r.party_id = e.receiver_id
           ), money AS (
               SELECT 'sender' AS side, sender_id AS party_id, count(*) AS transfers,
                      sum(amount_eur) AS eur, count(DISTINCT receiver_id) AS counterparts,
                      string_agg(transfer_id, ';' ORDER BY sent_at, transfer_id) AS ids
               FROM edges GROUP BY sender_id
               UNION ALL
               SELECT 'receiver', receiver_id, count(*), sum(amount_eur),
                      count(DISTINCT sender_id),
                      string_agg(transfer_id, ';' ORDER BY sent_at, transfer_id)
               FROM edges GROUP BY receiver_id
           ), party_tx AS MATERIALIZED (  -- the parties' transfers first, then one scan
               SELECT 'sender' AS side, p.sender_id AS party_id, p.provider, p.transfer_id
               FROM transfer_parties p SEMI JOIN (SELECT party_id FROM follow_nodes
                                                  WHERE side = 'sender') n
                    ON n.party_id = p.sender_id
               UNION ALL
               SELECT 'receiver', p.receiver_id, p.provider, p.transfer_id
               FROM transfer_parties p SEMI JOIN (SELECT party_id FROM follow_nodes
                                                  WHERE side = 'receiver') n
                    ON n.party_id = p.receiver_id
           ), names AS (   -- the name and country written most often for the party
               SELECT x.side, x.party_id,
                      mode(CASE x.side WHEN 'sender' THEN t.sender_name
                                       ELSE t.receiver_name END) AS name,
                      mode(CASE x.side WHEN 'sender' THEN t.sender_country
                                       ELSE t.receiver_country END) AS country
               FROM party_tx x JOIN transfers t USING (provider, transfer_id)
               GROUP BY x.side, x.party_id
           )
           SELECT row_number() OVER (PARTITION BY n.side ORDER BY
                      coalesce(ss.score, rs.score, 0) DESC, coalesce(m.eur, 0) DESC,
                      n.party_id) AS rank,
                  n.side, n.party_id, nm.name, nm.country, n.hop, n.via,
                  round(coalesce(ss.score, rs.score), 4) AS score,
                  coalesce(m.transfers, 0) AS transfers, round(coalesce(m.eur, 0), 2) AS total_eur,
                  coalesce(m.counterparts, 0) AS counterparts, coalesce(m.ids, '') AS transfer_ids
           FROM follow_nodes n LEFT JOIN money m USING (side, party_id)
           LEFT JOIN names nm USING (side, party_id)
           LEFT JOIN sender_scores ss ON n.side = 'sender' AND ss.run_id = $run
                AND ss.sender_id = n.party_id
           LEFT JOIN receiver_scores rs ON n.side = 'receiver' AND rs.run_id = $run
                AND rs.receiver_id = n.party_id
           ORDER BY n.side = 'receiver', rank""", {"run": run_id})
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


# ``score`` is the latest run's sender score (points) for a sender and the facilitator
# score (0..1) for a receiver; ``rank`` is within the side. Money columns count only the
# transfers inside the followed network.
NODE_COLUMNS = ("rank", "side", "party_id", "name", "country", "hop", "via", "score",
                "transfers", "total_eur", "counterparts", "transfer_ids")


def write_follow(result: FollowResult, fmt: str, out: Path) -> None:
    """Export the network: ``csv`` (one row per party, ranked), ``json`` or ``graphml``."""
    if fmt == "csv":
        with open(out, "w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(NODE_COLUMNS)
            writer.writerows([[plain(n[c]) for c in NODE_COLUMNS] for n in result.nodes])
    elif fmt == "json":
        document = {"seed": result.seed, "hops": result.hops, "run_id": result.run_id,
                    "filters": {k: plain(v) for k, v in asdict(result.filters).items()},
                    "nodes": [{k: plain(v) for k, v in n.items()} for n in result.nodes],
                    "edges": [{k: plain(v) for k, v in e.items()} for e in result.edges]}
        out.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n",
                       encoding="utf-8")
    elif fmt == "graphml":
        to_graph(result).write_graphml(str(out))
    else:
        raise InputError(f"unknown format '{fmt}': choose csv, json or graphml",
                         column="format")


def follow_bytes(result: FollowResult, fmt: str) -> bytes:
    """The export ``write_follow`` writes, as bytes (a download, an evidence file)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="filature-follow-") as folder:
        path = Path(folder) / f"follow.{fmt}"
        write_follow(result, fmt, path)
        return path.read_bytes()


def to_graph(result: FollowResult) -> ig.Graph:
    """The network as an igraph graph: parties as vertices, sender->receiver payment edges."""
    index = {(n["side"], n["party_id"]): i for i, n in enumerate(result.nodes)}
    graph = ig.Graph(n=len(result.nodes), directed=True)
    for column in NODE_COLUMNS:
        graph.vs[column] = [_graphml_value(n[column]) for n in result.nodes]
    graph.vs["label"] = [n["name"] or n["party_id"] for n in result.nodes]
    graph.add_edges([(index[("sender", e["sender_id"])], index[("receiver", e["receiver_id"])])
                     for e in result.edges])
    for column in ("transfers", "total_eur", "first_seen", "last_seen", "transfer_ids"):
        graph.es[column] = [_graphml_value(e[column]) for e in result.edges]
    return graph


def _graphml_value(value: Any) -> Any:
    """GraphML attributes are typed per column: no None, dates as text."""
    if value is None:
        return ""
    return plain(value)
