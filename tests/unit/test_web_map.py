"""The payout map: city coordinates from the shipped gazetteer, the map's data on the target
and facilitator pages, and every city still in the table."""

from __future__ import annotations

import csv
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from filature.synth.places import HOTSPOTS
from filature.web import gazetteer
from filature.web.services.parties import placed
from tests.cases_support import WebClient
from tests.unit.test_web import _first_buyer, _ids, _store

STATIC = Path(gazetteer.__file__).resolve().parent / "static"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _store(tmp_path_factory.mktemp("web-map") / "f.duckdb")


@pytest.fixture
def client(store: Path, web_client: WebClient) -> Iterator[TestClient]:
    with web_client(store) as c:
        yield c


def test_the_shipped_gazetteer_is_sourced_and_well_formed() -> None:
    lines = gazetteer.CITIES.read_text(encoding="utf-8").splitlines()
    assert "GeoNames" in lines[0] and "CC BY 4.0" in lines[0]
    rows = list(csv.DictReader(line for line in lines if not line.startswith("#")))
    keys = [(r["country"], gazetteer.key(r["city"])) for r in rows]
    assert len(keys) == len(set(keys)), "one place per city and country"
    for r in rows:
        assert -90 <= float(r["lat"]) <= 90 and -180 <= float(r["lon"]) <= 180, r


def test_hotspot_cities_are_placed_in_the_philippines() -> None:
    """Most of typology.md's hotspots are on the map, each inside the Philippines' box."""
    found = {city: gazetteer.locate(city, "PH") for city in HOTSPOTS}
    assert sum(v is not None for v in found.values()) >= len(HOTSPOTS) - 1, found
    for city, where in found.items():
        if where is not None:
            lat, lon = where
            assert 4.5 <= lat <= 21.5 and 116 <= lon <= 127, (city, where)
    lat, lon = gazetteer.locate("Cordova", "PH") or (0, 0)
    assert 10.1 < lat < 10.4 and 123.8 < lon < 124.1  # Cordova, Cebu: not the Iloilo one


def test_lookup_ignores_case_and_accents_and_knows_no_unknown_city() -> None:
    assert gazetteer.locate("cebu city", "ph") == gazetteer.locate("Cebu City", "PH")
    assert gazetteer.locate("Saint-Etienne", "FR") == gazetteer.locate("Saint-Étienne", "FR")
    assert gazetteer.locate("Nowhere Town", "PH") is None
    assert gazetteer.locate(None, "PH") is None and gazetteer.locate("Manila", None) is None


def test_payout_cities_keep_the_unknown_ones_without_coordinates() -> None:
    cities = placed([{"city": "Nowhere Town", "country": "PH", "transfers": 5, "total_eur": 50.0},
                     {"city": "Cebu City", "country": "PH", "transfers": 9, "total_eur": 90.0},
                     {"city": None, "country": "PH", "transfers": 1, "total_eur": 10.0}])
    assert [c["place"] for c in cities] == ["Cebu City, PH", "Nowhere Town, PH", "?, PH"]
    assert cities[0]["lat"] is not None
    assert cities[1]["lat"] is None and cities[2]["lat"] is None


def _map_data(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="city-map-data">(.*?)</script>',
                      page, re.S)
    assert found, "no map data on the page"
    return dict(json.loads(html.unescape(found.group(1))))


def test_target_and_facilitator_pages_carry_the_map_and_its_libraries(
        client: TestClient) -> None:
    target = client.get(f"/targets/{_first_buyer(client)}").text
    data = _map_data(target)
    assert data["points"] and data["points"][0]["city"] == "Cebu City"
    assert data["points"][0]["transfers"] >= 1 and "lat" in data["points"][0]
    assert 'id="city-map"' in target and "/static/map.js" in target
    assert "Cebu City, PH" in html.unescape(target)  # the table stays
    receiver = _ids(target, "facilitators")[0]
    facilitator = client.get(f"/facilitators/{receiver}").text
    assert _map_data(facilitator)["points"][0]["city"] == "Cebu City"
    assert "/static/vendor/d3-geo.min.js" in facilitator


def test_the_map_fetches_nothing_but_this_app() -> None:
    """Outlines come from /static/vendor (world-atlas, copied at set-up), never a tile server."""
    script = (STATIC / "map.js").read_text(encoding="utf-8")
    assert "http://" not in script.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in script
    template = (Path(gazetteer.__file__).parent / "templates" / "partials" /
                "city_map.html").read_text(encoding="utf-8")
    assert 'data-outlines="/static/vendor/countries-50m.json"' in template
