"""The city profile, approximate areas and the import of official boundaries."""

from __future__ import annotations

import json

import pyproj
import pytest
import shapely
from shapely.geometry import box, mapping, shape
from sqlalchemy import select

from gelsencloud.core.city import (
    CityProfileError,
    approximate_geometries,
    area_km2,
    import_areas,
    load_profile,
    sync_areas,
)
from gelsencloud.core.models import CityArea
from gelsencloud.core.principal import SYSTEM


def test_gelsenkirchen_profile():
    city = load_profile("gelsenkirchen")
    assert city.ags == "05513000" and city.name == "Gelsenkirchen"
    assert len(city.districts) == 5 and len(city.quarters) == 18
    assert {d.name for d in city.districts} == {
        "Gelsenkirchen-Mitte",
        "Gelsenkirchen-Nord",
        "Gelsenkirchen-West",
        "Gelsenkirchen-Ost",
        "Gelsenkirchen-Süd",
    }
    assert {"Buer", "Horst", "Ückendorf", "Resser Mark", "Bulmke-Hüllen", "Heßler"} <= {
        q.name for q in city.quarters
    }


def test_approximate_geometry_tiles_the_city():
    city = load_profile("gelsenkirchen")
    geoms = approximate_geometries(city)
    quarters = [geoms[q.code] for q in city.quarters]
    total = sum(area_km2(g) for g in quarters)
    assert 95 < total < 115  # Gelsenkirchen covers about 105 km²
    for q in city.quarters:
        assert geoms[q.code].contains(shape({"type": "Point", "coordinates": q.seed}))
    for a in range(len(quarters)):
        for b in range(a + 1, len(quarters)):
            assert quarters[a].intersection(quarters[b]).area < 1e-9


def test_another_city_from_one_file(tmp_path):
    profile = tmp_path / "musterstadt.toml"
    profile.write_text(
        'name = "Musterstadt"\nags = "05999000"\ncentre = [7.0, 51.0]\nbbox = [6.9, 50.9, 7.1, 51.1]\n'
        "outline = [[6.9, 50.9], [7.1, 50.9], [7.1, 51.1], [6.9, 51.1], [6.9, 50.9]]\n"
        '[[districts]]\ncode = "a"\nname = "A"\nquarters = [{ code = "a1", name = "A1", seed = [6.95, 51.0] },'
        ' { code = "a2", name = "A2", seed = [7.05, 51.0] }]\n',
        encoding="utf-8",
    )
    city = load_profile(str(profile))
    assert city.name == "Musterstadt" and [q.name for q in city.quarters] == ["A1", "A2"]
    with pytest.raises(CityProfileError, match="AGS must have 8 digits"):
        bad = tmp_path / "bad.toml"
        bad.write_text(profile.read_text().replace("05999000", "123"), encoding="utf-8")
        load_profile(str(bad))
    with pytest.raises(CityProfileError, match="lacks the key 'outline'"):
        missing = tmp_path / "missing.toml"
        missing.write_text(
            "\n".join(line for line in profile.read_text().splitlines() if not line.startswith("outline")),
            encoding="utf-8",
        )
        load_profile(str(missing))


@pytest.mark.usefixtures("backend")
def test_import_official_boundaries_in_utm(db, tmp_path):
    city = load_profile("gelsenkirchen")
    with db.transaction(SYSTEM) as session:
        assert sync_areas(session, city) == 23
        assert sync_areas(session, city) == 0  # idempotent
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True).transform
    buer_wgs84 = box(7.03, 51.56, 7.08, 51.59)
    hassel_wgs84 = box(7.03, 51.59, 7.08, 51.62)
    scholven_wgs84 = box(6.99, 51.59, 7.03, 51.62)
    features = [
        {
            "type": "Feature",
            "properties": {"STT_NAME": name},
            "geometry": mapping(shapely.transform(geom, to_utm, interleaved=False)),
        }
        for name, geom in (("BUER", buer_wgs84), ("Hassel", hassel_wgs84), ("Scholven", scholven_wgs84))
    ]
    path = tmp_path / "stadtteile.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    with db.transaction(SYSTEM) as session:
        updated = import_areas(session, path, level="stadtteil", name_property="STT_NAME", crs="EPSG:25832")
    assert sorted(updated) == ["buer", "hassel", "scholven"]
    with db.transaction(SYSTEM) as session:
        areas = {a.code: a for a in session.scalars(select(CityArea))}
    buer = shape(areas["buer"].geometry)
    assert not areas["buer"].approximate and "EPSG:25832" in areas["buer"].geometry_source
    assert buer.symmetric_difference(buer_wgs84).area < 1e-8  # back in lon/lat, same place
    assert not areas["nord"].approximate  # all quarters of Nord imported: district rebuilt
    expected = buer_wgs84.area + hassel_wgs84.area + scholven_wgs84.area
    assert shape(areas["nord"].geometry).area == pytest.approx(expected, rel=1e-6)
    assert areas["mitte"].approximate


def test_import_reports_unknown_names_and_changes_nothing(db, tmp_path):
    with db.transaction(SYSTEM) as session:
        sync_areas(session, load_profile("gelsenkirchen"))
    path = tmp_path / "x.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "Atlantis"},
                        "geometry": mapping(box(7, 51, 7.1, 51.1)),
                    }
                ],
            }
        )
    )
    with pytest.raises(CityProfileError, match="Atlantis"):
        with db.transaction(SYSTEM) as session:
            import_areas(session, path, level="stadtteil", name_property="name")
    with pytest.raises(CityProfileError, match="FeatureCollection"):
        path.write_text('{"type": "Feature"}')
        with db.transaction(SYSTEM) as session:
            import_areas(session, path, level="stadtteil", name_property="name")


def test_areas_api_serves_geojson(client, db):
    with db.transaction(SYSTEM) as session:
        sync_areas(session, load_profile("gelsenkirchen"))
    response = client.get("/api/v1/city/areas?level=stadtteil")
    assert response.status_code == 200 and response.headers["content-type"] == "application/geo+json"
    features = response.json()["features"]
    assert len(features) == 18 and all(f["properties"]["approximate"] for f in features)
    assert client.get("/api/v1/city/areas?level=land").status_code == 400
    page = client.get("/stadtteile")
    assert "<svg" in page.text and "Resser Mark" in page.text and "ungefähre Demo-Geometrie" in page.text
    assert client.get("/api/v1/city").json()["ags"] == "05513000"
