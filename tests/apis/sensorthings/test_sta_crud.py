"""SensorThings API: resource paths, create (deep insert, links), update, delete, access rules."""

from __future__ import annotations

import json

import pytest
from sta_helpers import ROOT, create, weather_station

pytestmark = pytest.mark.usefixtures("backend")

SETS = {
    "Things",
    "Locations",
    "HistoricalLocations",
    "Sensors",
    "ObservedProperties",
    "Datastreams",
    "MultiDatastreams",
    "Observations",
    "FeaturesOfInterest",
}


def test_service_root_lists_entity_sets_and_conformance(client):
    body = client.get(ROOT).json()
    assert {item["name"] for item in body["value"]} == SETS
    for item in body["value"]:
        assert item["url"] == f"http://testserver{ROOT}/{item['name']}"
    conformance = body["serverSettings"]["conformance"]
    assert "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete" in conformance
    assert not any("mqtt" in c for c in conformance)


def test_deep_insert_creates_the_tree_with_location_header_and_links(client, editor):
    response = client.post(f"{ROOT}/Things", json=weather_station(), headers=editor)
    assert response.status_code == 201
    thing_id = response.json()["@iot.id"]
    assert response.headers["location"] == f"http://testserver{ROOT}/Things({thing_id})"
    thing = client.get(
        f"{ROOT}/Things({thing_id})?$expand=Locations,Datastreams($expand=Sensor,ObservedProperty)"
    ).json()
    assert thing["@iot.selfLink"].endswith(f"/Things({thing_id})")
    assert thing["HistoricalLocations@iot.navigationLink"].endswith(
        f"/Things({thing_id})/HistoricalLocations"
    )
    assert thing["Locations"][0]["location"]["coordinates"] == [7.05, 51.58]
    stream = thing["Datastreams"][0]
    assert stream["Sensor"]["name"] == "PT100" and stream["ObservedProperty"]["name"] == "Temperatur"
    assert stream["unitOfMeasurement"]["symbol"] == "°C"
    # a Thing created with a Location gets a HistoricalLocation automatically
    history = client.get(f"{ROOT}/Things({thing_id})/HistoricalLocations?$expand=Locations").json()["value"]
    assert len(history) == 1 and history[0]["Locations"][0]["name"] == "Rathaus Buer"


def test_deep_insert_is_all_or_nothing(client, editor):
    body = weather_station()
    del body["Datastreams"][0]["Sensor"]["encodingType"]  # invalid nested entity
    response = client.post(f"{ROOT}/Things", json=body, headers=editor)
    assert response.status_code == 400
    assert "Sensor" in response.json()["message"] and "encodingType" in response.json()["message"]
    for name in (
        "Things",
        "Locations",
        "Sensors",
        "ObservedProperties",
        "Datastreams",
        "HistoricalLocations",
    ):
        assert client.get(f"{ROOT}/{name}", headers=editor).json()["value"] == [], name


def test_link_existing_entities_by_id_and_post_into_navigation(client, editor):
    thing_id = create(client, "Things", weather_station(), editor)
    sensor_id = create(
        client,
        "Sensors",
        {"name": "S2", "description": "d", "encodingType": "text/html", "metadata": "m"},
        editor,
    )
    prop_id = create(
        client, "ObservedProperties", {"name": "P2", "definition": "x", "description": "d"}, editor
    )
    stream_id = create(
        client,
        f"Things({thing_id})/Datastreams",
        {
            "name": "Feuchte",
            "description": "rel.",
            "observationType": "OM_Measurement",
            "unitOfMeasurement": {"name": "Prozent", "symbol": "%", "definition": "ucum:%"},
            "Sensor": {"@iot.id": sensor_id},
            "ObservedProperty": {"@iot.id": prop_id},
        },
        editor,
    )
    assert client.get(f"{ROOT}/Datastreams({stream_id})/Thing", headers=editor).json()["@iot.id"] == thing_id
    assert client.get(f"{ROOT}/Datastreams({stream_id})/Sensor/name", headers=editor).json() == {"name": "S2"}
    missing = client.post(
        f"{ROOT}/Datastreams",
        json={
            "name": "x",
            "description": "x",
            "observationType": "x",
            "unitOfMeasurement": {},
            "Thing": {"@iot.id": 999},
            "Sensor": {"@iot.id": sensor_id},
            "ObservedProperty": {"@iot.id": prop_id},
        },
        headers=editor,
    )
    assert missing.status_code == 400 and "999" in missing.json()["message"]


def test_resource_paths_property_value_ref_and_404(client, editor):
    thing_id = create(client, "Things", weather_station(), editor)
    assert client.get(f"{ROOT}/Things({thing_id})/name", headers=editor).json() == {
        "name": "Wetterstation Demo"
    }
    raw = client.get(f"{ROOT}/Things({thing_id})/name/$value", headers=editor)
    assert raw.status_code == 200 and raw.text == "Wetterstation Demo"
    refs = client.get(f"{ROOT}/Things({thing_id})/Datastreams/$ref", headers=editor).json()
    assert list(refs["value"][0]) == ["@iot.selfLink"]
    assert (
        client.get(f"{ROOT}/Things/$ref", headers=editor)
        .json()["value"][0]["@iot.selfLink"]
        .endswith(f"Things({thing_id})")
    )
    assert client.get(f"{ROOT}/Things({thing_id})/$ref", headers=editor).json() == {
        "@iot.selfLink": f"http://testserver{ROOT}/Things({thing_id})"
    }
    stream = client.get(f"{ROOT}/Things({thing_id})/Datastreams", headers=editor).json()["value"][0]
    nested = client.get(
        f"{ROOT}/Things({thing_id})/Datastreams({stream['@iot.id']})/Sensor/Datastreams", headers=editor
    )
    assert nested.json()["value"][0]["@iot.id"] == stream["@iot.id"]
    for path in (
        "Things(999)",
        "Things(999)/Datastreams",
        "Things(99999999999999999999)",
        "Nothings",
        f"Things({thing_id})/Nothing",
    ):
        response = client.get(f"{ROOT}/{path}", headers=editor)
        assert response.status_code == 404, path
        assert response.json()["type"] == "error"


def test_observation_gets_feature_of_interest_from_the_things_location(client, editor):
    create(client, "Things", weather_station(), editor)
    stream_id = client.get(f"{ROOT}/Datastreams", headers=editor).json()["value"][0]["@iot.id"]
    first = create(client, f"Datastreams({stream_id})/Observations", {"result": 21.5}, editor)
    second = create(
        client,
        "Observations",
        {
            "result": "sonnig",
            "phenomenonTime": "2024-05-01T10:00:00Z/2024-05-01T11:00:00Z",
            "Datastream": {"@iot.id": stream_id},
        },
        editor,
    )
    one = client.get(f"{ROOT}/Observations({first})/FeatureOfInterest", headers=editor).json()
    two = client.get(f"{ROOT}/Observations({second})/FeatureOfInterest", headers=editor).json()
    assert one["@iot.id"] == two["@iot.id"]  # derived once, then reused
    assert one["feature"] == {"type": "Point", "coordinates": [7.05, 51.58]}
    obs = client.get(f"{ROOT}/Observations({second})", headers=editor).json()
    assert obs["phenomenonTime"] == "2024-05-01T10:00:00Z/2024-05-01T11:00:00Z"
    assert obs["result"] == "sonnig"
    stream = client.get(f"{ROOT}/Datastreams({stream_id})", headers=editor).json()
    assert stream["phenomenonTime"].startswith("2024-05-01T10:00:00Z/")


def test_observation_without_location_or_feature_is_refused(client, editor):
    body = weather_station()
    del body["Locations"]
    create(client, "Things", body, editor)
    stream_id = client.get(f"{ROOT}/Datastreams", headers=editor).json()["value"][0]["@iot.id"]
    response = client.post(
        f"{ROOT}/Datastreams({stream_id})/Observations", json={"result": 1}, headers=editor
    )
    assert response.status_code == 400 and "FeatureOfInterest" in response.json()["message"]


def test_patch_put_and_json_patch(client, editor):
    thing_id = create(client, "Things", weather_station(), editor)
    url = f"{ROOT}/Things({thing_id})"
    patched = client.patch(url, json={"description": "neu"}, headers=editor)
    assert patched.status_code == 200 and patched.json()["description"] == "neu"
    assert patched.json()["name"] == "Wetterstation Demo"
    put = client.put(url, json={"name": "Ersetzt", "description": "ganz"}, headers=editor)
    assert put.status_code == 200 and put.json()["properties"] is None
    assert client.put(url, json={"name": "ohne Beschreibung"}, headers=editor).status_code == 400
    operations = [
        {"op": "add", "path": "/properties", "value": {"a": 1}},
        {"op": "replace", "path": "/name", "value": "Gepatcht"},
    ]
    response = client.patch(
        url,
        content=json.dumps(operations),
        headers={**editor, "Content-Type": "application/json-patch+json"},
    )
    assert response.status_code == 200, response.text
    assert client.get(url, headers=editor).json()["properties"] == {"a": 1}
    assert client.get(url, headers=editor).json()["name"] == "Gepatcht"


def test_patch_refuses_inline_related_entities(client, editor):
    thing_id = create(client, "Things", weather_station(), editor)
    response = client.patch(
        f"{ROOT}/Things({thing_id})",
        json={"Datastreams": [{"name": "neu"}]},
        headers=editor,
    )
    assert response.status_code == 400


def test_changing_a_things_location_records_history(client, editor):
    thing_id = create(client, "Things", weather_station(), editor)
    location_id = create(
        client,
        "Locations",
        {
            "name": "Neu",
            "description": "d",
            "encodingType": "application/geo+json",
            "location": {"type": "Point", "coordinates": [7.1, 51.5]},
        },
        editor,
    )
    response = client.patch(
        f"{ROOT}/Things({thing_id})", json={"Locations": [{"@iot.id": location_id}]}, headers=editor
    )
    assert response.status_code == 200
    history = client.get(
        f"{ROOT}/Things({thing_id})/HistoricalLocations?$expand=Locations&$orderby=time desc", headers=editor
    ).json()["value"]
    assert len(history) == 2 and history[0]["Locations"][0]["@iot.id"] == location_id
    assert [
        loc["@iot.id"]
        for loc in client.get(f"{ROOT}/Things({thing_id})/Locations", headers=editor).json()["value"]
    ] == [location_id]


def test_delete_cascades_to_dependants(client, editor):
    thing_id = create(client, "Things", weather_station(), editor)
    stream_id = client.get(f"{ROOT}/Datastreams", headers=editor).json()["value"][0]["@iot.id"]
    obs_id = create(client, f"Datastreams({stream_id})/Observations", {"result": 1}, editor)
    assert client.delete(f"{ROOT}/Things({thing_id})", headers=editor).status_code == 200
    assert client.get(f"{ROOT}/Things({thing_id})", headers=editor).status_code == 404
    assert client.get(f"{ROOT}/Datastreams({stream_id})", headers=editor).status_code == 404
    assert client.get(f"{ROOT}/Observations({obs_id})", headers=editor).status_code == 404
    assert client.get(f"{ROOT}/HistoricalLocations", headers=editor).json()["value"] == []
    assert client.get(f"{ROOT}/Sensors", headers=editor).json()["value"] != []  # not a dependant
    assert client.delete(f"{ROOT}/Things({thing_id})", headers=editor).status_code == 404


def test_writes_need_a_writer_of_the_owning_tenant(client, editor, outsider, world):
    body = weather_station(classification="public")
    assert client.post(f"{ROOT}/Things", json=body).status_code == 401
    viewer = {"Authorization": f"Bearer {world.keys['city.viewer']}"}
    assert client.post(f"{ROOT}/Things", json=body, headers=viewer).status_code == 403
    thing_id = create(client, "Things", body, editor)
    stream_id = client.get(f"{ROOT}/Datastreams").json()["value"][0]["@iot.id"]
    # another tenant sees public data but cannot write into it
    assert client.get(f"{ROOT}/Things({thing_id})", headers=outsider).status_code == 200
    assert client.patch(f"{ROOT}/Things({thing_id})", json={"name": "x"}, headers=outsider).status_code == 403
    response = client.post(
        f"{ROOT}/Datastreams({stream_id})/Observations", json={"result": 1}, headers=outsider
    )
    assert response.status_code == 403
    assert client.delete(f"{ROOT}/Things({thing_id})", headers=outsider).status_code == 403
    assert client.delete(f"{ROOT}/Things({thing_id})").status_code == 401
    assert client.get(f"{ROOT}/Things({thing_id})").json()["name"] == "Wetterstation Demo"


def test_classification_follows_the_thing(client, editor, outsider):
    thing_id = create(client, "Things", weather_station(classification="internal"), editor)
    stream_id = client.get(f"{ROOT}/Datastreams", headers=editor).json()["value"][0]["@iot.id"]
    obs_id = create(client, f"Datastreams({stream_id})/Observations", {"result": 3}, editor)
    for path in (f"Things({thing_id})", f"Datastreams({stream_id})", f"Observations({obs_id})"):
        assert client.get(f"{ROOT}/{path}").status_code == 404, path
        assert client.get(f"{ROOT}/{path}", headers=outsider).status_code == 404, path
    assert client.get(f"{ROOT}/Observations").json()["value"] == []
    publish = client.patch(
        f"{ROOT}/Things({thing_id})", json={"@gelsencloud.classification": "public"}, headers=editor
    )
    assert publish.status_code == 200
    for path in (f"Things({thing_id})", f"Datastreams({stream_id})", f"Observations({obs_id})"):
        assert client.get(f"{ROOT}/{path}").status_code == 200, path
    later = create(client, f"Datastreams({stream_id})/Observations", {"result": 4}, editor)
    assert client.get(f"{ROOT}/Observations({later})").status_code == 200


def test_invalid_bodies_answer_400_with_a_message(client, editor):
    cases = [
        ({"description": "no name"}, "name"),
        ({"name": "x", "description": "y", "colour": "red"}, "colour"),
        ([1, 2], "object"),
    ]
    for body, needle in cases:
        response = client.post(f"{ROOT}/Things", json=body, headers=editor)
        assert response.status_code == 400, body
        assert needle in response.json()["message"]
    bad_json = client.post(
        f"{ROOT}/Things", content="{nope", headers={**editor, "Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400
