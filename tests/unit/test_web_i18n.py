"""The catalogues: every label a template asks for exists, in French and in English."""

from __future__ import annotations

import re
from pathlib import Path

from filature.web.i18n import LANGUAGES, Translator, catalogue

TEMPLATES = Path(__file__).resolve().parents[2] / "filature" / "web" / "templates"
# Keys built in a template from a prefix and a value: the values each prefix takes.
DYNAMIC = {
    "identity.": ["names", "birth_dates", "phones", "emails", "id_numbers", "operators",
                  "places"],
    "overview.band_": ["10", "5", "2", "0", "-1"],
    "queue.status_": ["all", "target", "below"],
    "search.on_": ["name", "phone", "email", "id_number", "transfer"],
    "search.side_": ["sender", "receiver"],
    "error.status_": ["400", "404", "500"],
    "case.status_": ["new", "triage", "investigation", "sent_to_prosecutor", "closed"],
    "case.outcome_": ["charged", "no_further_action", "cleared"],
    "case.origin_": ["target", "facilitator", "referral"],
    "referral.role_": ["suspected_buyer", "suspected_facilitator", "unknown"],
    "referral.field_": ["names", "birth_dates", "phones", "emails", "id_numbers", "usernames",
                        "cities", "countries", "payment_references", "ip_addresses"],
}


def _keys_used() -> set[str]:
    used: set[str] = set()
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bt\('([a-z_.]+[a-z_])'[,)]", text))
        for prefix in re.findall(r"\bt\('([a-z_.]+)' ~", text):
            used |= {prefix + value for value in DYNAMIC[prefix]}
    used |= {key for key in catalogue("fr") if key.startswith("nav.")}
    return used


def test_case_statuses_outcomes_and_origins_all_have_labels() -> None:
    """The template builds these keys from the case's values: each value needs its label."""
    from filature.cases.services import OUTCOMES, STATUSES
    from filature.cases.snapshots import ORIGINS

    assert DYNAMIC["case.status_"] == list(STATUSES)
    assert DYNAMIC["case.outcome_"] == list(OUTCOMES)
    assert DYNAMIC["case.origin_"] == list(ORIGINS)


def test_both_languages_have_the_same_labels() -> None:
    assert set(catalogue("fr")) == set(catalogue("en"))


def test_every_label_used_by_a_template_is_in_the_catalogues() -> None:
    used = _keys_used()
    assert len(used) > 100
    for language in LANGUAGES:
        missing = used - set(catalogue(language))
        assert not missing, (language, sorted(missing))


def test_labels_with_fields_have_the_same_fields_in_both_languages() -> None:
    fields = re.compile(r"\{(\w+)\}")
    fr, en = catalogue("fr"), catalogue("en")
    for key in fr:
        assert set(fields.findall(fr[key])) == set(fields.findall(en[key])), key


def test_numbers_are_written_the_readers_way() -> None:
    assert Translator("fr").number(1234.5, 2) == "1\u202f234,50"
    assert Translator("en").number(1234.5, 2) == "1,234.50"
    assert Translator("fr").number(None) == "–"
