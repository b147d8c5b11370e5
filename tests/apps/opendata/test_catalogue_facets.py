"""Facets count over the matching datasets, also when a filter names a joined table (formats, organisations)."""

from __future__ import annotations

import pytest

from gelsencloud.apps.opendata import service
from gelsencloud.core.principal import SYSTEM
from helpers import auth

API = "/api/v1/opendata"


def _dataset(client, key, title: str, files: list[tuple[str, bytes]]) -> None:
    body = {"title": title, "description": "synthetisch", "license_id": "dl-zero-de/2.0"}
    ds = client.post(f"{API}/datasets", json=body, headers=auth(key))
    assert ds.status_code == 201, ds.text
    for name, content in files:
        response = client.post(
            f"{API}/datasets/{ds.json()['name']}/distributions",
            files={"file": (name, content)},
            headers=auth(key),
        )
        assert response.status_code == 201, response.text


@pytest.mark.usefixtures("backend")
def test_facets_under_filters_on_formats_and_organisations(client, db, world):
    key = world.keys["city.editor"]
    _dataset(client, key, "Demo: Beides", [("a.csv", b"a\n1\n"), ("b.json", b'[{"a": 1}]')])
    _dataset(client, key, "Demo: Nur CSV", [("c.csv", b"a\n2\n")])
    _dataset(client, world.keys["net.admin"], "Demo: Netz", [("d.json", b'[{"a": 2}]')])
    with db.transaction(SYSTEM) as session:
        by_json = service.search_datasets(
            session, filters={"res_format": ["JSON"]}, facet_fields=("res_format", "organization")
        )
        assert by_json.count == 2
        # every format of the matching datasets, not only the one filtered on
        assert dict(by_json.facets["res_format"]) == {"JSON": 2, "CSV": 1}
        assert dict(by_json.facets["organization"]) == {"stadt-gelsenkirchen": 1, "gelsen-net": 1}
        by_org = service.search_datasets(
            session, filters={"organization": ["stadt-gelsenkirchen"]}, facet_fields=("organization",)
        )
        assert by_org.count == 2 and dict(by_org.facets["organization"]) == {"stadt-gelsenkirchen": 2}
        words = service.search_datasets(session, q="netz", facet_fields=("res_format",))
        assert words.count == 1 and dict(words.facets["res_format"]) == {"JSON": 1}
