"""The Splink model as data: blocking rules and comparisons for sender and receiver records.

Names come in any order ("VEROIS Bruno"), with typos ("Brunno"), compound first names
("Jean Pierre Martin" / "Jean Martin") and initials ("J Martin"); the name comparison is
built on the alphabetically sorted tokens so that order does not matter, with term-frequency
adjustment so that two "jean martin" records count for less than two "bruno verois".
Phones are E.164 already; a phone shared by receivers is weak evidence on that side (relatives
of one household share one), which the unsupervised (EM) estimation learns from the data.
Email and address are compared exactly: near-identical emails are typically namesakes
(``said.benali1@`` / ``saida.benali2@``) and near-identical addresses neighbours (``36`` /
``60 rue Emile Zola``); on a 500k-transfer world their fuzzy levels chained strangers
into one person.
"""

from __future__ import annotations

from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

from filature.resolve.records import Side

# Name levels, most specific first. SQL over Splink's _l/_r columns.
_NAME_JW = "jaro_winkler_similarity(name_sorted_l, name_sorted_r)"
_NAME_JW_RAW = "jaro_winkler_similarity(name_norm_l, name_norm_r)"
_SUBSET = ("(len(list_intersect(name_tokens_l, name_tokens_r)) = "
           "least(len(name_tokens_l), len(name_tokens_r)) AND "
           "least(len(name_tokens_l), len(name_tokens_r)) >= 2)")
_INITIALS = ("(len(list_intersect(name_tokens_l, name_tokens_r)) >= 1 AND "
             "(initials_l = initials_r OR contains(initials_l, initials_r) "
             "OR contains(initials_r, initials_l)))")


def name_comparison() -> cl.CustomComparison:
    """Names: exact (sorted tokens, TF-adjusted), near-identical, compound/initials, similar."""
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_sorted"),
            cll.ExactMatchLevel("name_sorted").configure(tf_adjustment_column="name_sorted"),
            cll.CustomLevel(f"greatest({_NAME_JW}, {_NAME_JW_RAW}) >= 0.94",
                            label_for_charts="one typo or swapped order"),
            cll.CustomLevel(f"{_SUBSET} OR ({_INITIALS} AND {_NAME_JW} >= 0.75)",
                            label_for_charts="compound name or initials"),
            cll.CustomLevel(f"greatest({_NAME_JW}, {_NAME_JW_RAW}) >= 0.85",
                            label_for_charts="similar names"),
            cll.ElseLevel(),
        ],
    )


def comparisons(side: Side) -> list[Any]:
    """The compared fields of one side; the sender side also has email and address."""
    out: list[Any] = [
        name_comparison(),
        cl.DateOfBirthComparison("birth_date", input_is_string=False,
                                 datetime_thresholds=[1], datetime_metrics=["year"]),
        cl.ExactMatch("id_number"),
        cl.ExactMatch("phone"),
    ]
    if "email" in side.columns:
        out.append(cl.ExactMatch("email"))
    if "address" in side.columns:
        out.append(cl.ExactMatch("address"))
    out.append(cl.ExactMatch("city").configure(term_frequency_adjustments=True))
    return out


def blocking_rules(side: Side) -> list[Any]:
    """Pairs worth comparing: sharing a phone, email, ID number, address, or the same birth
    date or name in the same city.

    The birth date alone paired every record with about a dozen strangers born the same day
    (a quarter of all pairs at 500k transfers); on a 500k-transfer world every link that
    only the birth date found was between records of the same city, so the date is paired
    with the city.

    A pair sharing only a name (or a name token) and a city cannot reach the threshold
    without one more shared identifier, and such pairs are found by that identifier's own
    rule; blocking on the name alone made ~15 million pairs per million transfers for no
    extra link (common names), so the name is paired with the city.

    A sender's *bare* record (a name and a city, nothing else) with a typo in the name
    shares no key with his other records; it is paired with the records of its city whose
    names have the same first or the same last sorted token (``bare_first`` against
    ``city_first``, ``bare_last`` against ``city_last``, both ways round): one typo leaves
    one of them whole ("jean uc bernard" and "jean luc bernard" share "bernard"). About 2%
    of sender records are bare, so this adds few pairs; on the receiving side a sixth are,
    and relatives' records are grouped in households anyway.
    """
    rules: list[Any] = [block_on("phone"), block_on("id_number"),
                        block_on("birth_date", "city"), block_on("name_sorted", "city")]
    if "email" in side.columns:
        rules.append(block_on("email"))
    if "address" in side.columns:
        rules.append(block_on("address", "city"))
    if side.name == "sender":
        rules += [f"{a}.bare_{end} = {b}.city_{end}"
                  for end in ("first", "last") for a, b in (("l", "r"), ("r", "l"))]
    return rules


def settings(side: Side) -> SettingsCreator:
    """The untrained model of one side (dedupe within the side's records)."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(side),
        blocking_rules_to_generate_predictions=blocking_rules(side),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        max_iterations=20,
    )


def training_rules(side: Side) -> list[Any]:
    """EM blocking rules: each fixes some fields and lets the others' parameters be learnt."""
    return [block_on("phone"), block_on("name_sorted", "city"), block_on("birth_date")]


def deterministic_rules(side: Side) -> list[Any]:
    """Rules that almost surely mean the same person, to estimate the prior match rate."""
    rules: list[Any] = ["l.phone = r.phone AND l.name_sorted = r.name_sorted",
             "l.id_number = r.id_number"]
    if "email" in side.columns:
        rules.append("l.email = r.email")
    return rules
