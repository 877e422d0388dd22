"""Case outcomes as labels for the screening: charged buyers are confirmed, cleared ones not.

"No further action" is left out: it says the evidence was not enough, not that the person
was not a buyer. Only senders count (the screening ranks senders); a facilitator case
gives no sender label. The newest closed case of a person decides their label.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from filature.cases.models import Case, CaseParty

LABELS = {"charged": 1, "cleared": 0}


@dataclass(frozen=True)
class OutcomeLabel:
    """One sender's label, with the case it comes from so a figure can be traced."""

    sender_id: str
    label: int              # 1 confirmed buyer, 0 cleared
    case_reference: str
    closed_at: datetime


def outcome_labels(session: Session) -> list[OutcomeLabel]:
    """Every labelled sender, one row each, ordered by sender id."""
    rows = session.execute(
        select(CaseParty.party_id, Case.outcome, Case.reference, Case.closed_at)
        .join(Case, Case.id == CaseParty.case_id)
        .where(CaseParty.side == "sender", CaseParty.is_subject, Case.status == "closed",
               Case.outcome.in_(LABELS))
        .order_by(Case.closed_at, Case.id)).all()
    latest: dict[str, OutcomeLabel] = {}
    for sender_id, outcome, reference, closed_at in rows:
        # The query keeps closed cases with a labelled outcome only: both are set.
        assert outcome is not None and closed_at is not None
        latest[sender_id] = OutcomeLabel(sender_id, LABELS[outcome], reference, closed_at)
    return [latest[k] for k in sorted(latest)]


def case_database_labels(url: str) -> list[OutcomeLabel] | None:
    """The labels of the case database at ``url``; None when there is no such database.

    A SQLite file that does not exist is not created (screening must not leave an empty case
    database behind), and a database without the case schema yet counts as none.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from filature.cases.db import CaseDatabase, normalise_url
    from filature.errors import StoreError

    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:" or not Path(path).is_file():
            return None
    try:
        database = CaseDatabase.open(url, upgrade=False)
    except StoreError:
        return None
    except SQLAlchemyError as e:
        raise StoreError(f"reading outcomes from the case database failed: {e}") from e
    try:
        with database.session() as session:
            return outcome_labels(session)
    except SQLAlchemyError as e:
        raise StoreError(f"reading outcomes from the case database failed: {e}") from e
    finally:
        database.dispose()
