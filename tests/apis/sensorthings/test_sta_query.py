"""SensorThings API query options translated to SQL, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sta_helpers import ROOT, create, weather_station

pytestmark = pytest.mark.usefixtures("backend")

PLACES = {"Buer": [7.05, 51.58], "Altstadt": [7.10, 51.51], "Horst": [7.03, 51.54]}


@pytest.fixture
def seeded(client, editor):
    """Three public stations with one Datastream each and observations 0..9 (station Buer also text)."""
    streams = {}
    for index, (name, point) in enumerate(PLACES.items()):
        body = weather_station(name=f"Station {name}")
        body["properties"] = {
            "owner": "Stadt" if index < 2 else "GELSEN-NET",
            "floor": index,
            "tags": {"kind": name.lower()},
        }
        body["Locations"][0]["name"] = name
        body["Locations"][0]["location"] = {"type": "Point", "coordinates": point}
        thing_id = create(client, "Things", body, editor)
        streams[name] = client.get(f"{ROOT}/Things({thing_id})/Datastreams", headers=editor).json()["value"][
            0
        ]["@iot.id"]
    for i in range(10):
        create(
            client,
            f"Datastreams({streams['Altstadt']})/Observations",
            {
                "phenomenonTime": f"2024-03-{i + 1:02d}T0{i % 10}:30:00Z",
                "result": i,
                "parameters": {"q": i % 2},
            },
            editor,
        )
    create(
        client,
        f"Datastreams({streams['Buer']})/Observations",
        {"phenomenonTime": "2023-12-31T23:00:00Z", "result": "Regen"},
        editor,
    )
    create(
        client,
        f"Datastreams({streams['Buer']})/Observations",
        {"phenomenonTime": "2024-01-01T00:00:00Z", "result": 3.5},
        editor,
    )
    return streams


def results(client, query: str) -> list:
    """Results of the Observations matching a query, in id order."""
    response = client.get(f"{ROOT}/Observations?{query}&$top=1000&$orderby=id")
    assert response.status_code == 200, (query, response.text)
    return [o["result"] for o in response.json()["value"]]


def f(expr: str) -> str:
    return "$filter=" + quote(expr)


OBSERVATION_CASES = [
    ("result gt 7", [8, 9]),
    ("result ge 8 and result lt 9", [8]),
    ("result eq 'Regen'", ["Regen"]),
    ("not (result le 8)", [9]),
    ("result add 1 eq 3", [2]),
    ("result sub 1 eq 3", [4]),
    ("result mul 2 eq 12", [6]),
    ("result div 2 eq 3.5", [7]),
    ("result mod 4 eq 1 and result lt 9", [1, 5]),
    ("result gt 8 or result eq 0", [0, 9]),
    ("phenomenonTime lt 2024-01-01T00:00:00Z", ["Regen"]),
    ("phenomenonTime ge 2024-03-09T00:00:00Z", [8, 9]),
    ("year(phenomenonTime) eq 2023", ["Regen"]),
    ("month(phenomenonTime) eq 3 and day(phenomenonTime) eq 2", [1]),
    ("hour(phenomenonTime) eq 4 and minute(phenomenonTime) eq 30", [4]),
    ("second(phenomenonTime) eq 0 and year(phenomenonTime) eq 2023", ["Regen"]),
    ("parameters/q eq 1 and result lt 5", [1, 3]),
    ("round(result) eq 4", [4, 3.5]),
    ("floor(result) eq 3", [3, 3.5]),
    ("ceiling(result) eq 4", [4, 3.5]),
    ("Datastream/Thing/name eq 'Station Buer'", ["Regen", 3.5]),
    ("FeatureOfInterest/name eq 'Buer'", ["Regen", 3.5]),
    ("substringof('ege', result)", ["Regen"]),
    ("result gt '8'", [9]),
    ("result eq '3'", [3]),
]


def test_observation_filters(client, seeded):
    # One test over all cases: seeding per parametrised case would cost minutes.
    wrong = {}
    for expr, expected in OBSERVATION_CASES:
        got = client.get(f"{ROOT}/Observations?{f(expr)}&$orderby=id&$top=1000")
        values = [o["result"] for o in got.json()["value"]] if got.status_code == 200 else got.text
        if values != expected:
            wrong[expr] = values
    assert wrong == {}


THING_CASES = [
    ("name eq 'Station Buer'", {"Station Buer"}),
    ("name ne 'Station Buer'", {"Station Altstadt", "Station Horst"}),
    ("startswith(name, 'Station H')", {"Station Horst"}),
    ("endswith(name, 'stadt')", {"Station Altstadt"}),
    ("substringof('Bu', name)", {"Station Buer"}),
    ("length(name) eq 12", {"Station Buer"}),
    ("indexof(name, 'Horst') eq 8", {"Station Horst"}),
    ("substring(name, 8) eq 'Buer'", {"Station Buer"}),
    ("substring(name, 8, 2) eq 'Al'", {"Station Altstadt"}),
    ("tolower(name) eq 'station horst'", {"Station Horst"}),
    ("toupper(name) eq 'STATION HORST'", {"Station Horst"}),
    ("trim(concat(' ', name)) eq 'Station Horst'", {"Station Horst"}),
    ("concat(name, '!') eq 'Station Buer!'", {"Station Buer"}),
    ("properties/owner eq 'Stadt'", {"Station Buer", "Station Altstadt"}),
    ("properties/floor gt 0", {"Station Altstadt", "Station Horst"}),
    ("properties/tags/kind eq 'horst'", {"Station Horst"}),
    ("Locations/name eq 'Horst'", {"Station Horst"}),
    ("Datastreams/Observations/result gt 8", {"Station Altstadt"}),
    ("name eq 'Station Buer' or Locations/name eq 'Horst'", {"Station Buer", "Station Horst"}),
    (
        "st_within(Locations/location, geography'POLYGON((7 51.55, 7.2 51.55, 7.2 51.6, 7 51.6, 7 51.55))')",
        {"Station Buer"},
    ),
    (
        "st_intersects(Locations/location, geography'POLYGON((7 51.5, 7.2 51.5, 7.2 51.52, 7 51.52, 7 51.5))')",
        {"Station Altstadt"},
    ),
    (
        "geo.intersects(Locations/location, geography'POLYGON((7 51.5, 7.2 51.5, 7.2 51.52, 7 51.52, 7 51.5))')",
        {"Station Altstadt"},
    ),
    ("st_disjoint(Locations/location, geography'POINT(7.05 51.58)')", {"Station Altstadt", "Station Horst"}),
    ("st_equals(Locations/location, geography'POINT(7.03 51.54)')", {"Station Horst"}),
    (
        "st_contains(geography'POLYGON((7 51.5, 7.2 51.5, 7.2 51.52, 7 51.52, 7 51.5))', Locations/location)",
        {"Station Altstadt"},
    ),
    ("st_touches(Locations/location, geography'LINESTRING(7.03 51.54, 7.2 51.54)')", {"Station Horst"}),
    ("st_relate(Locations/location, geography'POINT(7.05 51.58)', 'T********')", {"Station Buer"}),
    ("geo.distance(Locations/location, geography'POINT(7.05 51.58)') lt 0.01", {"Station Buer"}),
    (
        "geo.distance(Locations/location, geography'POINT(7.05 51.58)') gt 0.01",
        {"Station Altstadt", "Station Horst"},
    ),
    ("geo.length(geography'LINESTRING(0 0, 3 4)') eq 5 and name eq 'Station Buer'", {"Station Buer"}),
]


def test_thing_filters(client, seeded):
    wrong = {}
    for expr, expected in THING_CASES:
        got = client.get(f"{ROOT}/Things?{f(expr)}")
        values = {item["name"] for item in got.json()["value"]} if got.status_code == 200 else got.text
        if values != expected:
            wrong[expr] = values
    assert wrong == {}


def names(client, query: str) -> set[str]:
    """Names of the Things matching a query."""
    response = client.get(f"{ROOT}/Things?{query}")
    assert response.status_code == 200, (query, response.text)
    return {item["name"] for item in response.json()["value"]}


def test_crosses_and_overlaps(client, seeded):
    cross = "st_crosses(geography'LINESTRING(7 51, 8 52)', geography'LINESTRING(7 52, 8 51)')"
    assert names(client, f(f"{cross} and name eq 'Station Buer'")) == {"Station Buer"}
    parallel = "st_crosses(geography'LINESTRING(7 51, 8 52)', geography'LINESTRING(7 51.1, 8 52.1)')"
    assert names(client, f(parallel)) == set()
    squares = "geography'POLYGON((0 0, 2 0, 2 2, 0 2, 0 0))', geography'POLYGON((1 1, 3 1, 3 3, 1 3, 1 1))'"
    assert len(names(client, f(f"st_overlaps({squares})"))) == 3
    assert (
        names(
            client, f("st_overlaps(Locations/location, geography'POLYGON((7 51, 8 51, 8 52, 7 52, 7 51))')")
        )
        == set()
    )


def test_orderby_top_skip_count_and_next_link(client, seeded):
    query = f("result ge 0 and result le 9") + "&$orderby=result desc&$top=3&$skip=2&$count=true"
    body = client.get(f"{ROOT}/Observations?{query}").json()
    assert body["@iot.count"] == 11  # the whole filtered set (3.5 included), not the page
    assert [o["result"] for o in body["value"]] == [7, 6, 5]
    following = body["@iot.nextLink"]
    assert following.startswith(f"http://testserver{ROOT}/Observations?") and "%24skip=5" not in following
    second = client.get(following).json()
    assert [o["result"] for o in second["value"]] == [4, 3.5, 3]
    last = client.get(f"{ROOT}/Observations?$orderby=result asc,id&$skip=10&$top=5").json()
    assert "@iot.nextLink" not in last and len(last["value"]) == 2


def test_server_driven_paging_caps_top(client, seeded, monkeypatch):
    from gelsencloud.apis.sensorthings.service import read

    monkeypatch.setattr(read, "DEFAULT_TOP", 4)
    monkeypatch.setattr(read, "MAX_TOP", 5)
    seen, url = [], f"{ROOT}/Observations?$orderby=id"
    while url:
        body = client.get(url).json()
        assert len(body["value"]) <= 4 or "$top" in url
        seen += [o["@iot.id"] for o in body["value"]]
        url = body.get("@iot.nextLink")
    assert len(seen) == len(set(seen)) == 12
    capped = client.get(f"{ROOT}/Observations?$top=50").json()
    assert len(capped["value"]) == 5 and "@iot.nextLink" in capped


def test_expand_nested_with_own_options_and_select(client, seeded):
    query = (
        "$filter="
        + quote("name eq 'Station Altstadt'")
        + "&$select=name,id&$expand="
        + quote(
            "Datastreams($select=name;$expand=Observations($orderby=phenomenonTime desc;$top=2;$count=true;$select=result))"
        )
    )
    body = client.get(f"{ROOT}/Things?{query}").json()
    thing = body["value"][0]
    assert set(thing) == {"name", "@iot.id", "Datastreams"}
    stream = thing["Datastreams"][0]
    assert set(stream) >= {"name", "Observations"} and "description" not in stream
    assert stream["Observations@iot.count"] == 10
    assert [o["result"] for o in stream["Observations"]] == [9, 8]
    assert (
        stream["Observations@iot.nextLink"].endswith("%24skip=2")
        or "$skip=2" in stream["Observations@iot.nextLink"]
    )
    multi = client.get(
        f"{ROOT}/Observations?$top=1&$orderby=id&$expand=Datastream/Thing/Locations,FeatureOfInterest"
    ).json()
    obs = multi["value"][0]
    assert obs["Datastream"]["Thing"]["Locations"][0]["name"] == "Altstadt"
    assert obs["FeatureOfInterest"]["name"] == "Altstadt"
    with_filter = client.get(
        f"{ROOT}/Datastreams?$expand=" + quote("Observations($filter=result gt 7)")
    ).json()
    counts = sorted(len(s["Observations"]) for s in with_filter["value"])
    assert counts == [0, 0, 2]


MALFORMED = [
    ("$filter=" + quote("nme eq 'x'"), "unknown property 'nme'"),
    ("$filter=" + quote("name eq"), "$filter"),
    ("$orderby=" + quote("nope desc"), "$orderby"),
    ("$expand=Nothing", "Nothing"),
    ("$select=colour", "colour"),
    ("$top=-1", "$top"),
    ("$fliter=x", "$filter"),
    ("$filter=" + quote("Datastreams eq 1"), "navigation"),
]


def test_malformed_queries_answer_400_pointing_at_the_problem(client, seeded):
    for query, needle in MALFORMED:
        response = client.get(f"{ROOT}/Things?{query}")
        assert response.status_code == 400, (query, response.text)
        body = response.json()
        assert body["code"] == 400 and needle in body["message"], (query, body)


def test_filter_on_navigation_collection(client, seeded):
    stream = seeded["Altstadt"]
    got = client.get(f"{ROOT}/Datastreams({stream})/Observations?{f('result lt 2')}&$orderby=result").json()
    assert [o["result"] for o in got["value"]] == [0, 1]
    assert results(client, f("result eq 'Regen'")) == ["Regen"]


def test_absolute_links_use_the_configured_public_url(settings, db, world, registry):
    from fastapi.testclient import TestClient

    from gelsencloud.core.app import create_app

    public = settings.model_copy(update={"base_url": "https://daten.gelsenkirchen.de/plattform"})
    with TestClient(create_app(public, db, registry, run_jobs=False)) as client:
        editor = {"Authorization": f"Bearer {world.keys['city.editor']}"}
        response = client.post(f"{ROOT}/Things", json=weather_station(), headers=editor)
        assert response.headers["location"].startswith(
            f"https://daten.gelsenkirchen.de/plattform{ROOT}/Things("
        )
        create(client, "Things", weather_station("Zweite"), editor)
        body = client.get(f"{ROOT}/Things?$top=1", headers=editor).json()
        assert body["@iot.nextLink"].startswith(f"https://daten.gelsenkirchen.de/plattform{ROOT}/Things?")
        assert body["value"][0]["@iot.selfLink"].startswith("https://daten.gelsenkirchen.de/plattform/")


def test_top_zero_gives_the_count_and_no_next_link(client, world):
    headers = {"Authorization": f"Bearer {world.keys['city.editor']}"}
    for i in range(3):
        created = client.post("/sta/v1.1/Things", json={"name": f"T{i}", "description": "d"}, headers=headers)
        assert created.status_code == 201, created.text
    body = client.get("/sta/v1.1/Things?$top=0&$count=true", headers=headers).json()
    assert body["@iot.count"] == 3 and body["value"] == [] and "@iot.nextLink" not in body
