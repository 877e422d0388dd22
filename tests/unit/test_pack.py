"""The typology pack: loads, cites its sources, refuses what it cannot safely evaluate."""

from pathlib import Path

import pytest
import yaml

from filature.errors import InvalidData
from filature.indicators.pack import default_pack_dir, load_pack


def test_shipped_pack_loads_with_labels_and_sources_in_both_languages():
    pack = load_pack()
    assert pack.for_side("sender") and pack.for_side("receiver")
    for indicator in pack.indicators:
        assert indicator.label_en and indicator.label_fr and indicator.source
        assert indicator.label_en != indicator.label_fr
    assert len(pack.sha256) == 64


def _copy_pack(tmp_path: Path) -> Path:
    target = tmp_path / "pack"
    for src in default_pack_dir().rglob("*.yaml"):
        dst = target / src.relative_to(default_pack_dir())
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(src.read_bytes())
    return target


@pytest.mark.parametrize("measure, message", [
    ("n_risk_tx + shoe_size", "unknown feature 'shoe_size'"),
    ("(SELECT 1)", "subqueries are not allowed"),
    ("read_csv('x')", "function"),
])
def test_measures_may_only_name_known_features(tmp_path, measure, message):
    pack_dir = _copy_pack(tmp_path)
    path = pack_dir / "sender" / "s01_low_value_risk_corridor.yaml"
    document = yaml.safe_load(path.read_text())
    document["measure"] = measure
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    with pytest.raises(InvalidData) as err:
        load_pack(pack_dir)
    assert message in str(err.value)


def test_a_changed_weight_changes_the_fingerprint(tmp_path):
    pack_dir = _copy_pack(tmp_path)
    path = pack_dir / "sender" / "s05_night_transfers.yaml"
    path.write_text(path.read_text().replace("weight: 1.5", "weight: 1.6"))
    assert load_pack(pack_dir).sha256 != load_pack().sha256


def test_a_falling_ramp_is_refused(tmp_path):
    pack_dir = _copy_pack(tmp_path)
    path = pack_dir / "sender" / "s05_night_transfers.yaml"
    document = yaml.safe_load(path.read_text())
    document["ramp"] = [0.7, 0.2]
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    with pytest.raises(InvalidData, match="ramp"):
        load_pack(pack_dir)
