"""One typed settings object: every path, default and limit, read from FILATURE_* variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """What an operator can set through the environment (``FILATURE_DB``, ``FILATURE_CAPACITY``)."""

    model_config = SettingsConfigDict(env_prefix="FILATURE_", extra="ignore")

    db: Path = Field(Path("filature.duckdb"), description="the analytical store (DuckDB file)")
    cases_url: str = Field(
        "sqlite:///filature-cases.sqlite", description="the case database (SQLAlchemy URL)"
    )
    timezone: str = Field(
        "Europe/Paris", description="time zone of times written without an offset"
    )
    reporting_currency: str = Field("EUR", description="currency every amount is also kept in")
    capacity: int = Field(300, description="targets the team can review in one cycle")
    memory_limit: str = Field("6GB", description="DuckDB memory limit; larger work spills to disk")
    threads: int | None = Field(None, description="DuckDB threads; all cores when unset")
    language: str = Field("fr", description="default language of the web app: fr or en")
    store_read_only: bool = Field(
        False, description="the web app opens the store read-only and refuses uploads; "
        "`filature serve --workers` above 1 sets it for its processes")
    secret_key: str = Field("change-me-in-production", description="signs session cookies")
    evidence_dir: Path = Field(Path("filature-evidence"),
                               description="uploaded evidence files, stored by SHA-256")
    secure_cookies: bool = Field(True, description="session cookie sent over HTTPS only "
                                 "(browsers treat http://localhost as secure)")
    session_hours: float = Field(10.0, description="a login lasts this long (one working day)")
    audit_retention_days: int | None = Field(
        None, description="audit entries older than this are erased by `audit purge`; "
        "unset keeps them (the period is the unit's legal choice)")
    case_retention_days: int | None = Field(
        None, description="closed cases older than this are erased by `audit purge`; "
        "unset keeps them")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment (tests build their own)."""
    return Settings()  # type: ignore[call-arg]  # fields come from the environment
