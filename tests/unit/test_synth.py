"""The synthetic world: files an investigator's tools can read, a truth that covers them, and
populations that look like the typology (buyers, facilitators and the five look-alikes)."""

from __future__ import annotations

import csv
import hashlib
import io
import tomllib
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import phonenumbers
import pytest

from filature.errors import InputError
from filature.synth import generate_world
from filature.synth.names import strip_accents

CANONICAL = ["transfer_id", "sent_at", "amount", "currency", "channel", "provider",
             "sender_name", "sender_birth_date", "sender_id_number", "sender_phone",
             "sender_email", "sender_address", "sender_city", "sender_country",
             "receiver_name", "receiver_birth_date", "receiver_id_number", "receiver_phone",
             "receiver_city", "receiver_country", "payout_location", "message"]
RISK = {"PH", "TH", "CO", "DO", "MX", "RO", "GH", "UA", "JM", "LA", "IN"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "world"
    generate_world(out, senders=1500, buyers=40, seed=5)
    return out


def _rows(path: Path, delimiter: str = ",", encoding: str = "utf-8") -> list[dict[str, str]]:
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


@pytest.fixture(scope="module")
def transfers(world: Path) -> list[dict[str, str]]:
    return _rows(world / "transfers.csv")


@pytest.fixture(scope="module")
def truth(world: Path) -> dict[tuple[str, str], dict[str, str]]:
    return {(r["provider"], r["transfer_id"]): r for r in _rows(world / "truth/transfers.csv")}


@pytest.fixture(scope="module")
def people(world: Path) -> dict[str, dict[str, str]]:
    return {r["person_id"]: r for r in _rows(world / "truth/people.csv")}


@pytest.fixture(scope="module")
def operator(world: Path) -> list[dict[str, str]]:
    """The operator export read back through its own mapping, as canonical rows."""
    mapping = tomllib.loads((world / "operator_export.toml").read_text(encoding="utf-8"))
    fmt = mapping["format"]
    raw = _rows(world / "operator_export.csv", fmt["delimiter"], fmt["encoding"])
    zone = ZoneInfo(fmt["timezone"])
    rows = []
    for r in raw:
        row = {c: r[h] for c, h in mapping["columns"].items()} | mapping["defaults"]
        row["amount"] = row["amount"].replace(fmt["decimal"], ".")
        when = datetime.strptime(row["sent_at"], fmt["datetime"]).replace(tzinfo=zone)
        row["sent_at"] = when.isoformat()
        if row["sender_birth_date"]:
            row["sender_birth_date"] = datetime.strptime(
                row["sender_birth_date"], fmt["date"]).date().isoformat()
        rows.append(row)
    return rows


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_the_same_bytes_and_another_seed_another_world(tmp_path: Path) -> None:
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate_world(tmp_path / name, senders=400, seed=seed)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a")["transfers.csv"] != _digest(tmp_path / "c")["transfers.csv"]


def test_default_buyers_are_half_a_percent_of_senders(tmp_path: Path) -> None:
    summary = generate_world(tmp_path / "w", senders=2000, months=6)
    assert (summary.senders, summary.buyers) == (2000, 10)
    roles = Counter(r["role"] for r in _rows(tmp_path / "w/truth/people.csv"))
    assert roles["buyer"] == 10
    assert summary.transfers == sum(summary.transfers_by_provider.values())


def test_a_world_without_senders_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="senders"):
        generate_world(tmp_path / "w", senders=0)


def test_canonical_file_has_the_spec_columns_and_reads_in_duckdb(
        world: Path, transfers: list[dict[str, str]]) -> None:
    header = (world / "transfers.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == CANONICAL
    n = duckdb.connect().execute("SELECT count(*) FROM read_csv(?)",
                                 [str(world / "transfers.csv")]).fetchone()
    assert n is not None and n[0] == len(transfers)
    assert {r["provider"] for r in transfers} == {"MoneyBridge", "SwiftPay"}
    assert all(float(r["amount"]) > 0 and len(r["currency"]) == 3 for r in transfers)


def test_truth_covers_every_transfer_once_and_ids_never_collide(
        transfers: list[dict[str, str]], operator: list[dict[str, str]],
        truth: dict[tuple[str, str], dict[str, str]], people: dict[str, dict[str, str]]) -> None:
    keys = [(r["provider"], r["transfer_id"]) for r in transfers + operator]
    assert len(keys) == len(set(keys)) == len(truth)
    assert set(keys) == set(truth)
    for row in truth.values():
        assert people[row["sender_person_id"]]["side"] == "sender"
        assert people[row["receiver_person_id"]]["side"] == "receiver"


def test_operator_export_is_windows_1252_with_french_layout(world: Path) -> None:
    data = (world / "operator_export.csv").read_bytes()
    assert data.startswith(b"MTCN;Date envoi;Montant;Devise;")
    assert any(b > 0x7F for b in data)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    first = data.decode("cp1252").splitlines()[1].split(";")
    assert "," in first[2] and "/" in first[1] and "+" not in first[1]


def test_operator_export_round_trips_through_its_mapping(
        operator: list[dict[str, str]], truth: dict[tuple[str, str], dict[str, str]],
        people: dict[str, dict[str, str]]) -> None:
    assert 0.12 < len(operator) / len(truth) < 0.25
    recognisable = 0
    for row in operator:
        fact = truth[(row["provider"], row["transfer_id"])]
        assert float(row["amount"]) > 0 and row["currency"] == "EUR"
        assert row["sender_country"] == "FR"
        assert row["sender_phone"] == "" or row["sender_phone"].startswith("0")
        name = people[fact["sender_person_id"]]["name"]
        written = strip_accents(row["sender_name"]).lower().replace("-", " ").split()
        recognisable += sorted(written) == sorted(
            strip_accents(name).lower().replace("-", " ").split())
    assert recognisable / len(operator) > 0.9      # a typo now and then, never another person


def test_times_carry_the_senders_offset_with_summer_time(
        transfers: list[dict[str, str]]) -> None:
    paris = ZoneInfo("Europe/Paris")
    offsets = set()
    for r in transfers:
        when = datetime.fromisoformat(r["sent_at"])
        assert when.tzinfo is not None and when <= datetime.fromisoformat("2026-10-01T00:00+02:00")
        if r["sender_country"] == "FR":
            assert when.utcoffset() == when.astimezone(paris).utcoffset()
            offsets.add(r["sent_at"][-6:])
    assert offsets == {"+01:00", "+02:00"}


def test_phones_are_valid_numbers_of_the_partys_country(
        transfers: list[dict[str, str]], operator: list[dict[str, str]]) -> None:
    checked = bad = 0
    for r in transfers[:3000] + operator[:1000]:
        for side in ("sender", "receiver"):
            raw = r[f"{side}_phone"]
            if raw:
                number = phonenumbers.parse(raw, r[f"{side}_country"])
                checked += 1
                bad += not phonenumbers.is_valid_number(number)
    assert checked > 1000 and bad == 0


def test_every_population_and_role_is_present(people: dict[str, dict[str, str]],
                                              truth: dict[tuple[str, str], dict[str, str]]
                                              ) -> None:
    roles = Counter(p["role"] for p in people.values())
    for role in ("buyer", "facilitator", "family", "remittance", "business", "romance",
                 "charity", "occasional", "relative", "freelancer", "partner",
                 "organisation", "recipient"):
        assert roles[role] > 0, role
    populations = Counter(t["population"] for t in truth.values())
    assert set(populations) == {"buyer", "family", "remittance", "business", "romance",
                                "charity", "occasional"}
    assert roles["occasional"] > roles["family"] > roles["buyer"]


def _by_population(transfers: list[dict[str, str]],
                   truth: dict[tuple[str, str], dict[str, str]]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for r in transfers:
        fact = truth[(r["provider"], r["transfer_id"])]
        out[fact["population"]].append(r | {"truth": fact})
    return out


def test_buyers_pay_small_sums_to_facilitators_a_heavy_tailed_number_of_times(
        transfers: list[dict[str, str]], operator: list[dict[str, str]],
        truth: dict[tuple[str, str], dict[str, str]], people: dict[str, dict[str, str]]
        ) -> None:
    rows = _by_population(transfers + operator, truth)["buyer"]
    per_buyer = Counter(r["truth"]["sender_person_id"] for r in rows)
    counts = sorted(per_buyer.values())
    assert counts[0] <= 3                           # some pay only once to three times
    assert counts[-1] >= 4 * counts[len(counts) // 2]      # a few prolific ones
    assert all(people[r["truth"]["receiver_person_id"]]["role"] == "facilitator" for r in rows)
    eur = [float(r["amount"]) for r in rows if r["currency"] == "EUR"]
    assert min(eur) >= 15 and max(eur) <= 150
    payers = defaultdict(set)
    for r in rows:
        payers[r["truth"]["receiver_person_id"]].add(r["truth"]["sender_person_id"])
    assert max(len(p) for p in payers.values()) >= 3      # one identity, several buyers
    households = {r["truth"]["household_id"] for r in rows}
    assert all(h.startswith("H") for h in households) and len(households) >= 2


def _night(r: dict[str, str]) -> bool:
    hour = int(r["sent_at"][11:13])
    return hour >= 22 or hour < 6


def test_no_single_artefact_separates_buyers(transfers: list[dict[str, str]],
                                             truth: dict[tuple[str, str], dict[str, str]]
                                             ) -> None:
    groups = _by_population(transfers, truth)
    share = {pop: {
        "night": sum(map(_night, rows)) / len(rows),
        "round": sum(float(r["amount"]) % 5 == 0 for r in rows) / len(rows),
        "swiftpay": sum(r["provider"] == "SwiftPay" for r in rows) / len(rows),
        "risk": sum(r["receiver_country"] in RISK for r in rows) / len(rows),
    } for pop, rows in groups.items()}
    assert share["buyer"]["night"] > share["business"]["night"]
    assert share["romance"]["night"] > 0.15 and share["family"]["night"] > 0.05
    assert share["family"]["round"] > 0.5 and share["charity"]["round"] > 0.5
    assert 0.2 < share["buyer"]["swiftpay"] < 0.6 and share["family"]["swiftpay"] > 0.2
    assert share["family"]["risk"] == 1.0 and share["remittance"]["risk"] == 0.0


def test_family_senders_share_a_surname_with_most_relatives_and_buyers_never(
        transfers: list[dict[str, str]], truth: dict[tuple[str, str], dict[str, str]],
        people: dict[str, dict[str, str]]) -> None:
    def related(r: dict) -> bool:
        sender = people[r["truth"]["sender_person_id"]]["name"].split()
        receiver = people[r["truth"]["receiver_person_id"]]["name"].split()
        return bool(set(sender[1:]) & set(receiver[1:]))

    groups = _by_population(transfers, truth)
    family = [related(r) for r in groups["family"]]
    assert 0.6 < sum(family) / len(family) < 0.98      # a wife keeps her maiden name
    assert not any(related(r) for r in groups["buyer"])


def test_charity_hub_receives_one_fixed_sum_from_many_sponsors(
        transfers: list[dict[str, str]], truth: dict[tuple[str, str], dict[str, str]]) -> None:
    rows = [r for r in _by_population(transfers, truth)["charity"] if r["currency"] == "EUR"]
    hub = Counter(r["truth"]["receiver_person_id"] for r in rows).most_common(1)[0][0]
    at_hub = [r for r in rows if r["truth"]["receiver_person_id"] == hub]
    assert len({r["truth"]["sender_person_id"] for r in at_hub}) >= 10
    modal = Counter(r["amount"] for r in at_hub).most_common(1)[0][1]
    assert modal / len(at_hub) > 0.6


def test_identity_noise_keeps_one_person_behind_many_spellings(
        transfers: list[dict[str, str]], truth: dict[tuple[str, str], dict[str, str]]) -> None:
    spellings: dict[str, set[str]] = defaultdict(set)
    for r in transfers:
        spellings[truth[(r["provider"], r["transfer_id"])]["sender_person_id"]].add(
            r["sender_name"])
    assert sum(len(s) > 1 for s in spellings.values()) > len(spellings) * 0.1
    upper = sum(r["sender_name"].isupper() for r in transfers) / len(transfers)
    assert 0.2 < upper < 0.8
    assert any(r["sender_birth_date"] == "" for r in transfers)
    assert any(r["sender_birth_date"] != "" for r in transfers)


def test_whole_file_parses_as_csv_with_no_stray_delimiters(world: Path) -> None:
    text = (world / "transfers.csv").read_text(encoding="utf-8")
    widths = {len(row) for row in csv.reader(io.StringIO(text))}
    assert widths == {len(CANONICAL)}


def test_wall_clock_times_get_the_offset_in_force_around_the_clock_changes() -> None:
    import numpy as np

    from filature.synth.clock import Zones, offset_text, window

    first, last = window(24)
    zones = Zones.build(("Europe/Paris", "Australia/Sydney"), first, last)

    def local(text: str) -> int:
        return int(datetime.fromisoformat(text + "+00:00").timestamp())

    cases = [("2025-03-30T01:30:00", 0, "+01:00"), ("2025-03-30T03:30:00", 0, "+02:00"),
             ("2025-10-26T03:30:00", 0, "+01:00"), ("2025-07-14T23:59:00", 0, "+02:00"),
             ("2025-01-15T12:00:00", 1, "+11:00"), ("2025-07-15T12:00:00", 1, "+10:00")]
    utc, offset = zones.place(np.array([local(t) for t, _, _ in cases]),
                              np.array([z for _, z, _ in cases]))
    assert [offset_text(int(o)) for o in offset] == [o for _, _, o in cases]
    for (text, z, _), u, o in zip(cases, utc, offset, strict=True):
        zone = ZoneInfo(zones.names[z])
        instant = datetime.fromtimestamp(int(u), tz=zone)
        assert int(instant.utcoffset().total_seconds()) == o
        assert instant.replace(tzinfo=None).isoformat() == text


@pytest.mark.parametrize(("senders", "buyers", "months"), [(1, None, 1), (60, 0, 2), (80, 80, 3)])
def test_tiny_and_lopsided_worlds_are_still_written(tmp_path: Path, senders: int,
                                                    buyers: int | None, months: int) -> None:
    steps: list[float] = []
    summary = generate_world(tmp_path / "w", senders=senders, buyers=buyers, months=months,
                             progress=lambda stage, fraction: steps.append(fraction))
    rows = _rows(tmp_path / "w/transfers.csv") + _rows(
        tmp_path / "w/operator_export.csv", ";", "cp1252")
    assert len(rows) == summary.transfers == len(_rows(tmp_path / "w/truth/transfers.csv"))
    assert steps == sorted(steps) and steps[-1] == 1.0
