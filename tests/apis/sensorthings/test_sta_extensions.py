"""GELSENcloud extensions: latest Observation per Datastream and server-side time aggregation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from sta_helpers import ROOT, create, weather_station

from gelsencloud.apis.sensorthings.service import add_observations
from gelsencloud.core.principal import Principal, Role

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def stream(client, editor, db, world) -> int:
    """A Datastream with 3 days × 24 hourly values: value = hour of day (day 3 adds 100)."""
    create(client, "Things", weather_station(classification="internal"), editor)
    stream_id = client.get(f"{ROOT}/Datastreams", headers=editor).json()["value"][0]["@iot.id"]
    start = datetime(2024, 1, 30, tzinfo=UTC)
    rows = [
        {"phenomenonTime": start + timedelta(hours=h), "result": h % 24 + (100 if h >= 48 else 0)}
        for h in range(72)
    ]
    rows.insert(5, {"phenomenonTime": start, "result": "defekt"})  # non-numeric results are not aggregated
    editor_principal = Principal(
        kind="apikey", tenant_id=world.tenants["stadt-gelsenkirchen"], role=Role.EDITOR, name="e"
    )
    with db.transaction(editor_principal) as session:
        add_observations(session, stream_id, rows)
    return stream_id


def test_latest_observation(client, editor, stream):
    latest = client.get(f"{ROOT}/Datastreams({stream})/Observations/latest", headers=editor)
    assert latest.status_code == 200
    assert latest.json()["phenomenonTime"] == "2024-02-01T23:00:00Z" and latest.json()["result"] == 123
    assert client.get(f"{ROOT}/Datastreams({stream})/Observations/latest/result", headers=editor).json() == {
        "result": 123
    }
    assert client.get(f"{ROOT}/Datastreams({stream})/Observations/latest").status_code == 404  # internal data
    empty = create(
        client,
        "Datastreams",
        {
            "name": "leer",
            "description": "d",
            "observationType": "x",
            "unitOfMeasurement": {},
            "Thing": {"@iot.id": 1},
            "Sensor": {"@iot.id": 1},
            "ObservedProperty": {"@iot.id": 1},
        },
        editor,
    )
    assert client.get(f"{ROOT}/Datastreams({empty})/Observations/latest", headers=editor).status_code == 404


def test_time_aggregation(client, editor, stream):
    url = f"{ROOT}/Datastreams({stream})/Observations/$aggregate"
    daily = client.get(f"{url}?aggrMethod=avg&aggrPeriod=day&aggrTimeZone=UTC", headers=editor).json()
    assert daily["aggregation"] == {"method": "avg", "period": "day", "timeZone": "UTC"}
    assert [(v["phenomenonTime"], v["result"], v["count"]) for v in daily["value"]] == [
        ("2024-01-30T00:00:00Z/2024-01-31T00:00:00Z", 11.5, 24),
        ("2024-01-31T00:00:00Z/2024-02-01T00:00:00Z", 11.5, 24),
        ("2024-02-01T00:00:00Z/2024-02-02T00:00:00Z", 111.5, 24),
    ]
    monthly = client.get(f"{url}?aggrMethod=max&aggrPeriod=month&aggrTimeZone=UTC", headers=editor).json()["value"]
    assert [(v["phenomenonTime"], v["result"]) for v in monthly] == [
        ("2024-01-01T00:00:00Z/2024-02-01T00:00:00Z", 23.0),
        ("2024-02-01T00:00:00Z/2024-03-01T00:00:00Z", 123.0),
    ]
    filtered = client.get(
        f"{url}?aggrMethod=count&aggrPeriod=hour&aggrTimeZone=UTC&$filter=" + quote("result ge 120"), headers=editor
    ).json()["value"]
    assert [(v["phenomenonTime"][:13], v["result"]) for v in filtered] == [
        (f"2024-02-01T{h}", 1) for h in range(20, 24)
    ]
    assert client.get(f"{url}?aggrMethod=median", headers=editor).status_code == 400
    assert client.get(f"{url}?aggrPeriod=week", headers=editor).status_code == 400
    assert client.get(f"{url}?aggrMethod=avg").status_code == 404  # anonymous: the Datastream is internal
    everything = client.get(f"{ROOT}/Observations/$aggregate?aggrMethod=count&aggrPeriod=year").json()
    assert everything["value"] == []
