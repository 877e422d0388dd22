"""What the target page says of a possible second record (``scoring.aliases``).

The list folds a sender who may be a better-ranked target's second record into that
target's line; the pages must say so on both sides, or an investigator opening the folded
sender from the queue or a search sees a likely buyer missing from the list, with no reason.
Held in memory for the run: a few rows, read on every target page.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class PossibleAlias:
    """Another sender the page's sender may be: ``listed`` is the target of the list's line,
    ``folded`` the sender named in it."""

    other_id: str
    other_name: str
    other_is_listed: bool


class HeldAliases:
    """The run's possible aliases seen from each sender's page (both directions), and the
    senders folded into a listed target's line, which the queue tags: read once per run."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, run_id: str) -> None:
        rows = cur.execute(
            """SELECT a.target_id, a.alias_id, coalesce(ts.name, a.target_id),
                      coalesce(al.name, a.alias_id)
               FROM target_aliases a
               LEFT JOIN targets ts ON ts.run_id = a.run_id AND ts.target_id = a.target_id
               LEFT JOIN (SELECT DISTINCT ON (p.sender_id) p.sender_id, t.sender_name AS name
                          FROM transfer_parties p JOIN transfers t USING (provider, transfer_id)
                          WHERE p.sender_id IN (SELECT alias_id FROM target_aliases
                                                WHERE run_id = $run)
                          ORDER BY p.sender_id, t.sent_at) al ON al.sender_id = a.alias_id
               WHERE a.run_id = $run ORDER BY a.alias_id""", {"run": run_id}).fetchall()
        self._seen: dict[str, list[PossibleAlias]] = {}
        for target, alias, target_name, alias_name in rows:
            self._seen.setdefault(target, []).append(PossibleAlias(alias, alias_name, False))
            self._seen.setdefault(alias, []).append(PossibleAlias(target, target_name, True))
        self.folded = frozenset(alias for _, alias, _, _ in rows)

    def of(self, sender_id: str) -> list[PossibleAlias]:
        """The other senders ``sender_id`` may be (none for most)."""
        return self._seen.get(sender_id, [])
