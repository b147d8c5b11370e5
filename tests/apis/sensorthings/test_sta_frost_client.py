"""Interoperability: the independent FROST Python client against the real app served by uvicorn."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import frost_sta_client as fsc
import geojson
import httpx
import pytest
import requests
import uvicorn
from sta_helpers import ROOT

from helpers import PASSWORD


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(app):
    """The app on a real localhost port, in a background thread."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not instance.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.mark.usefixtures("backend")
def test_frost_client_creates_and_queries(server, world):
    service = fsc.SensorThingsService(
        f"{server}{ROOT}", auth_handler=fsc.AuthHandler(username="api", password=world.keys["city.editor"])
    )
    location = fsc.Location(
        name="Musiktheater",
        description="Dach",
        encoding_type="application/geo+json",
        location=geojson.Point((7.0986, 51.5075)),
    )
    thing = fsc.Thing(
        name="Luftmessstation Demo", description="synthetisch", properties={"betreiber": "Stadt"}
    )
    thing.locations = [location]
    service.create(thing)
    assert isinstance(thing.id, int)
    sensor = fsc.Sensor(
        name="SDS011", description="Feinstaub", encoding_type="text/html", metadata="https://example.org"
    )
    observed = fsc.ObservedProperty(
        name="PM10", definition="https://example.org/pm10", description="Feinstaub PM10"
    )
    stream = fsc.Datastream(
        name="PM10 Musiktheater",
        description="Feinstaub",
        observation_type="http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
        unit_of_measurement=fsc.UnitOfMeasurement(
            name="Mikrogramm pro Kubikmeter", symbol="µg/m³", definition="ucum:ug/m3"
        ),
        thing=thing,
        sensor=sensor,
        observed_property=observed,
    )
    service.create(stream)
    start = datetime(2024, 2, 1, tzinfo=UTC)
    for i in range(7):
        obs = fsc.Observation(
            result=10 + i, phenomenon_time=(start + timedelta(hours=i)).isoformat(), datastream=stream
        )
        service.create(obs)

    found = service.things().find(thing.id)
    assert found.name == "Luftmessstation Demo"
    high = service.observations().query().filter("result gt 13").orderby("result", "ASC").list()
    assert [o.result for o in high] == [14, 15, 16]
    # EntityList follows @iot.nextLink: 7 observations in pages of 2
    paged = service.datastreams().find(stream.id).get_observations().query().top(2).list()
    assert sorted(o.result for o in paged) == list(range(10, 17))
    expanded = (
        service.things()
        .query()
        .expand("Datastreams($expand=Observations($top=1;$orderby=phenomenonTime desc))")
        .list()
    )
    assert [t.name for t in expanded] == ["Luftmessstation Demo"]
    raw = httpx.get(
        f"{server}{ROOT}/Things({thing.id})?$expand=Locations", auth=("api", world.keys["city.editor"])
    ).json()
    assert raw["Locations"][0]["location"]["coordinates"] == [7.0986, 51.5075]

    # PUT (update) and JSON Patch (patch) as the client sends them
    found.description = "aktualisiert"
    service.update(found)
    service.things().patch(found, [{"op": "replace", "path": "/name", "value": "Gepatcht"}])
    assert service.things().find(thing.id).name == "Gepatcht"
    assert service.things().find(thing.id).description == "aktualisiert"

    # bulk: CreateObservations with a DataArrayDocument
    document = fsc.DataArrayDocument()
    dav = fsc.DataArrayValue()
    dav.datastream = stream
    dav.components = {fsc.DataArrayValue.Property.PHENOMENON_TIME, fsc.DataArrayValue.Property.RESULT}
    for i in range(3):
        dav.add_observation(
            fsc.Observation(
                result=100 + i,
                phenomenon_time=(start + timedelta(days=1, hours=i)).isoformat(),
                datastream=stream,
            )
        )
    document.add_data_array_value(dav)
    created = service.observations().create(document)
    assert len(created) == 3 and all(o.self_link.startswith(f"{server}{ROOT}/Observations(") for o in created)
    hidden = httpx.get(f"{server}{ROOT}/Observations?$filter=result ge 100&$count=true").json()
    assert hidden["@iot.count"] == 0  # internal by default: anonymous callers see nothing
    mine = httpx.get(
        f"{server}{ROOT}/Observations?$filter=result ge 100&$count=true",
        auth=("api", world.keys["city.editor"]),
    ).json()
    assert mine["@iot.count"] == 3

    # user name + password over Basic works too; a wrong password is refused
    by_password = fsc.SensorThingsService(
        f"{server}{ROOT}", auth_handler=fsc.AuthHandler(username="city.editor", password=PASSWORD)
    )
    assert by_password.things().find(thing.id).name == "Gepatcht"
    anonymous = fsc.SensorThingsService(f"{server}{ROOT}")
    with pytest.raises(requests.HTTPError, match="401"):
        anonymous.create(fsc.Thing(name="x", description="y"))
    service.delete(found)
    assert (
        httpx.get(f"{server}{ROOT}/Things({thing.id})", auth=("api", world.keys["city.editor"])).status_code
        == 404
    )


def test_links_honour_trusted_proxy_headers(server, world):
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "daten.gelsenkirchen.de",
        "X-Forwarded-Prefix": "/api-gw",
    }
    auth = ("api", world.keys["city.editor"])
    for i in range(2):
        httpx.post(
            f"{server}{ROOT}/Things", json={"name": f"T{i}", "description": "d"}, auth=auth
        ).raise_for_status()
    body = httpx.get(f"{server}{ROOT}/Things?$top=1", headers=headers, auth=auth).json()
    assert body["@iot.nextLink"].startswith(f"https://daten.gelsenkirchen.de/api-gw{ROOT}/Things?")
    assert body["value"][0]["@iot.selfLink"].startswith(
        f"https://daten.gelsenkirchen.de/api-gw{ROOT}/Things("
    )
