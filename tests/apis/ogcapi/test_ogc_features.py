"""OGC API – Features at /ogc, proven with owslib's independent client over real HTTP."""

from __future__ import annotations

import pytest
from owslib.ogcapi.features import Features

from helpers import auth

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG25832 = "http://www.opengis.net/def/crs/EPSG/0/25832"


def _trees_collection(client) -> str:
    ids = [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
    return next(i for i in ids if i.startswith("demo-strassenbaeume-"))


@pytest.mark.usefixtures("backend")
def test_owslib_reads_landing_conformance_collections_items(served):
    api = Features(served + "/ogc")
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in api.conformance()["conformsTo"]
    collections = api.collections()["collections"]
    ids = [c["id"] for c in collections]
    assert ids[:2] == ["stadtbezirke", "stadtteile"]
    trees = next(i for i in ids if i.startswith("demo-strassenbaeume-"))
    assert not any("sanierungen" in i for i in ids)
    chargers = next(i for i in ids if i.startswith("demo-ladesaeulen"))  # lat/lon CSV becomes geo
    assert chargers

    quarters = api.collection_items("stadtteile", limit=100)
    assert quarters["numberMatched"] == 18 and quarters["numberReturned"] == 18
    assert {f["properties"]["name"] for f in quarters["features"]} >= {"Altstadt", "Buer", "Horst"}
    altstadt = api.collection_item("stadtteile", "altstadt")
    assert altstadt["properties"]["parent_code"] == "mitte" and altstadt["geometry"]["type"] in (
        "Polygon",
        "MultiPolygon",
    )

    page = api.collection_items(trees, limit=50)
    assert page["numberMatched"] == 120 and page["numberReturned"] == 50
    assert any(link["rel"] == "next" for link in page["links"])
    linden = api.collection_items(trees, limit=200, baumart="Linde")
    assert linden["numberMatched"] == sum(
        1 for f in api.collection_items(trees, limit=200)["features"] if f["properties"]["baumart"] == "Linde"
    )
    assert api.collection(trees)["id"] == trees
    assert "baumart" in api.collection_queryables(trees)["properties"]


@pytest.mark.usefixtures("backend")
def test_bbox_filters_features(client, catalog):
    trees = _trees_collection(client)
    every = client.get(f"/ogc/collections/{trees}/items", params={"limit": 1000}).json()["features"]
    inside = [
        f
        for f in every
        if f["geometry"]["coordinates"][0] < 7.0857 and f["geometry"]["coordinates"][1] < 51.5177
    ]
    box = client.get(
        f"/ogc/collections/{trees}/items", params={"limit": 1000, "bbox": "6.9,51.4,7.0857,51.5177"}
    ).json()
    assert box["numberMatched"] == len(inside) > 0
    # the same box given in EPSG:25832
    import pyproj

    to_utm = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:25832", always_xy=True)
    minx, miny = to_utm.transform(6.9, 51.4)
    maxx, maxy = to_utm.transform(7.0857, 51.5177)
    utm_box = client.get(
        f"/ogc/collections/{trees}/items",
        params={"limit": 1000, "bbox": f"{minx},{miny},{maxx},{maxy}", "bbox-crs": EPSG25832},
    ).json()
    assert abs(utm_box["numberMatched"] - len(inside)) <= 2  # a projected box is not exactly a lon/lat box


def test_crs_25832_output(client, catalog):
    response = client.get("/ogc/collections/stadtteile/items/altstadt", params={"crs": EPSG25832})
    assert response.headers["content-crs"] == f"<{EPSG25832}>"
    x, y = response.json()["geometry"]["coordinates"][0][0]
    assert 350_000 < x < 380_000 and 5_700_000 < y < 5_730_000  # UTM zone 32 around Gelsenkirchen
    default = client.get("/ogc/collections/stadtteile/items/altstadt")
    assert default.headers["content-crs"] == f"<{CRS84}>"
    assert client.get("/ogc/collections/stadtteile/items", params={"crs": "EPSG:3857"}).status_code == 400


def test_cql2_text_filters(client, catalog):
    trees = _trees_collection(client)
    url = f"/ogc/collections/{trees}/items"
    every = client.get(url, params={"limit": 1000}).json()["features"]
    tall_linden = [
        f for f in every if f["properties"]["baumart"] == "Linde" and f["properties"]["hoehe_m"] > 15
    ]
    result = client.get(
        url,
        params={"limit": 1000, "filter": "baumart = 'Linde' AND hoehe_m > 15", "filter-lang": "cql2-text"},
    )
    assert result.json()["numberMatched"] == len(tall_linden)
    old = client.get(
        url, params={"limit": 1000, "filter": "pflanzjahr BETWEEN 1950 AND 1970 OR baumart IN ('Eiche')"}
    )
    expected = [
        f
        for f in every
        if 1950 <= f["properties"]["pflanzjahr"] <= 1970 or f["properties"]["baumart"] == "Eiche"
    ]
    assert old.json()["numberMatched"] == len(expected)
    like = client.get(url, params={"limit": 1000, "filter": "NOT (baumart LIKE 'Ka%')"}).json()
    assert like["numberMatched"] == sum(1 for f in every if not f["properties"]["baumart"].startswith("Ka"))
    bad = client.get(url, params={"filter": "baumart ==="})
    assert bad.status_code == 400 and bad.json()["code"] == "InvalidParameterValue"
    assert client.get(url, params={"filter": "unknown = 1"}).status_code == 400


@pytest.mark.usefixtures("backend")
def test_datetime_on_a_time_property(client, db, catalog):
    key = catalog.keys["city.editor"]
    body = {"title": "Demo: Messpunkte", "license_id": "dl-zero-de/2.0"}
    ds = client.post("/api/v1/opendata/datasets", json=body, headers=auth(key)).json()
    csv = "datum,lat,lon,wert\n2024-01-10,51.5,7.1,1\n2024-02-10,51.5,7.1,2\n2024-03-10,51.5,7.1,3\n"
    dist = client.post(
        f"/api/v1/opendata/datasets/{ds['name']}/distributions",
        files={"file": ("m.csv", csv.encode())},
        headers=auth(key),
    ).json()
    url = f"/ogc/collections/{ds['name']}-{dist['id']}/items"
    assert client.get(url, params={"datetime": "2024-02-01T00:00:00Z/.."}).json()["numberMatched"] == 2
    assert client.get(url, params={"datetime": "../2024-01-31T00:00:00Z"}).json()["numberMatched"] == 1
    assert client.get(url, params={"datetime": "2024-03-10"}).json()["numberMatched"] == 1
    assert client.get(url, params={"datetime": "gestern"}).status_code == 400


def test_html_and_errors(client, catalog):
    page = client.get("/ogc/collections/stadtteile/items", params={"f": "html", "limit": 5})
    assert page.status_code == 200 and "<table" in page.text and "Altstadt" in page.text
    assert client.get("/ogc", headers={"accept": "text/html"}).headers["content-type"].startswith("text/html")
    missing = client.get("/ogc/collections/nope/items")
    assert missing.status_code == 404 and missing.json()["code"] == "NotFound"
    assert client.get("/ogc/collections/stadtteile/items/nope").status_code == 404
    for limit in ("0", "10001", "x"):
        assert client.get("/ogc/collections/stadtteile/items", params={"limit": limit}).status_code == 400


@pytest.mark.usefixtures("catalog")
def test_internal_geo_data_is_not_published(client, world):
    key = world.keys["city.editor"]
    body = {"title": "Demo: interne Punkte", "license_id": "dl-zero-de/2.0", "classification": "internal"}
    ds = client.post("/api/v1/opendata/datasets", json=body, headers=auth(key)).json()
    dist = client.post(
        f"/api/v1/opendata/datasets/{ds['name']}/distributions",
        files={"file": ("p.csv", b"lat,lon\n51.5,7.1\n")},
        headers=auth(key),
    ).json()
    assert client.get(f"/ogc/collections/{ds['name']}-{dist['id']}/items").status_code == 404
    assert (
        client.get(f"/ogc/collections/{ds['name']}-{dist['id']}/items", headers=auth(key)).status_code == 404
    )
