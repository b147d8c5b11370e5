"""Typed per-distribution tables: bounded counts, NULL-safe keyset pages, versions, dropping, the access gate."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from gelsencloud.apps.opendata import live, service, tables
from gelsencloud.apps.opendata.models import Distribution
from gelsencloud.core.classification import PermissionDenied
from gelsencloud.core.principal import ANONYMOUS, SYSTEM
from helpers import auth

API = "/api/v1/opendata"


def _upload(client, key, csv_text: str, classification: str = "public") -> dict:
    body = {
        "title": "Demo: Typen",
        "description": "synthetisch",
        "license_id": "dl-zero-de/2.0",
        "classification": classification,
    }
    ds = client.post(f"{API}/datasets", json=body, headers=auth(key))
    assert ds.status_code == 201, ds.text
    response = client.post(
        f"{API}/datasets/{ds.json()['name']}/distributions",
        files={"file": ("t.csv", csv_text.encode())},
        headers=auth(key),
    )
    assert response.status_code == 201, response.text
    return response.json()


def _typed_tables(db, dist_id: int) -> set[str]:
    return {n for n in inspect(db.engine).get_table_names() if n.startswith(f"odt_{dist_id}_v")}


@pytest.mark.usefixtures("backend")
def test_bounded_count_exact_on_request_and_sort_walks_the_index(client, world, monkeypatch):
    lines = ["nr,gruppe,wert"] + [f"{i},{'a' if i % 3 else 'b'},{(i * 37) % 101}" for i in range(1, 301)]
    dist = _upload(client, world.keys["city.editor"], "\n".join(lines))
    monkeypatch.setattr(tables, "COUNT_LIMIT", 50)
    url = f"{API}/distributions/{dist['id']}/rows"
    page = client.get(url, params={"gruppe": "a", "_sort_desc": "wert", "_size": "30"}).json()
    assert page["count"] is None and page["count_exact"] is False and page["count_min"] == 51
    assert client.get(url, params={"gruppe": "a", "_count": "exact"}).json()["count"] == 200
    small = client.get(url, params={"gruppe": "b"}).json()
    assert small["count"] is None and small["count_min"] == 51  # 100 matches > 50: bounded
    assert client.get(url, params={"nr__lte": "40"}).json()["count"] == 40
    assert client.get(url).json()["count"] == 300  # unfiltered: the stored row count, always exact
    assert client.get(url, params={"_count": "maybe"}).status_code in (400, 422)
    # with more matches than the limit SQLite walks the sort index; the order must not change
    seen, params = [], {"gruppe": "a", "_sort_desc": "wert", "_size": "30"}
    while True:
        page = client.get(url, params=params).json()
        seen += [(r["wert"], r["nr"]) for r in page["rows"]]
        if not page["next"]:
            break
        params = {**params, "_next": page["next"]}
    expected = sorted(((i * 37) % 101, i) for i in range(1, 301) if i % 3)
    assert seen == list(reversed(expected))


@pytest.mark.usefixtures("backend")
def test_keyset_pages_with_nulls_in_the_sort_column(client, world):
    lines = ["nr,wert"] + [f"{i},{'' if i % 4 == 0 else i % 7}" for i in range(1, 61)]
    dist = _upload(client, world.keys["city.editor"], "\n".join(lines))
    url = f"{API}/distributions/{dist['id']}/rows"
    for desc in (False, True):
        key = "_sort_desc" if desc else "_sort"
        seen, params = [], {key: "wert", "_size": "7"}
        while True:
            page = client.get(url, params=params).json()
            seen += [(r["wert"], r["nr"]) for r in page["rows"]]
            if not page["next"]:
                break
            params = {key: "wert", "_size": "7", "_next": page["next"]}
        # NULL sorts as the smallest value on both backends
        expected = [((None if i % 4 == 0 else i % 7), i) for i in range(1, 61)]
        expected.sort(key=lambda vn: (vn[0] is not None, vn[0] or 0, vn[1]), reverse=desc)
        assert seen == expected
    # a token made for another sort (or by hand) is a 400, never a database error
    token = tables._encode(["sieben", 3])
    assert client.get(url, params={"_sort": "wert", "_next": token}).status_code == 400
    assert client.get(url, params={"_next": tables._encode([None, "x"])}).status_code == 400


@pytest.mark.usefixtures("backend")
def test_boolean_columns_filter_and_export(client, world):
    key = world.keys["city.editor"]
    body = {"title": "Demo: Bool", "description": "x", "license_id": "dl-zero-de/2.0"}
    ds = client.post(f"{API}/datasets", json=body, headers=auth(key)).json()
    rows = b'[{"name": "a", "offen": true}, {"name": "b", "offen": false}, {"name": "c", "offen": null}]'
    dist = client.post(
        f"{API}/datasets/{ds['name']}/distributions", files={"file": ("b.json", rows)}, headers=auth(key)
    ).json()
    assert {c["name"]: c["type"] for c in dist["columns"]}["offen"] == "boolean"
    url = f"{API}/distributions/{dist['id']}"
    assert [r["name"] for r in client.get(f"{url}/rows", params={"offen": "true"}).json()["rows"]] == ["a"]
    assert [r["name"] for r in client.get(f"{url}/rows", params={"offen": "nein"}).json()["rows"]] == ["b"]
    assert client.get(f"{url}/rows", params={"offen": "vielleicht"}).status_code == 400
    assert client.get(f"{url}/export.csv").text.splitlines() == ["name,offen", "a,True", "b,False", "c,"]
    assert client.get(f"{url}/export.json").json()[0] == {"name": "a", "offen": True}


@pytest.mark.usefixtures("backend")
def test_versions_keep_their_columns_and_tables_are_dropped(client, db, world, catalog):
    shape = {"cols": ("stadtteil",)}

    def generate(session):
        return [({c: f"{c}-{i}" for c in shape["cols"]}, None) for i in range(3)]

    spec = live.LiveDataset(name="demo-typen", title="Demo: Typen", description="x", generate=generate)
    live.register_live_dataset(spec)
    try:
        with db.transaction(SYSTEM) as session:
            assert live.publish(session, spec) == 1
        for version in range(2, 13):  # every version has a column of its own
            shape["cols"] = ("stadtteil", "bezirk", f"x{version}")
            with db.transaction(SYSTEM) as session:
                assert live.publish(session, spec) == version
    finally:
        live._REGISTRY.pop(spec.name)
    dist_id = client.get(f"{API}/datasets/demo-typen").json()["distributions"][0]["id"]
    assert _typed_tables(db, dist_id) == {f"odt_{dist_id}_v{v}" for v in range(3, 13)}
    url = f"{API}/distributions/{dist_id}/rows"
    assert client.get(url, params={"version": "1"}).status_code == 404  # pruned
    v3 = client.get(url, params={"version": "3"}).json()
    assert v3["columns"] == ["rowid", "stadtteil", "bezirk", "x3"] and v3["count"] == 3
    assert client.get(url, params={"version": "3", "x5": "1"}).status_code == 400  # not a column of v3
    current = client.get(url).json()
    assert current["columns"] == ["rowid", "stadtteil", "bezirk", "x12"] and current["count"] == 3
    with db.transaction(SYSTEM) as session:
        service.delete_distribution(session, session.get(Distribution, dist_id))
    assert _typed_tables(db, dist_id) == set()


@pytest.mark.usefixtures("backend")
def test_typed_tables_only_through_the_access_gate(client, db, world):
    dist = _upload(client, world.keys["city.editor"], "a\n1\n2\n", classification="internal")
    with db.transaction(SYSTEM) as session:
        record = session.get(Distribution, dist["id"])
        session.expunge(record)
    with db.session(ANONYMOUS) as session:
        with pytest.raises(PermissionDenied):
            tables.open_table(session, record)
        with pytest.raises(PermissionDenied):
            tables.sample_rows(session, record)
    assert client.get(f"{API}/distributions/{dist['id']}/export.csv").status_code == 404
