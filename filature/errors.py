"""The project's exceptions: one root, a few domain kinds, each saying what a user can fix.

The CLI turns any ``FilatureError`` into a one-line message and a non-zero exit; the web
app into a clear page. Backend errors are re-raised as ``StoreError`` with the SQL step
named (``raise ... from e``) so a technical officer can see what failed.

An error may also carry a message ``key`` and its ``params`` (``InputError("a note cannot be
empty", key="case.empty_note")``): ``str(error)`` stays the English sentence the CLI
prints, and the web app shows the catalogue's ``error.<key>`` in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


class FilatureError(Exception):
    """Root of every error Filature raises on purpose.

    ``key`` names the message in the web catalogues (``error.<key>``) and ``params`` the
    values it quotes; without a key the message is ``str(error)`` in every language.
    """

    key: str | None = None
    params: Mapping[str, Any] = MappingProxyType({})

    def __init__(self, *args: object, key: str | None = None,
                 params: Mapping[str, Any] | None = None) -> None:
        super().__init__(*args)
        self.key = key
        self.params = dict(params or {})


@dataclass
class InputError(FilatureError):
    """A file or value the user gave cannot be used; names where and why."""

    reason: str
    file: str | None = None
    line: int | None = None
    column: str | None = None
    key: str | None = field(default=None, kw_only=True)
    params: Mapping[str, Any] = field(default_factory=dict, kw_only=True)

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line) if p is not None)
        col = f" [{self.column}]" if self.column else ""
        return f"{where}{col}: {self.reason}" if where or col else self.reason


@dataclass
class MissingColumnsError(InputError):
    """A transfer file lacks required columns: the whole file is refused, nothing is loaded."""

    missing: list[str] = field(default_factory=list)


@dataclass
class InvalidData(FilatureError):
    """A structured document (mapping, referral, pack) failed validation, field by field."""

    source: str
    errors: list[str]

    def __str__(self) -> str:
        return f"{self.source}: " + "; ".join(self.errors)


class ConfigError(FilatureError):
    """Settings, mapping or typology pack that cannot be used as written."""


class StoreError(FilatureError):
    """The analytical store failed on a step; the message names the step and table."""


class NotFound(FilatureError):
    """A run, target, receiver, referral or case the user named does not exist."""


class MissingExtra(FilatureError):
    """An optional engine is not installed; the message gives the exact install command."""
