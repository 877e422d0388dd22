"""The case database: users and roles, cases and their evidence, the hash-chained audit trail.

SQLAlchemy models (``models``), Alembic migrations shipped in ``migrations/`` and run from
code (``db.CaseDatabase.open``), and services the web app and the CLI call. Nothing here
reads the analytical store: a case holds store ids and a snapshot (``snapshots``).
"""
