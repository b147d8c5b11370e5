"""Uploads (CSV, JSON, GeoJSON, XLSX) and the Datasette-like data API with streaming exports."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import Workbook

from helpers import auth

API = "/api/v1/opendata"


def _dataset(client, key, **extra):
    body = {"title": "Demo: Testdaten", "description": "synthetisch", "license_id": "dl-zero-de/2.0", **extra}
    response = client.post(f"{API}/datasets", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return response.json()


def _upload(client, key, name, filename, content, **form):
    response = client.post(
        f"{API}/datasets/{name}/distributions",
        files={"file": (filename, content)},
        data=form,
        headers=auth(key),
    )
    assert response.status_code == 201, response.text
    return response.json()


CSV = "stadtteil;jahr;einwohner;anteil\nAltstadt;2023;12000;1,5\nBuer;2023;30000;2,25\nHorst;2023;;0,5\nAltstadt;2024;12500;1,75\n"


@pytest.mark.usefixtures("backend")
def test_upload_csv_and_query_rows(client, world):
    key = world.keys["city.editor"]
    ds = _dataset(client, key)
    dist = _upload(client, key, ds["name"], "einwohner.csv", CSV.encode())
    assert dist["row_count"] == 4 and dist["tabular"] and dist["byte_size"] == len(CSV.encode())
    import hashlib

    assert dist["checksum"] == hashlib.sha256(CSV.encode()).hexdigest()
    types = {c["name"]: c["type"] for c in dist["columns"]}
    assert types == {"stadtteil": "string", "jahr": "integer", "einwohner": "integer", "anteil": "number"}

    rows_url = f"{API}/distributions/{dist['id']}/rows"
    all_rows = client.get(rows_url).json()
    assert all_rows["ok"] and all_rows["count"] == 4
    assert all_rows["rows"][1] == {
        "rowid": 2,
        "stadtteil": "Buer",
        "jahr": 2023,
        "einwohner": 30000,
        "anteil": 2.25,
    }
    assert client.get(rows_url, params={"stadtteil": "Altstadt"}).json()["count"] == 2
    assert client.get(rows_url, params={"einwohner__gt": "12000"}).json()["count"] == 2
    assert client.get(rows_url, params={"einwohner__isnull": "1"}).json()["rows"][0]["stadtteil"] == "Horst"
    assert client.get(rows_url, params={"stadtteil__in": "Buer,Horst"}).json()["count"] == 2
    assert client.get(rows_url, params={"stadtteil__startswith": "alt"}).json()["count"] == 2
    assert client.get(rows_url, params={"_search": "buer 2023"}).json()["count"] == 1
    assert client.get(rows_url, params={"_search": "%"}).json()["count"] == 0  # never a LIKE pattern
    assert client.get(rows_url, params={"stadtteil__contains": "_"}).json()["count"] == 0
    desc = client.get(rows_url, params={"_sort_desc": "anteil"}).json()["rows"]
    assert [r["anteil"] for r in desc] == [2.25, 1.75, 1.5, 0.5]
    facets = client.get(rows_url, params={"_facet": "stadtteil"}).json()["facet_results"]["stadtteil"]
    assert facets[0] == {"value": "Altstadt", "count": 2}
    assert client.get(rows_url, params={"nope": "1"}).status_code == 400
    assert client.get(rows_url, params={"einwohner__gt": "viele"}).status_code == 400
    assert client.get(rows_url, params={"stadtteil__regex": "x"}).status_code == 400


@pytest.mark.usefixtures("backend")
def test_keyset_pagination_walks_every_row_once(client, world):
    key = world.keys["city.editor"]
    ds = _dataset(client, key)
    lines = ["nr,wert"] + [f"{i},{(i * 7) % 13}" for i in range(1, 251)]
    dist = _upload(client, key, ds["name"], "werte.csv", "\n".join(lines).encode())
    for params in ({}, {"_sort": "wert"}, {"_sort_desc": "wert"}):
        seen, url, pages = [], f"{API}/distributions/{dist['id']}/rows", 0
        query = {**params, "_size": "40"}
        while True:
            response = client.get(url, params=query)
            page = response.json()
            seen += [r["nr"] for r in page["rows"]]
            pages += 1
            if not page["next"]:
                break
            assert 'rel="next"' in response.headers["link"]
            query = {**params, "_size": "40", "_next": page["next"]}
        assert sorted(seen) == list(range(1, 251)) and len(seen) == 250 and pages == 7
        if params:
            values = [(n * 7) % 13 for n in seen]
            assert values == sorted(values, reverse="_sort_desc" in params)
    assert client.get(url, params={"_next": "!!"}).status_code == 400


@pytest.mark.usefixtures("backend")
def test_exports_stream_whole_tables(client, world):
    key = world.keys["city.editor"]
    ds = _dataset(client, key)
    lines = ["ort,lat,lon,anzahl"] + [f"Ort {i},51.5{i % 10},7.0{i % 10},{i}" for i in range(1500)]
    dist = _upload(client, key, ds["name"], "orte.csv", "\n".join(lines).encode())
    assert dist["geo"] is True  # lat/lon columns become point geometries
    base = f"{API}/distributions/{dist['id']}"
    with client.stream("GET", f"{base}/export.csv") as response:
        assert response.headers["content-type"].startswith("text/csv")
        text = "".join(response.iter_text())
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert len(parsed) == 1500 and parsed[-1]["anzahl"] == "1499"
    as_json = client.get(f"{base}/export.json").json()
    assert len(as_json) == 1500 and as_json[0]["ort"] == "Ort 0"
    geo = client.get(f"{base}/export.geojson", params={"anzahl__lt": "10"}).json()
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 10
    assert geo["features"][3]["geometry"] == {"type": "Point", "coordinates": [7.03, 51.53]}
    original = client.get(f"{base}/file")
    assert original.content == "\n".join(lines).encode()
    assert client.get(f"{base}/export.xml").status_code == 404


def test_json_geojson_and_xlsx_uploads(client, world):
    key = world.keys["city.editor"]
    ds = _dataset(client, key)
    js = _upload(
        client,
        key,
        ds["name"],
        "a.json",
        json.dumps([{"a": 1, "b": "x"}, {"a": 2, "b": "y", "c": [1]}]).encode(),
    )
    assert js["row_count"] == 2 and {c["name"] for c in js["columns"]} == {"a", "b", "c"}
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [7.1, 51.5]},
                "properties": {"name": "Baum"},
            }
        ],
    }
    gj = _upload(client, key, ds["name"], "b.geojson", json.dumps(fc).encode())
    assert gj["geo"] and gj["format"] == "GEOJSON" and gj["media_type"] == "application/geo+json"
    workbook = Workbook()
    workbook.active.append(["schule", "schueler"])
    workbook.active.append(["Demo-Schule", 420])
    buffer = io.BytesIO()
    workbook.save(buffer)
    xl = _upload(client, key, ds["name"], "c.xlsx", buffer.getvalue())
    assert xl["format"] == "XLSX" and xl["row_count"] == 1
    rows = client.get(f"{API}/distributions/{xl['id']}/rows").json()["rows"]
    assert rows == [{"rowid": 1, "schule": "Demo-Schule", "schueler": 420}]
    bad = client.post(
        f"{API}/datasets/{ds['name']}/distributions",
        files={"file": ("x.json", b"{broken")},
        headers=auth(key),
    )
    assert bad.status_code == 400
    unknown = client.post(
        f"{API}/datasets/{ds['name']}/distributions", files={"file": ("x.exe", b"MZ")}, headers=auth(key)
    )
    assert unknown.status_code == 400


def test_writes_need_an_editor_of_the_owning_tenant(client, world):
    ds = _dataset(client, world.keys["city.editor"], classification="internal")
    assert client.post(f"{API}/datasets", json={"title": "x"}).status_code == 401
    assert (
        client.post(
            f"{API}/datasets",
            json={"title": "Demo: x", "license_id": "dl-zero-de/2.0"},
            headers=auth(world.keys["city.viewer"]),
        ).status_code
        == 403
    )
    foreign = client.post(
        f"{API}/datasets/{ds['name']}/distributions",
        files={"file": ("a.csv", b"a\n1\n")},
        headers=auth(world.keys["net.admin"]),
    )
    assert foreign.status_code == 404  # an internal dataset of another tenant does not exist for them
    public = _dataset(client, world.keys["city.editor"])
    foreign = client.post(
        f"{API}/datasets/{public['name']}/distributions",
        files={"file": ("a.csv", b"a\n1\n")},
        headers=auth(world.keys["net.admin"]),
    )
    assert foreign.status_code == 403
    assert client.get(f"{API}/datasets/{ds['name']}").status_code == 404
    assert (
        client.get(f"{API}/datasets/{ds['name']}", headers=auth(world.keys["city.viewer"])).status_code == 200
    )


@pytest.mark.usefixtures("backend")
def test_metadata_validation_and_classification_follow(client, world):
    key = world.keys["city.editor"]
    assert (
        client.post(
            f"{API}/datasets",
            json={"title": "x", "themes": ["SPORT"], "license_id": "dl-zero-de/2.0"},
            headers=auth(key),
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"{API}/datasets", json={"title": "x", "license_id": "mit"}, headers=auth(key)
        ).status_code
        == 400
    )
    # licences requiring attribution need the attribution text (Konventionenhandbuch K31)
    assert (
        client.post(
            f"{API}/datasets", json={"title": "x", "license_id": "dl-by-de/2.0"}, headers=auth(key)
        ).status_code
        == 400
    )
    ds = _dataset(client, key)
    dist = _upload(client, key, ds["name"], "a.csv", b"a\n1\n2\n")
    body = {**{k: ds[k] for k in ("title", "description", "license_id")}, "classification": "internal"}
    assert client.put(f"{API}/datasets/{ds['name']}", json=body, headers=auth(key)).status_code == 200
    assert client.get(f"{API}/distributions/{dist['id']}/rows").status_code == 404  # rows follow the dataset
    assert client.get(f"{API}/distributions/{dist['id']}/rows", headers=auth(key)).json()["count"] == 2
    assert client.delete(f"{API}/datasets/{ds['name']}", headers=auth(key)).status_code == 204
    assert client.get(f"{API}/distributions/{dist['id']}", headers=auth(key)).status_code == 404
