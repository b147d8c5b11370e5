"""CKAN Action API read side, proven with the independent ``ckanapi`` client over real HTTP."""

from __future__ import annotations

import ckanapi
import pytest

from helpers import auth

INTERNAL = "demo-interne-planungsliste-sanierungen"


@pytest.mark.usefixtures("backend")
def test_ckanapi_client_reads_the_catalogue(served):
    ckan = ckanapi.RemoteCKAN(served)  # POSTs JSON to /api/action/<name>
    names = ckan.action.package_list()
    assert "demo-strassenbaeume" in names and "stadtgebiet-bezirke-und-stadtteile" in names
    assert INTERNAL not in names, "internal datasets are never published"
    assert len(names) == 10

    package = ckan.action.package_show(id="demo-wasserverbrauch-je-einwohner")
    assert package["title"] == "Demo: Wasserverbrauch je Einwohner"
    assert package["organization"]["name"] == "gelsenwasser" and package["owner_org"] == "gelsenwasser"
    assert package["license_url"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    [resource] = package["resources"]
    assert resource["format"] == "JSON" and resource["size"] > 0 and resource["hash"].startswith("sha256:")
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert "055130000000" in extras["politicalGeocodingURI"]
    assert ckan.action.package_show(id=package["id"])["name"] == package["name"]  # by id as well

    assert ckan.action.resource_show(id=resource["id"])["package_id"] == package["id"]

    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id=INTERNAL)
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="does-not-exist")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_show()


@pytest.mark.usefixtures("backend")
def test_package_search_with_ckanapi(served):
    ckan = ckanapi.RemoteCKAN(served)
    everything = ckan.action.package_search(rows=1000)
    assert everything["count"] == 10 and len(everything["results"]) == 10

    found = ckan.action.package_search(q="Bäume")
    assert [r["name"] for r in found["results"]] == ["demo-strassenbaeume"]
    by_tag = ckan.action.package_search(fq='tags:"Stadtgrün"')
    assert [r["name"] for r in by_tag["results"]] == ["demo-strassenbaeume"]
    by_keyword_word = ckan.action.package_search(q="stadtgrün")  # matched in the keywords only
    assert [r["name"] for r in by_keyword_word["results"]] == ["demo-strassenbaeume"]
    by_format = ckan.action.package_search(fq="res_format:XLSX")
    assert [r["name"] for r in by_format["results"]] == ["demo-schulen-und-schuelerzahlen"]

    by_org = ckan.action.package_search(fq="organization:gelsen-net")
    assert [r["name"] for r in by_org["results"]] == ["demo-breitbandversorgung-nach-stadtteil"]

    envi = ckan.action.package_search(fq="groups:envi", sort="name asc")
    assert [r["name"] for r in envi["results"]] == sorted(r["name"] for r in envi["results"])
    assert {r["name"] for r in envi["results"]} >= {"demo-abfallmengen-nach-abfallart", "demo-strassenbaeume"}

    # paging with start/rows, as the ckanapi CLI and ckanext-harvest page through a portal
    pages = [ckan.action.package_search(rows=3, start=s, sort="name asc")["results"] for s in range(0, 12, 3)]
    paged = [r["name"] for page in pages for r in page]
    assert paged == sorted(ckan.action.package_list())

    faceted = ckan.action.package_search(
        **{"facet.field": ["organization", "res_format"], "facet.limit": 2, "rows": 0}
    )
    org_items = faceted["search_facets"]["organization"]["items"]
    assert len(org_items) == 2 and org_items[0]["name"] == "stadt-gelsenkirchen"
    assert org_items[0]["count"] == 7
    assert faceted["results"] == []
    mincount = ckan.action.package_search(**{"facet.field": ["organization"], "facet.mincount": 2})
    assert [i["name"] for i in mincount["search_facets"]["organization"]["items"]] == ["stadt-gelsenkirchen"]

    incremental = ckan.action.package_search(fq="metadata_modified:[2000-01-01T00:00:00Z TO *]", rows=100)
    assert incremental["count"] == 10
    future = ckan.action.package_search(fq="metadata_modified:[2999-01-01T00:00:00Z TO *]")
    assert future["count"] == 0

    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(fq="nosuchfield:x")


def test_organizations_groups_tags_status(served):
    ckan = ckanapi.RemoteCKAN(served, get_only=True)  # GET with query parameters
    # sorted by title (CKAN's default "title asc")
    assert ckan.action.organization_list() == [
        "gelsen-net",
        "gelsendienste",
        "gelsenwasser",
        "stadt-gelsenkirchen",
    ]
    orgs = ckan.action.organization_list(all_fields=True)
    counts = {o["name"]: o["package_count"] for o in orgs}
    assert counts["stadt-gelsenkirchen"] == 7 and counts["gelsenwasser"] == 1
    org = ckan.action.organization_show(id="gelsendienste", include_datasets=True)
    assert [p["name"] for p in org["packages"]] == ["demo-abfallmengen-nach-abfallart"]
    with pytest.raises(ckanapi.NotFound):
        ckan.action.organization_show(id="nope")

    groups = ckan.action.group_list(all_fields=True)
    assert {g["name"] for g in groups} >= {"envi", "tran", "regi"} and len(groups) == 13
    assert ckan.action.group_show(id="tran")["package_count"] == 2
    with pytest.raises(ckanapi.NotFound):
        ckan.action.group_show(id="xyz")

    tags = ckan.action.tag_list()
    assert "Bäume" in tags and "intern" not in tags
    assert ckan.action.tag_list(query="glas") == ["Glasfaser"]

    status = ckan.action.status_show()
    assert status["locale_default"] == "de" and status["site_url"].startswith(served)

    current = ckan.action.current_package_list_with_resources(limit=2)
    assert len(current) == 2 and all("resources" in p for p in current)
    assert current[0]["metadata_modified"] >= current[1]["metadata_modified"]


def test_envelope_and_errors_follow_ckan(client, catalog):
    ok = client.get("/api/3/action/package_list")
    body = ok.json()
    assert ok.status_code == 200 and body["success"] is True
    assert body["help"].endswith("/api/3/action/help_show?name=package_list")
    post = client.post("/api/3/action/package_show", json={"id": "demo-strassenbaeume"})
    assert post.json()["result"]["name"] == "demo-strassenbaeume"

    missing = client.get("/api/3/action/package_show?id=nope")
    assert missing.status_code == 404
    assert missing.json()["success"] is False and missing.json()["error"]["__type"] == "Not Found Error"
    invalid = client.get("/api/action/package_show")
    assert invalid.status_code == 409 and invalid.json()["error"] == {
        "__type": "Validation Error",
        "id": ["Missing value"],
    }
    unknown = client.get("/api/3/action/package_delete")
    assert unknown.status_code == 400 and unknown.json()["success"] is False
    bad_json = client.post(
        "/api/3/action/package_list", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 400
    bad_rows = client.get("/api/3/action/package_search?rows=abc")
    assert bad_rows.status_code == 409
    too_many = client.get("/api/3/action/package_search?rows=5000").json()["result"]
    assert len(too_many["results"]) == 10  # capped at 1000, like CKAN


@pytest.mark.usefixtures("backend")
def test_internal_datasets_only_for_their_tenant(client, catalog):
    city_key = catalog.keys["city.viewer"]
    net_key = catalog.keys["net.admin"]
    assert client.get(f"/api/3/action/package_show?id={INTERNAL}", headers=auth(net_key)).status_code == 404
    own = client.get(f"/api/3/action/package_show?id={INTERNAL}", headers=auth(city_key))
    assert own.status_code == 200 and own.json()["result"]["private"] is True
    # lists publish public datasets only, unless the tenant asks for its private ones
    assert INTERNAL not in client.get("/api/3/action/package_list", headers=auth(city_key)).json()["result"]
    private = client.get("/api/3/action/package_search?include_private=true&rows=100", headers=auth(city_key))
    assert INTERNAL in [r["name"] for r in private.json()["result"]["results"]]
    foreign = client.get("/api/3/action/package_search?include_private=true&rows=100", headers=auth(net_key))
    assert INTERNAL not in [r["name"] for r in foreign.json()["result"]["results"]]


@pytest.mark.usefixtures("backend")
def test_facets_count_only_what_the_caller_may_read(client, catalog, world):
    """Facets are counted in SQL; the access rule must hold there too (internal keyword "intern")."""
    params = {"include_private": "true", "rows": 0, "facet.field": '["tags", "groups", "organization"]'}
    anonymous = client.get("/api/3/action/package_search", params=params).json()["result"]
    tags = {i["name"]: i["count"] for i in anonymous["search_facets"]["tags"]["items"]}
    assert anonymous["count"] == 10 and "intern" not in tags and tags["Demo"] == 9
    organizations = {i["name"]: i["count"] for i in anonymous["search_facets"]["organization"]["items"]}
    assert sum(organizations.values()) == 10
    staff = client.get(
        "/api/3/action/package_search", params=params, headers=auth(world.keys["city.editor"])
    ).json()["result"]
    staff_tags = {i["name"]: i["count"] for i in staff["search_facets"]["tags"]["items"]}
    assert staff["count"] == 11 and staff_tags["intern"] == 1 and staff_tags["Demo"] == 10
