"""What a referral is (docs: shared/specs/referral-json.md, version 1), as validated types.

Validation is strict about what the matching uses (roles, dates, at least one identifier per
subject) and lenient about the rest: fields a partner adds are kept, not rejected, so the
referral as received can always be shown back to the investigator.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from filature.errors import InvalidData

ROLES = ("suspected_buyer", "suspected_facilitator", "unknown")
Role = Literal["suspected_buyer", "suspected_facilitator", "unknown"]

# The identifiers a subject can be matched on; a subject needs at least one of them.
IDENTIFIER_FIELDS = ("names", "phones", "emails", "id_numbers", "usernames", "ip_addresses",
                     "payment_references")


class IpAddress(BaseModel):
    model_config = ConfigDict(extra="allow")
    ip: str
    seen_at: datetime | None = None


class PaymentReference(BaseModel):
    model_config = ConfigDict(extra="allow")
    provider: str = ""
    transfer_id: str

    @field_validator("transfer_id")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a payment reference needs a transfer_id")
        return value.strip()


def _clean_strings(value: Any) -> Any:
    """Lists of strings lose blank entries and surrounding spaces (partners pad them)."""
    if isinstance(value, list):
        return [v.strip() for v in value if not (isinstance(v, str) and not v.strip())]
    return value


class Subject(BaseModel):
    """One person or account the referral names, by whatever identifiers the sender had."""

    model_config = ConfigDict(extra="allow")
    role: Role
    names: list[str] = Field(default_factory=list)
    birth_dates: list[date] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    id_numbers: list[str] = Field(default_factory=list)
    usernames: list[str] = Field(default_factory=list)
    ip_addresses: list[IpAddress] = Field(default_factory=list)
    cities: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    payment_references: list[PaymentReference] = Field(default_factory=list)

    _strip = field_validator("names", "phones", "emails", "id_numbers", "usernames", "cities",
                             "countries", mode="before")(_clean_strings)

    @field_validator("birth_dates", mode="before")
    @classmethod
    def _iso_dates_only(cls, value: Any) -> Any:
        # Pydantic would also read 1986 as a Unix timestamp; a referral's dates are ISO 8601.
        if isinstance(value, list):
            for v in value:
                if not isinstance(v, str):
                    raise ValueError(f"dates are ISO 8601 strings (YYYY-MM-DD), not {v!r}")
        return value

    @field_validator("countries")
    @classmethod
    def _country_codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if len(code) != 2 or not code.isalpha():
                raise ValueError(f"countries are ISO 3166 two-letter codes, not {code!r}")
        return [c.upper() for c in value]

    @model_validator(mode="after")
    def _has_an_identifier(self) -> Subject:
        if not any(getattr(self, f) for f in IDENTIFIER_FIELDS):
            raise ValueError("a subject needs at least one identifier (" +
                             ", ".join(IDENTIFIER_FIELDS) + ")")
        return self


class Referral(BaseModel):
    """An alert from outside the unit naming one or more subjects."""

    model_config = ConfigDict(extra="allow")
    referral_id: str
    source: str | None = None
    source_country: str | None = None
    received_at: date | None = None
    summary: str | None = None
    subjects: list[Subject] = Field(min_length=1)

    @field_validator("referral_id")
    @classmethod
    def _id_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("referral_id must not be empty")
        return value.strip()

    @field_validator("received_at", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError(f"dates are ISO 8601 strings (YYYY-MM-DD), not {value!r}")
        if isinstance(value, str) and "T" in value:
            return value.split("T", 1)[0]  # a timestamp is accepted; the day is what counts
        return value


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path or "(document)"


def _message(error: dict[str, Any]) -> str:
    kind, msg = error["type"], error["msg"]
    if kind == "missing":
        return "is required"
    if kind == "literal_error":
        return f"unknown role {error['input']!r} (expected one of: {', '.join(ROLES)})"
    if kind == "too_short" and error["loc"][-1:] == ("subjects",):
        return "a referral needs at least one subject"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"{error['input']!r} is not an ISO 8601 date"
    return msg.removeprefix("Value error, ")


def validate_referral(document: Any, source: str) -> Referral:
    """A validated referral, or ``InvalidData`` listing every unusable field by its path."""
    if not isinstance(document, dict):
        raise InvalidData(source, ["a referral is a JSON object"])
    try:
        return Referral.model_validate(document)
    except ValidationError as e:
        raise InvalidData(source, [f"{_field_path(err['loc'])}: {_message(dict(err))}"
                                   for err in e.errors()]) from e
