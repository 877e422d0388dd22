"""The project's exceptions: one root, a few domain kinds, each saying what a user can fix.

The CLI turns any ``FilatureError`` into a one-line message and a non-zero exit; the web
app into a clear page. Backend errors are re-raised as ``StoreError`` with the SQL step
named (``raise ... from e``) so a technical officer can see what failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class FilatureError(Exception):
    """Root of every error Filature raises on purpose."""


@dataclass
class InputError(FilatureError):
    """A file or value the user gave cannot be used; names where and why."""

    reason: str
    file: str | None = None
    line: int | None = None
    column: str | None = None

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
