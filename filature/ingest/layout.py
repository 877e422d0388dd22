"""What a transfer file looks like: the canonical columns, and the TOML mapping of other layouts.

The canonical layout is ``shared/specs/transfers-csv.md`` (version 1). Any other layout (an
operator's export with its own headers, delimiter, decimal comma, day-first dates) is read
through a mapping file, data reviewed like code: ``[format]``, ``[columns]`` (canonical name =
source header) and ``[defaults]`` (constants for columns the source lacks).
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from filature.errors import InvalidData

REQUIRED = (
    "transfer_id", "sent_at", "amount", "currency", "sender_name", "sender_country",
    "receiver_name", "receiver_country",
)
OPTIONAL = (
    "channel", "provider", "sender_birth_date", "sender_id_number", "sender_phone",
    "sender_email", "sender_address", "sender_city", "receiver_birth_date",
    "receiver_id_number", "receiver_phone", "receiver_city", "payout_location", "message",
)
CANONICAL = REQUIRED + OPTIONAL

ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8", "latin-1": "latin-1",
             "latin1": "latin-1", "iso-8859-1": "latin-1", "cp1252": "cp1252",
             "windows-1252": "cp1252"}
DELIMITERS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "\\t": "\t", "|": "|"}


class FormatSection(BaseModel):
    """``[format]``: how the bytes are written. Every field is optional."""

    model_config = ConfigDict(extra="forbid")

    delimiter: str | None = None
    decimal: str = "."
    datetime: str | None = Field(None, description="strptime pattern of sent_at; ISO 8601 if unset")
    date: str | None = Field(None, description="strptime pattern of birth dates; ISO if unset")
    timezone: str | None = None
    encoding: str | None = None

    @field_validator("delimiter")
    @classmethod
    def _known_delimiter(cls, value: str | None) -> str | None:
        if value is not None and value not in DELIMITERS:
            raise ValueError(f"delimiter must be one of , ; tab |, not {value!r}")
        return DELIMITERS[value] if value is not None else None

    @field_validator("decimal")
    @classmethod
    def _known_decimal(cls, value: str) -> str:
        if value not in (".", ","):
            raise ValueError("decimal must be '.' or ','")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None and value.lower() not in ENCODINGS:
            known = ", ".join(sorted(set(ENCODINGS.values())))
            raise ValueError(f"encoding must be one of {known}")
        return ENCODINGS[value.lower()] if value is not None else None


class MappingFile(BaseModel):
    """A whole mapping file, validated before any row is read."""

    model_config = ConfigDict(extra="forbid")

    format: FormatSection = FormatSection()  # type: ignore[call-arg]
    columns: dict[str, str] = {}
    defaults: dict[str, str] = {}

    @field_validator("columns", "defaults")
    @classmethod
    def _canonical_names(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(CANONICAL))
        if unknown:
            raise ValueError(f"not canonical columns: {', '.join(unknown)} "
                             f"(see docs/formats.md)")
        return value


@dataclass(frozen=True)
class Layout:
    """Everything a reader needs: where each canonical column comes from, and how to parse it.

    ``sources`` maps a canonical column to the header it is read from; ``defaults`` gives
    constants. Built from a mapping file, from command-line options, or both (options win).
    """

    sources: dict[str, str]
    defaults: dict[str, str]
    delimiter: str | None
    decimal: str
    datetime_format: str | None
    date_format: str | None
    timezone: str | None
    encoding: str
    mapping_name: str | None = None
    mapping_sha256: str | None = None


def shipped_mappings() -> dict[str, Path]:
    """Mappings shipped with Filature, by name (``--mapping fr-operator``)."""
    folder = Path(str(resources.files("filature.ingest") / "mappings"))
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def read_mapping(mapping: str | Path) -> tuple[MappingFile, str, str]:
    """Parse a mapping given as a path or a shipped name: (mapping, name, SHA-256)."""
    path = Path(mapping)
    if not path.exists():
        shipped = shipped_mappings()
        if str(mapping) not in shipped:
            names = ", ".join(shipped) or "none"
            raise InvalidData(str(mapping), [f"no such mapping file (shipped mappings: {names})"])
        path = shipped[str(mapping)]
    raw = path.read_bytes()
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise InvalidData(str(path), [f"not valid TOML: {e}"]) from e
    try:
        parsed = MappingFile.model_validate(document)
    except ValidationError as e:
        raise InvalidData(str(path), [
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()
        ]) from e
    return parsed, path.name, hashlib.sha256(raw).hexdigest()


def build_layout(mapping: str | Path | None, *, encoding: str | None, delimiter: str | None,
                 timezone: str | None, default_timezone: str) -> Layout:
    """The layout of one file: the canonical one, or a mapping's, with the options on top."""
    parsed, name, digest = read_mapping(mapping) if mapping else (MappingFile(), None, None)
    fmt = parsed.format
    if delimiter is not None:
        fmt = fmt.model_copy(update={"delimiter": FormatSection._known_delimiter(delimiter)})
    if encoding is not None:
        fmt = fmt.model_copy(update={"encoding": FormatSection._known_encoding(encoding)})
    sources = {c: c for c in CANONICAL if c not in parsed.defaults}
    sources.update(parsed.columns)
    return Layout(
        sources=sources, defaults=dict(parsed.defaults), delimiter=fmt.delimiter,
        decimal=fmt.decimal, datetime_format=fmt.datetime, date_format=fmt.date,
        timezone=timezone or fmt.timezone or default_timezone,
        encoding=fmt.encoding or "utf-8", mapping_name=name, mapping_sha256=digest,
    )
