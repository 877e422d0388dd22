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
    secret_key: str = Field("change-me-in-production", description="signs session cookies")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment (tests build their own)."""
    return Settings()  # type: ignore[call-arg]  # fields come from the environment
