"""SensorThings API: batch requests, the data-array extension, MultiDatastreams and bulk inserts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sta_helpers import ROOT, create, weather_station

from gelsencloud.apis.sensorthings.models import Observation
from gelsencloud.apis.sensorthings.service import add_observations
from gelsencloud.core.classification import PermissionDenied
from gelsencloud.core.principal import SYSTEM, Principal, Role

pytestmark = pytest.mark.usefixtures("backend")


def _stream(client, editor) -> int:
    create(client, "Things", weather_station(), editor)
    return client.get(f"{ROOT}/Datastreams", headers=editor).json()["value"][0]["@iot.id"]


def test_json_batch_with_references_and_atomicity_groups(client, editor):
    stream_id = _stream(client, editor)
    body = {
        "requests": [
            {"id": "t", "method": "post", "url": "Things", "body": {"name": "Batch", "description": "b"}},
            {"id": "n", "method": "get", "url": "$t/name"},
            {
                "id": "o",
                "method": "post",
                "url": f"Datastreams({stream_id})/Observations",
                "body": {"result": 5},
            },
            {
                "id": "g1",
                "atomicityGroup": "g",
                "method": "post",
                "url": "Things",
                "body": {"name": "A", "description": "a"},
            },
            {"id": "g2", "atomicityGroup": "g", "method": "post", "url": "Things", "body": {"name": "B"}},
            {"id": "missing", "method": "get", "url": "Things(999)"},
        ]
    }
    response = client.post(f"{ROOT}/$batch", json=body, headers=editor)
    assert response.status_code == 200
    by_id = {r["id"]: r for r in response.json()["responses"]}
    assert by_id["t"]["status"] == 201 and by_id["t"]["headers"]["location"].endswith(")")
    assert by_id["n"]["body"] == {"name": "Batch"}
    assert by_id["o"]["status"] == 201
    assert by_id["g1"]["status"] == 424 and by_id["g2"]["status"] == 400
    assert by_id["missing"]["status"] == 404
    names = {t["name"] for t in client.get(f"{ROOT}/Things", headers=editor).json()["value"]}
    assert names == {"Wetterstation Demo", "Batch"}  # the failed group left nothing behind
    assert client.post(f"{ROOT}/$batch", json=body).status_code == 401


def test_multipart_batch_with_a_change_set(client, editor):
    boundary, changeset = "batch_36522ad7", "changeset_77162fcd"
    text = (
        f"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        f"GET {ROOT}/Things HTTP/1.1\r\nHost: testserver\r\n\r\n\r\n"
        f"--{boundary}\r\nContent-Type: multipart/mixed; boundary={changeset}\r\n\r\n"
        f"--{changeset}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 1\r\n\r\n"
        f"POST {ROOT}/Things HTTP/1.1\r\nContent-Type: application/json\r\n\r\n"
        '{"name": "Im Change-Set", "description": "x"}\r\n'
        f"--{changeset}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 2\r\n\r\n"
        "PATCH $1 HTTP/1.1\r\nContent-Type: application/json\r\n\r\n"
        '{"description": "geändert"}\r\n'
        f"--{changeset}--\r\n"
        f"--{boundary}--\r\n"
    )
    response = client.post(
        f"{ROOT}/$batch",
        content=text.encode(),
        headers={**editor, "Content-Type": f"multipart/mixed; boundary={boundary}"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("multipart/mixed; boundary=")
    assert response.text.count("HTTP/1.1 200") == 2 and "HTTP/1.1 201" in response.text
    things = client.get(f"{ROOT}/Things", headers=editor).json()["value"]
    assert [(t["name"], t["description"]) for t in things] == [("Im Change-Set", "geändert")]


def test_data_array_read_and_create_observations(client, editor):
    stream_id = _stream(client, editor)
    feature_id = create(
        client,
        "FeaturesOfInterest",
        {
            "name": "F",
            "description": "f",
            "encodingType": "application/geo+json",
            "feature": {"type": "Point", "coordinates": [7, 51]},
        },
        editor,
    )
    documents = [
        {
            "Datastream": {"@iot.id": stream_id},
            "components": ["phenomenonTime", "result", "FeatureOfInterest/id"],
            "dataArray": [
                ["2024-01-01T00:00:00Z", 1, feature_id],
                ["2024-01-01T01:00:00Z", 2, feature_id],
                ["kein Datum", 3, feature_id],
            ],
        }
    ]
    response = client.post(f"{ROOT}/CreateObservations", json=documents, headers=editor)
    assert response.status_code == 201
    links = response.json()
    assert links[0].startswith(f"http://testserver{ROOT}/Observations(") and links[2].startswith("error")
    body = client.get(
        f"{ROOT}/Datastreams({stream_id})/Observations?$resultFormat=dataArray&$orderby=phenomenonTime&$count=true",
        headers=editor,
    ).json()
    group = body["value"][0]
    assert group["Datastream@iot.navigationLink"].endswith(f"Datastreams({stream_id})")
    assert group["components"] == ["id", "phenomenonTime", "resultTime", "result"]
    assert [row[1:] for row in group["dataArray"]] == [
        ["2024-01-01T00:00:00Z", None, 1],
        ["2024-01-01T01:00:00Z", None, 2],
    ]
    assert group["dataArray@iot.count"] == 2 and body["@iot.count"] == 2
    selected = client.get(
        f"{ROOT}/Observations?$resultFormat=dataArray&$select=result,phenomenonTime&$top=1&$orderby=id",
        headers=editor,
    ).json()
    assert selected["value"][0]["components"] == ["result", "phenomenonTime"] and "@iot.nextLink" in selected
    assert client.post(f"{ROOT}/CreateObservations", json=documents).status_code == 401


def test_multi_datastream(client, editor):
    thing_id = create(client, "Things", weather_station(), editor)
    body = {
        "name": "Wind",
        "description": "Richtung und Geschwindigkeit",
        "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_ComplexObservation",
        "unitOfMeasurements": [{"name": "Grad", "symbol": "°"}, {"name": "m/s", "symbol": "m/s"}],
        "multiObservationDataTypes": ["OM_Measurement", "OM_Measurement"],
        "Thing": {"@iot.id": thing_id},
        "Sensor": {"name": "Anemometer", "description": "a", "encodingType": "text/html", "metadata": "m"},
        "ObservedProperties": [
            {"name": "Windrichtung", "definition": "d1", "description": "x"},
            {"name": "Windgeschwindigkeit", "definition": "d2", "description": "y"},
        ],
    }
    mds_id = create(client, "MultiDatastreams", body, editor)
    props = client.get(f"{ROOT}/MultiDatastreams({mds_id})/ObservedProperties", headers=editor).json()[
        "value"
    ]
    assert {p["name"] for p in props} == {"Windrichtung", "Windgeschwindigkeit"}
    obs_id = create(client, f"MultiDatastreams({mds_id})/Observations", {"result": [270, 3.5]}, editor)
    obs = client.get(f"{ROOT}/Observations({obs_id})", headers=editor).json()
    assert obs["result"] == [270, 3.5] and "MultiDatastream@iot.navigationLink" in obs
    assert "Datastream@iot.navigationLink" not in obs
    wrong = client.post(f"{ROOT}/MultiDatastreams({mds_id})/Observations", json={"result": 1}, headers=editor)
    assert wrong.status_code == 400
    del body["ObservedProperties"]
    assert client.post(f"{ROOT}/MultiDatastreams", json=body, headers=editor).status_code == 400


def test_add_observations_bulk_insert_checks_rights(client, editor, db, world):
    stream_id = _stream(client, editor)
    start = datetime(2024, 6, 1, tzinfo=UTC)
    rows = [{"phenomenonTime": start + timedelta(minutes=i), "result": i / 10} for i in range(500)]
    city_editor = Principal(
        kind="apikey", tenant_id=world.tenants["stadt-gelsenkirchen"], role=Role.EDITOR, name="e"
    )
    with db.transaction(city_editor) as session:
        ids = add_observations(session, stream_id, rows)
    assert len(ids) == 500 and ids == sorted(ids)
    body = client.get(
        f"{ROOT}/Datastreams({stream_id})/Observations?$filter=result ge 49.9&$count=true", headers=editor
    ).json()
    assert body["@iot.count"] == 1 and body["value"][0]["phenomenonTime"] == "2024-06-01T08:19:00Z"
    stream = client.get(f"{ROOT}/Datastreams({stream_id})", headers=editor).json()
    assert stream["phenomenonTime"] == "2024-06-01T00:00:00Z/2024-06-01T08:19:00Z"
    outsider = Principal(kind="apikey", tenant_id=world.tenants["gelsen-net"], role=Role.OPERATOR, name="net")
    viewer = Principal(
        kind="apikey", tenant_id=world.tenants["stadt-gelsenkirchen"], role=Role.VIEWER, name="v"
    )
    client.patch(f"{ROOT}/Things(1)", json={"@gelsencloud.classification": "public"}, headers=editor)
    for principal in (outsider, viewer):
        with pytest.raises(PermissionDenied):
            with db.transaction(principal) as session:
                add_observations(session, stream_id, rows[:1])
    with db.transaction(SYSTEM) as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == 500


def test_create_observations_reports_each_bad_row_and_keeps_the_good_ones(client, editor, db, world):
    stream_id = _stream(client, editor)
    documents = [
        {
            "Datastream": {"@iot.id": stream_id},
            "components": ["phenomenonTime", "result", "parameters", "FeatureOfInterest/id"],
            "dataArray": [
                ["2024-02-01T00:00:00Z", 1.5, {"rssi": -90}, None],  # feature derived from the Location
                ["2024-02-01T00:01:00Z", 2.5, None, 99999],  # no such feature
                ["2024-02-01T00:02:00Z", 3.5, "laut", None],  # parameters must be an object
                ["2024-02-01T00:03:00Z", 4.5],  # wrong width
                ["2024-02-01T00:04:00Z/2024-02-01T00:05:00Z", "text", None, None],
            ],
        },
        {"Datastream": {"@iot.id": stream_id}, "components": ["phenomenonTime"], "dataArray": [["2024-02-02"]]},
    ]
    response = client.post(f"{ROOT}/CreateObservations", json=documents, headers=editor)
    assert response.status_code == 201
    links = response.json()
    assert len(links) == 6
    assert links[0].startswith(f"http://testserver{ROOT}/Observations(")
    assert "FeatureOfInterest" in links[1] and "99999" in links[1]
    assert links[2].startswith("error") and "parameters" in links[2]
    assert links[3].startswith("error") and "4 values" in links[3]
    assert links[4].startswith(f"http://testserver{ROOT}/Observations(")
    assert links[5].startswith("error") and "result" in links[5]
    rows = client.get(
        f"{ROOT}/Datastreams({stream_id})/Observations?$orderby=phenomenonTime&$expand=FeatureOfInterest",
        headers=editor,
    ).json()["value"]
    assert [r["result"] for r in rows] == [1.5, "text"]
    assert rows[0]["parameters"] == {"rssi": -90} and rows[0]["FeatureOfInterest"]["@iot.id"] > 0
    assert rows[1]["phenomenonTime"] == "2024-02-01T00:04:00Z/2024-02-01T00:05:00Z"
    stream = client.get(f"{ROOT}/Datastreams({stream_id})", headers=editor).json()
    assert stream["phenomenonTime"] == "2024-02-01T00:00:00Z/2024-02-01T00:05:00Z"
    # A malformed document is refused as a whole before anything is written.
    broken = [documents[0], {"Datastream": {"@iot.id": stream_id}, "dataArray": []}]
    assert client.post(f"{ROOT}/CreateObservations", json=broken, headers=editor).status_code == 400
    assert len(client.get(f"{ROOT}/Observations", headers=editor).json()["value"]) == 2


def test_create_observations_refuses_a_datastream_of_another_tenant(client, editor, db, world):
    from gelsencloud.core import identity
    from helpers import auth

    stream_id = _stream(client, editor)
    client.patch(f"{ROOT}/Things(1)", json={"@gelsencloud.classification": "public"}, headers=editor)
    with db.transaction(SYSTEM) as session:
        key = identity.create_api_key(
            session, tenant=identity.get_tenant(session, "gelsen-net"), role="operator", name="net"
        ).key
    documents = [
        {"Datastream": {"@iot.id": stream_id}, "components": ["result"], "dataArray": [[1], [2]]}
    ]
    response = client.post(f"{ROOT}/CreateObservations", json=documents, headers=auth(key))
    assert response.status_code == 403, response.text
    with db.transaction(SYSTEM) as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == 0


def test_add_observations_writes_nothing_when_one_row_is_bad(db, client, editor, world):
    stream_id = _stream(client, editor)
    city_editor = Principal(
        kind="apikey", tenant_id=world.tenants["stadt-gelsenkirchen"], role=Role.EDITOR, name="e"
    )
    rows = [{"phenomenonTime": "2024-01-01T00:00:00Z", "result": 1}, {"phenomenonTime": "gestern", "result": 2}]
    from gelsencloud.apis.sensorthings.errors import StaError

    with pytest.raises(StaError, match="phenomenonTime"):
        with db.transaction(city_editor) as session:
            add_observations(session, stream_id, rows)
    with db.transaction(SYSTEM) as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == 0
