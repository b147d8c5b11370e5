"""The public sensor explorer: /sensoren, Thing pages with Vega-Lite charts, and the map layer."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from gelsencloud.apis.sensorthings.service import add_observations
from gelsencloud.apps.sensorhub import service
from gelsencloud.core.models import utcnow
from gelsencloud.core.principal import Principal, Role
from helpers import auth

HOURS = 10 * 24  # ten days of hourly PM10 values


def city(world) -> Principal:
    return Principal(kind="user", tenant_id=world.tenants["stadt-gelsenkirchen"], role=Role.EDITOR, name="ed")


@pytest.fixture
def sensors(db, world):
    """A public air station with ten days of hourly PM10 and an internal water meter, both of the city."""
    now = utcnow().replace(minute=30, second=0, microsecond=0)
    with db.transaction(city(world)) as session:
        public = service.register_device(
            session,
            name="Luftmessstation Ückendorf",
            category="air_quality",
            longitude=7.09,
            latitude=51.49,
            site="Bochumer Straße",
            data_classification="public",
            classification="public",
        )
        pm10 = service.ensure_datastream(session, public, "pm10", "ug/m3")
        no2 = service.ensure_datastream(session, public, "no2", "ug/m3")
        internal = service.register_device(
            session,
            name="Wasserzähler Verwaltung intern",
            category="water_meter",
            longitude=7.10,
            latitude=51.51,
            data_classification="internal",
            classification="internal",
        )
        water = service.ensure_datastream(session, internal, "volume", "L")
        session.flush()
        pm_rows = [
            {"phenomenonTime": now - timedelta(hours=h), "result": 10.0 + (h % 24)} for h in range(HOURS)
        ]
        # The newest value (h = 0) is 10.0; one more, later, gives the latest: 18.2.
        pm_rows.append({"phenomenonTime": now + timedelta(minutes=10), "result": 18.2})
        add_observations(session, pm10, pm_rows)
        add_observations(session, no2, [{"phenomenonTime": now, "result": 24.0}])
        add_observations(session, water, [{"phenomenonTime": now, "result": 4711.0}])
        ids = {
            "public": public.thing_id,
            "internal": internal.thing_id,
            "pm10": pm10,
            "no2": no2,
            "water": water,
            "now": now,
        }
    return ids


def embedded_specs(html: str) -> dict[int, dict]:
    """Parse the Vega-Lite specs embedded in a Thing page, by Datastream id."""
    found = re.findall(
        r'<script type="application/json" id="chart-(\d+)-spec"[^>]*>(.*?)</script>', html, re.S
    )
    return {int(i): json.loads(text) for i, text in found}


def test_anonymous_list_shows_public_sensors_with_latest_value_only(client, sensors):
    page = client.get("/sensoren")
    assert page.status_code == 200, page.text
    assert "Luftmessstation Ückendorf" in page.text
    assert "18,2 µg/m³" in page.text and "24,0 µg/m³" in page.text
    assert "Luftqualität" in page.text
    assert "Wasserzähler Verwaltung intern" not in page.text and "4.711" not in page.text
    assert f'href="/sensoren/{sensors["public"]}"' in page.text


def test_viewer_of_the_tenant_sees_internal_sensors_too(client, world, sensors):
    page = client.get("/sensoren", headers=auth(world.keys["city.viewer"]))
    assert page.status_code == 200
    assert "Luftmessstation Ückendorf" in page.text and "Wasserzähler Verwaltung intern" in page.text
    assert "4.711,0 L" in page.text
    other = client.get("/sensoren", headers=auth(world.keys["net.admin"]))
    assert "Wasserzähler Verwaltung intern" not in other.text


def test_category_filter(client, world, sensors):
    key = auth(world.keys["city.viewer"])
    water = client.get("/sensoren?kategorie=water_meter", headers=key)
    assert "Wasserzähler Verwaltung intern" in water.text and "Luftmessstation Ückendorf" not in water.text
    air = client.get("/sensoren?kategorie=air_quality", headers=key)
    assert "Luftmessstation Ückendorf" in air.text and "Wasserzähler Verwaltung intern" not in air.text


def test_thing_page_embeds_a_valid_vega_lite_spec_matching_the_observations(client, sensors):
    page = client.get(f"/sensoren/{sensors['public']}?zeitraum=24h")
    assert page.status_code == 200, page.text
    specs = embedded_specs(page.text)
    assert set(specs) == {sensors["pm10"], sensors["no2"]}
    spec = specs[sensors["pm10"]]
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")
    assert spec["mark"]["type"] == "line"
    assert spec["encoding"]["x"] == {"field": "zeit", "type": "temporal", "title": "Zeit"}
    assert spec["encoding"]["y"]["field"] == "wert" and spec["encoding"]["y"]["type"] == "quantitative"
    values = spec["data"]["values"]
    # Observations of the last 24 hours: h = 0..23 (h = 24 is exactly at the boundary or before) + the newest.
    now = sensors["now"]
    expected = sorted(
        [(now - timedelta(hours=h), 10.0 + (h % 24)) for h in range(HOURS)]
        + [(now + timedelta(minutes=10), 18.2)]
    )
    assert values[-1]["wert"] == 18.2
    by_time = {v["zeit"][:16]: v["wert"] for v in values}
    for moment, value in expected[-len(values) :]:
        assert by_time[moment.isoformat()[:16]] == value
    assert 24 <= len(values) <= 26
    assert f"/sta/v1.1/Things({sensors['public']})" in page.text
    assert f"/sta/v1.1/Datastreams({sensors['pm10']})" in page.text
    assert "/static/core/vendor/vega-embed/vega-embed.min.js" in page.text
    assert "<details>" in page.text and "<caption>" in page.text
    # The registry entry of this device is public, so anonymous visitors see its health.
    assert "Gerätezustand" in page.text


def test_period_switch_changes_the_number_of_points(client, sensors):
    counts = {}
    for period in ("24h", "7d", "30d"):
        page = client.get(f"/sensoren/{sensors['public']}?zeitraum={period}")
        counts[period] = len(embedded_specs(page.text)[sensors["pm10"]]["data"]["values"])
    assert counts["24h"] < counts["7d"] < counts["30d"]
    assert 7 * 24 <= counts["7d"] <= 7 * 24 + 2
    # Hourly means: 240 hourly values + the newest, which falls into the newest value's hour.
    assert counts["30d"] == HOURS
    default = client.get(f"/sensoren/{sensors['public']}")
    assert len(embedded_specs(default.text)[sensors["pm10"]]["data"]["values"]) == counts["7d"]


def test_unknown_and_invisible_things_are_404(client, world, sensors):
    assert client.get(f"/sensoren/{sensors['internal']}").status_code == 404
    assert client.get("/sensoren/999999").status_code == 404
    assert (
        client.get(f"/sensoren/{sensors['internal']}", headers=auth(world.keys["net.admin"])).status_code
        == 404
    )
    own = client.get(f"/sensoren/{sensors['internal']}", headers=auth(world.keys["city.viewer"]))
    assert own.status_code == 200 and "Wasserzähler Verwaltung intern" in own.text


@pytest.mark.usefixtures("backend")
def test_map_geojson_lists_visible_sensors_with_latest_values(client, world, sensors):
    response = client.get("/api/v1/sensorhub/map.geojson")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["thing_id"] for f in body["features"]] == [sensors["public"]]
    feature = body["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [7.09, 51.49]}
    props = feature["properties"]
    assert props["name"] == "Luftmessstation Ückendorf" and props["category"] == "Luftqualität"
    assert props["link"] == f"/sensoren/{sensors['public']}"
    assert props["latest"] == "PM10 18,2 µg/m³ · NO2 24,0 µg/m³"
    mine = client.get("/api/v1/sensorhub/map.geojson", headers=auth(world.keys["city.viewer"])).json()
    assert {f["properties"]["thing_id"] for f in mine["features"]} == {sensors["public"], sensors["internal"]}
    # Anonymous list on this backend too.
    page = client.get("/sensoren")
    assert "18,2 µg/m³" in page.text and "Wasserzähler Verwaltung intern" not in page.text


def test_health_is_hidden_when_the_registry_entry_is_internal(client, db, world):
    with db.transaction(city(world)) as session:
        device = service.register_device(
            session,
            name="Parkplatz Demo",
            category="parking_space",
            data_classification="public",
            classification="internal",
        )
        thing_id = device.thing_id
    public = client.get(f"/sensoren/{thing_id}")
    assert public.status_code == 200 and "Parkplatz Demo" in public.text
    assert "Gerätezustand" not in public.text
    staff = client.get(f"/sensoren/{thing_id}", headers=auth(world.keys["city.viewer"]))
    assert "Gerätezustand" in staff.text and "noch nie gesehen" not in staff.text


def test_english_labels(client, sensors):
    page = client.get("/sensoren?lang=en")
    assert "Air quality" in page.text and "Latest value" in page.text and "18.2 µg/m³" in page.text


def test_sensors_layer_and_nav_are_registered(registry):
    layers = {layer.id: layer for layer in registry.map_layers()}
    assert layers["sensoren"].url == "/api/v1/sensorhub/map.geojson"
    assert layers["sensoren"].text_alternative == "/sensoren"


def test_public_data_of_an_internal_registry_entry_is_on_the_anonymous_map(client, db, world):
    # The demo's devices have internal registry rows but public data: their Location must be public.
    with db.transaction(city(world)) as session:
        device = service.register_device(
            session,
            name="Stellplatz Ebertstraße",
            category="parking_space",
            dev_eui="70b3d57ed00300ff",
            decoder="gelsencloud-parking",
            longitude=7.0995,
            latitude=51.5085,
            data_classification="public",
            classification="internal",
        )
        thing_id = device.thing_id
    features = client.get("/api/v1/sensorhub/map.geojson").json()["features"]
    mine = [f for f in features if f["properties"]["thing_id"] == thing_id]
    assert mine and mine[0]["geometry"]["coordinates"] == [7.0995, 51.5085]
