"""The page labels in French and English, read from the ``i18n/*.json`` catalogues.

Every word a page shows goes through ``Catalogue.text`` so that a missing translation is a
test failure, not an English word on a French page. Indicator labels are not here: they
come with the data (``label_fr`` / ``label_en`` of each contribution).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from filature.cases.roles import ROLE_LABELS, Role
from filature.errors import FilatureError

LANGUAGES = ("fr", "en")
COOKIE = "filature_lang"

# Error parameters that hold a value the pages already label (a case's status, outcome or
# origin): an error message quotes that label, not the stored word.
PARAM_LABELS = {"status": "case.status_", "target": "case.status_", "allowed": "case.status_",
                "outcome": "case.outcome_", "outcomes": "case.outcome_",
                "kind": "case.origin_", "origins": "case.origin_"}


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(language: str) -> dict[str, str]:
    """The labels of one language (``fr`` or ``en``), keyed by a stable identifier."""
    if language not in LANGUAGES:
        raise KeyError(language)
    text = resources.files("filature.web").joinpath("i18n", f"{language}.json").read_text(
        encoding="utf-8")
    return dict(json.loads(text))


class Translator:
    """``t("key", n=3)``: the label in the page's language, with ``{name}`` fields filled."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else LANGUAGES[0]
        self._labels = catalogue(self.language)

    def __call__(self, key: str, **fields: Any) -> str:
        text = self._labels[key]  # a KeyError here is a missing label: caught by the tests
        return text.format(**fields) if fields else text

    def error(self, error: FilatureError) -> str:
        """The error as the reader's language says it: the catalogue's ``error.<key>`` with
        the error's parameters filled in, else the error's own (English) text."""
        text = self._labels.get(f"error.{error.key}") if error.key else None
        if text is None:
            return str(error)
        return text.format(**{name: self._param(name, value)
                              for name, value in error.params.items()})

    def _param(self, name: str, value: Any) -> str:
        """One error parameter as shown: a list joined, a status or a role by its label."""
        if isinstance(value, list | tuple):
            return ", ".join(self._param(name, v) for v in value) or self("error.none")
        label = f"{PARAM_LABELS[name]}{value}" if name in PARAM_LABELS else None
        if label in self._labels:
            return self._labels[label]
        if name == "role" and value in ROLE_LABELS:
            return ROLE_LABELS[Role(value)][self.language]
        return str(value)

    def eur(self, value: float | None) -> str:
        return "–" if value is None else f"{self.number(value, 2)} €"

    @staticmethod
    def day(value: date | None) -> str:
        return value.strftime("%Y-%m-%d") if value else "–"

    @staticmethod
    def when(value: datetime | None) -> str:
        return value.strftime("%Y-%m-%d %H:%M") if value else "–"

    def number(self, value: float | int | None, digits: int = 0) -> str:
        """A number written the way the reader's language writes it (1 234,50 in French)."""
        if value is None:
            return "–"
        text = f"{value:,.{digits}f}"
        if self.language == "fr":
            text = text.replace(",", "\u202f").replace(".", ",")
        return text
