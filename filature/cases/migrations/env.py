"""Alembic environment of the case database, driven from ``filature.cases.db``.

The caller passes an open connection (``config.attributes["connection"]``); running the
``alembic`` command by hand also works with ``-x url=...``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from filature.cases.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from filature.cases.db import normalise_url

    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("give the database with -x url=...")
    with create_engine(normalise_url(url)).begin() as own_connection:
        _run(own_connection)
