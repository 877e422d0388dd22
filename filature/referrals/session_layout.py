"""How a session log is written: the canonical columns, or a TOML mapping of another layout.

The mapping works like the transfers' (``[format]`` and ``[columns]``, canonical name =
source header), so a platform's own export is read without editing it:

    [format]
    delimiter = ";"
    encoding = "cp1252"
    timezone = "Europe/Paris"   # for times the platform writes without an offset
    [columns]
    account = "Compte"
    start = "Debut appel"
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from filature.errors import InvalidData

REQUIRED = ("account", "start")
OPTIONAL = ("peer_account", "end", "ip", "platform")
DELIMITERS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "|": "|"}


class _Format(BaseModel):
    model_config = ConfigDict(extra="forbid")
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    timezone: str | None = None

    @field_validator("delimiter")
    @classmethod
    def _known_delimiter(cls, value: str) -> str:
        if value not in DELIMITERS:
            raise ValueError(f"delimiter must be one of , ; tab |, not {value!r}")
        return DELIMITERS[value]

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as e:
                raise ValueError(f"unknown time zone {value!r}") from e
        return value


class SessionLayout(BaseModel):
    """``columns``: canonical name -> the header in the file (case-insensitive)."""

    model_config = ConfigDict(extra="forbid")
    format: _Format = Field(default_factory=_Format)
    columns: dict[str, str] = Field(default_factory=dict)

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(REQUIRED) - set(OPTIONAL))
        if unknown:
            raise ValueError(f"unknown column(s) {', '.join(unknown)}: the session columns are "
                             f"{', '.join((*REQUIRED, *OPTIONAL))}")
        return {k: v.strip().lower() for k, v in value.items()}

    def header_of(self, column: str) -> str:
        return self.columns.get(column, column)


def load_session_layout(path: Path | None) -> SessionLayout:
    """The layout a mapping file describes, or the canonical one when there is none."""
    if path is None:
        return SessionLayout()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise InvalidData(path.name, [f"cannot read the mapping: {e}"]) from e
    try:
        return SessionLayout.model_validate(document)
    except ValidationError as e:
        raise InvalidData(path.name, [
            ".".join(str(p) for p in err["loc"]) + ": " + err["msg"].removeprefix("Value error, ")
            for err in e.errors()]) from e
