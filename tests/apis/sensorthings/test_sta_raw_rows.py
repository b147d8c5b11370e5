"""The HTTP read path (raw rows, JSON text written from pieces) gives exactly the general path's bytes.

The general path is what $batch and single entities use: typed columns, entity dicts, JSONResponse.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sta_helpers import ROOT, create, weather_station

from gelsencloud.apis.sensorthings import dispatch
from gelsencloud.apis.sensorthings.service import read

pytestmark = pytest.mark.usefixtures("backend")

RESULTS = [
    None,
    0,
    -17,
    3.5,
    0.1 + 0.2,  # many digits
    1e-300,
    123456789.123456789,
    2**53 + 1,
    True,
    -0.0,
    1e22,
    "12",  # a string that reads like a number
    "Regen",
    "Grüße “quoted” \\ / \n",
    "",
    [1, "zwei", None, {"drei": 3.25}],
    {"a": {"b": [1.5, None, "ß"]}, "leer": {}},
]

QUERIES = [
    "Observations?$orderby=id&$top=1000",
    "Observations?$orderby=phenomenonTime desc,id&$top=7&$count=true",
    "Observations?$select=phenomenonTime,result&$orderby=phenomenonTime&$top=1000",
    "Observations?$select=id,resultTime,validTime,resultQuality,parameters&$top=1000",
    "Observations?$select=result,selfLink,Datastream&$top=1000",
    "Observations?$expand=Datastream($select=name,unitOfMeasurement),FeatureOfInterest&$top=1000",
    "Datastreams?$expand=Observations($top=1;$orderby=phenomenonTime desc)",
    "Datastreams?$expand=Observations($top=3;$orderby=phenomenonTime desc;$count=true)",
    "Datastreams?$select=id,phenomenonTime,resultTime&$expand=Observations($select=result,validTime;$top=2)",
    "Datastreams?$expand=Thing($expand=Locations),Sensor,ObservedProperty",
    "Things?$expand=Datastreams($expand=Observations($top=2))",
    "Things?$select=name,properties",
    "Locations",
    "FeaturesOfInterest",
    "HistoricalLocations",
    "Sensors?$select=metadata,properties",
    "Observations?$top=3&$count=true",
    "Observations?$select=Datastream&$top=3",
    "Datastreams?$select=Observations&$expand=Observations($top=2;$count=true)",
    "Things?$select=id&$expand=Locations($select=location),Datastreams($select=unitOfMeasurement)",
    "Datastreams?$filter=name eq 'Lufttemperatur'&$expand=Observations($filter=result ge 3;$top=100)",
]


@pytest.fixture
def varied(client, editor):
    """Two Datastreams with Observations of every kind of result, times with and without fractions."""
    streams = []
    for name in ("Varia", "Leer"):
        thing = create(client, "Things", weather_station(name=f"Station {name}"), editor)
        listing = client.get(f"{ROOT}/Things({thing})/Datastreams", headers=editor).json()["value"]
        streams.append(listing[0]["@iot.id"])
    for index, value in enumerate(RESULTS):
        body = {"phenomenonTime": f"2024-05-{index + 1:02d}T12:{index:02d}:07Z", "result": value}
        if index % 3 == 0:
            body["phenomenonTime"] = (
                f"2024-05-{index + 1:02d}T12:00:00.{index:03d}250Z/2024-05-{index + 2:02d}T00:00:00Z"
            )
        if index % 4 == 1:
            body["resultTime"] = f"2024-06-01T00:00:00.{index:06d}Z"
            body["validTime"] = "2024-06-01T00:00:00Z/2024-07-01T00:00:00.5+02:00"
        if index % 5 == 2:
            body["resultQuality"] = [{"score": 0.97, "text": "geprüft"}] if index % 2 else "ok"
        if index % 2:
            body["parameters"] = {"n": index, "tiefe": 1.25e-7, "leer": None}
        create(client, f"Datastreams({streams[0]})/Observations", body, editor)
    return streams


def _general_path(monkeypatch):
    """Force every read onto the general path: typed columns, entity dicts encoded by JSONResponse."""
    original = read.columns
    monkeypatch.setattr(
        read, "columns", lambda entity, attrs=None, dialect=None, raw=False: original(entity, attrs, dialect)
    )
    monkeypatch.setattr(
        dispatch, "collection_encoded", lambda *args: JSONResponse(read.collection_json(*args)).body
    )


@pytest.mark.parametrize("query", QUERIES)
def test_raw_rows_give_the_same_bytes_as_the_general_path(client, editor, varied, monkeypatch, query):
    path, _, options = query.partition("?")
    url = f"{ROOT}/{path}?" + "&".join(
        f"{key}={quote(value, safe='$,')}"
        for key, _, value in (p.partition("=") for p in options.split("&") if p)
    )
    fast = client.get(url, headers=editor)
    assert fast.status_code == 200, fast.text
    assert fast.json()["value"], "the query must find something to compare"
    _general_path(monkeypatch)
    general = client.get(url, headers=editor)
    assert general.status_code == 200
    assert fast.content == general.content


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # only SQLite stores timestamps as text
def test_raw_timestamps_in_other_stored_forms_are_parsed(client, editor, varied, db, monkeypatch):
    """A timestamp stored by another writer in another text form is read as the general path reads it."""
    with db.engine.begin() as conn:
        first = conn.execute(text("SELECT min(id) FROM sta_observations")).scalar_one()
        conn.execute(
            text("UPDATE sta_observations SET phenomenon_time_start = :t, result = 7 WHERE id = :id"),
            {"t": "2024-05-01 14:00:00.250000+02:00", "id": first},
        )
    url = f"{ROOT}/Observations?$filter=id eq {first}"
    fast = client.get(url, headers=editor)
    assert fast.json()["value"][0]["phenomenonTime"].startswith("2024-05-01T12:00:00.250000Z")
    assert fast.json()["value"][0]["result"] == 7  # a bare number in the JSON column stays a number
    _general_path(monkeypatch)
    assert client.get(url, headers=editor).content == fast.content
