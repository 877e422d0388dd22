"""Reading and validating the typology pack: ``pack.yaml`` plus one YAML file per indicator.

An indicator is a *measure* (an SQL expression over the features of one party, see
``features.py``), a linear *ramp* turning it into a strength between 0 and 1, and a *weight*
(negative for counter-indicators). Measures are parsed with sqlglot and may only name known
features and plain functions, so a pack cannot run arbitrary SQL.
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import sqlglot
import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlglot import exp

from filature.errors import InvalidData
from filature.indicators.features import RECEIVER_FEATURES, SENDER_FEATURES

ALLOWED_FUNCTIONS = {"least", "greatest", "coalesce", "abs", "ln", "sqrt", "case"}


class Indicator(BaseModel):
    """One red flag (or counter-indicator) with its source, as an investigator can quote it."""

    id: str
    side: Literal["sender", "receiver"]
    measure: str
    ramp: tuple[float, float]
    weight: float
    label_en: str
    label_fr: str
    source: str
    description_en: str
    description_fr: str
    detail_en: str
    detail_fr: str

    @field_validator("ramp")
    @classmethod
    def _ramp_rises(cls, ramp: tuple[float, float]) -> tuple[float, float]:
        if ramp[1] <= ramp[0]:
            raise ValueError("ramp must be [low, high] with high > low")
        return ramp

    @property
    def is_counter(self) -> bool:
        return self.weight < 0


class ScoringParameters(BaseModel):
    facilitator_scale: float = Field(gt=0)
    payer_evidence_weight: float = Field(ge=0)
    sender_scale: float = Field(gt=0)
    facilitator_paid_weight: float = Field(ge=0)
    several_facilitators_weight: float = Field(ge=0)
    several_facilitators_cap: int = Field(ge=0)
    full_from_payers: float = Field(1.0, gt=0)
    network_rounds: int = Field(2, ge=1, le=5)


class PackParameters(BaseModel):
    risk_countries: list[str]
    small_amount_eur: tuple[float, float]
    large_amount_eur: float
    round_unit: float = Field(gt=0)
    night_hours: tuple[int, int]
    cover_story_pattern: str
    invoice_pattern: str
    hotspot_cities: list[str]
    regular_beat_tolerance: float = Field(0.15, gt=0, lt=0.5)
    regular_on_beat_share: float = Field(0.8, gt=0, le=1)
    regular_amount_cv: float
    regular_min_transfers: int
    short_period_days: int
    # Family remittances: monthly, around payday (typology.md). Defaults keep older packs valid.
    payday_window_days: int = Field(11, ge=1, le=31)
    monthly_gap_days: tuple[float, float] = (24.0, 38.0)
    # Family names of a country, learnt from its receivers (features.build_diaspora_ties).
    diaspora_min_names: int = Field(5, ge=1)
    diaspora_min_share: float = Field(0.002, ge=0)
    diaspora_min_ratio: float = Field(3.0, ge=1)
    # A payer devoted to one woman (features.build_receiver_features, K05).
    devoted_share: float = Field(0.8, gt=0, le=1)
    devoted_min_transfers: int = Field(6, ge=1)


class Pack(BaseModel):
    """The whole pack; ``sha256`` fingerprints every file so a run says which pack it used."""

    id: str
    version: str
    title_en: str
    title_fr: str
    parameters: PackParameters
    scoring: ScoringParameters
    indicators: list[Indicator]
    sha256: str = ""

    def for_side(self, side: str) -> list[Indicator]:
        return [i for i in self.indicators if i.side == side]

    @cached_property
    def by_id(self) -> dict[str, Indicator]:
        return {i.id: i for i in self.indicators}


def _check_measure(indicator: Indicator) -> list[str]:
    """Errors in an indicator's measure: unknown feature, unknown function, not parseable."""
    known = SENDER_FEATURES if indicator.side == "sender" else RECEIVER_FEATURES
    try:
        tree = sqlglot.parse_one(indicator.measure, read="duckdb")
    except sqlglot.errors.ParseError as e:
        return [f"{indicator.id}: measure is not an expression ({e})"]
    errors = []
    for column in tree.find_all(exp.Column):
        if column.name not in known:
            errors.append(f"{indicator.id}: unknown feature '{column.name}' in measure")
    for node in tree.find_all(exp.Func):
        name = (node.sql_name() if not isinstance(node, exp.Anonymous) else node.name).lower()
        if name not in ALLOWED_FUNCTIONS and not isinstance(node, exp.Case):
            errors.append(f"{indicator.id}: function '{name}' not allowed in a measure")
    if tree.find(exp.Select, exp.Subquery):
        errors.append(f"{indicator.id}: subqueries are not allowed in a measure")
    return errors


def default_pack_dir() -> Path:
    return Path(str(resources.files("filature.indicators") / "pack"))


def load_pack(directory: Path | None = None) -> Pack:
    """Load and validate the pack in ``directory`` (the shipped pack by default)."""
    directory = directory or default_pack_dir()
    files = sorted(directory.rglob("*.yaml"))
    digest = hashlib.sha256()
    head: dict[str, Any] | None = None
    indicators: list[dict[str, Any]] = []
    for path in files:
        raw = path.read_bytes()
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0" + raw)
        try:
            document = yaml.safe_load(raw)
        except yaml.YAMLError as e:
            raise InvalidData(str(path), [f"not valid YAML: {e}"]) from e
        if path.name == "pack.yaml":
            head = document
        else:
            indicators.append(document)
    if head is None:
        raise InvalidData(str(directory), ["pack.yaml is missing"])
    try:
        pack = Pack.model_validate({**head, "indicators": indicators,
                                    "sha256": digest.hexdigest()})
    except ValidationError as e:
        raise InvalidData(str(directory), [
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()
        ]) from e
    errors = [err for ind in pack.indicators for err in _check_measure(ind)]
    ids = [i.id for i in pack.indicators]
    errors += [f"duplicate indicator id {i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    if errors:
        raise InvalidData(str(directory), errors)
    return pack
