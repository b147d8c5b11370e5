"""The tour a new user takes after `make demo`, end to end in Chromium (issue 6).

Start page -> map -> a sensor's chart -> a dataset with its chart -> a cockpit KPI -> log in as staff
-> register a device -> issue an ingestion key -> the device's first uplink arrives through the
ChirpStack webhook, as a network server would send it, and shows on the device page.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import httpx

from gelsencloud.apps.sensorhub import decoders
from gelsencloud.apps.sensorhub.lorawan.uplinks import GatewayReception, Uplink, chirpstack_v4_body

from .test_browser import DESKTOP, check_page, log_in, open_page

AIR = {"pm10": 18.5, "pm2_5": 9.5, "no2": 21.0, "temperature": 6.5, "humidity": 84.0, "pressure": 1009.0}


def _chart_drawn(locator) -> None:
    """Wait until vega-embed has drawn marks into a chart container."""
    locator.locator(
        "svg .mark-line path, svg .mark-symbol path, svg .mark-rect path, svg .mark-area path"
    ).first.wait_for()


def test_the_tour_of_the_demo_city(page, live_server):
    names = {p.name for p in live_server.registry.plugins}
    assert {"sensorhub", "opendata", "cockpit"} <= names, live_server.fallback_reason

    # 1. The start page: the city today.
    open_page(page, live_server, "/", DESKTOP)
    assert page.locator("h1").first.inner_text().strip()
    assert "synthetisch" in page.content().lower()  # the demo city says that it is made up

    # 2. The map, reached through the main navigation: districts and sensors, without a tile server.
    page.locator("header nav a[href='/karte']").first.click()
    page.wait_for_url(re.compile(r".*/karte$"))
    page.wait_for_selector("#map[data-ready=true]")
    assert page.locator("#map .leaflet-interactive").count() > 10

    # 3. A sensor's chart, from the sensor explorer.
    open_page(page, live_server, "/sensoren", DESKTOP)
    page.locator("main table a[href^='/sensoren/']").first.click()
    page.wait_for_url(re.compile(r".*/sensoren/\d+$"))
    _chart_drawn(page.locator(".sensor-chart").first)

    # 4. A dataset of the open data portal with its recommended chart.
    open_page(page, live_server, "/daten", DESKTOP)
    page.locator("main a[href^='/daten/']:not([href='/daten/neu'])").first.click()
    page.wait_for_url(re.compile(r".*/daten/[^/]+$"))
    chart = page.frame_locator("figure.chart iframe").first
    chart.locator("svg, canvas").first.wait_for()

    # 5. A KPI of the strategy cockpit with its IST/SOLL chart.
    open_page(page, live_server, "/cockpit", DESKTOP)
    page.locator("a[href='/cockpit/kennzahlen']").first.click()
    page.wait_for_url(re.compile(r".*/cockpit/kennzahlen$"))
    page.locator("main a[href='/cockpit/kennzahlen/ti-fixed-broadband']").first.click()  # one with demo values
    page.wait_for_url(re.compile(r".*/cockpit/kennzahlen/[^/]+$"))
    _chart_drawn(page.locator("#kpi-chart"))

    # 6. Staff log in and register a new air-quality station.
    log_in(page, live_server)
    open_page(page, live_server, "/arbeitsbereich/geraete", DESKTOP)
    page.get_by_role("link", name="Gerät registrieren").click()
    dev_eui = "70b3d57ed00f" + uuid.uuid4().hex[:4]
    page.fill("#d-name", "Luftmessstation Tour")
    page.select_option("#d-category", "air_quality")
    page.fill("#d-eui", dev_eui)
    page.select_option("#d-decoder", "gelsencloud-airq")
    page.fill("#d-lon", "7,0861")  # a German decimal comma is accepted
    page.fill("#d-lat", "51.5177")
    page.fill("#d-site", "Heinrich-König-Platz")
    page.get_by_role("button", name="Registrieren").click()
    page.wait_for_url(re.compile(r".*/arbeitsbereich/geraete/\d+$"))
    device_url = page.url
    assert page.locator("#device-state").inner_text() == "noch nie gesehen"
    assert "Noch keine Nachricht" in page.locator("#uplinks").inner_text()

    # 7. An ingestion key for the network server, issued once on the key page.
    open_page(page, live_server, "/arbeitsbereich/schluessel", DESKTOP)
    page.fill("#k-name", "ChirpStack Tour")
    page.select_option("#k-tenant", "stadt-gelsenkirchen")
    page.select_option("#k-role", "operator")
    page.get_by_role("button", name="Anlegen").click()
    key = page.locator("code.secret").inner_text().strip()
    assert key.startswith("gck_")

    # 8. The network server delivers the station's first uplink to the webhook.
    uplink = Uplink(
        dev_eui=dev_eui,
        received_at=datetime.now(UTC).replace(microsecond=0),
        network_server="chirpstack",
        f_port=1,
        f_cnt=1,
        payload=decoders.encode("gelsencloud-airq", AIR),
        gateways=(GatewayReception("gw-hans-sachs-haus", rssi=-88.0, snr=7.5),),
        event_id=str(uuid.uuid4()),
    )
    response = httpx.post(
        live_server.url("/ingest/chirpstack?event=up"),
        json=chirpstack_v4_body(uplink),
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert response.status_code == 200 and response.json()["status"] == "processed", response.text

    # 9. The device page shows it: the device is alive and its six readings are stored.
    device_path = device_url.removeprefix(live_server.base_url)
    problems = [
        p
        for path in ("/arbeitsbereich/geraete", "/arbeitsbereich/geraete/neu", device_path)
        for viewport in ("desktop", "mobile")
        for p in check_page(page, live_server, path, viewport)
    ]
    assert not problems, "\n".join(problems)  # the new staff pages pass axe too
    open_page(page, live_server, device_path, DESKTOP)
    assert page.locator("#device-state").inner_text() == "in Ordnung"
    first_row = page.locator("#uplinks tbody tr").first.inner_text()
    assert "verarbeitet" in first_row and "\t6\t" in first_row.replace("  ", "\t")
    page.get_by_role("link", name="Messwerte und Diagramme").click()
    page.wait_for_url(re.compile(r".*/sensoren/\d+$"))
    assert "18,5" in page.content() or "18.5" in page.content()
    assert not page.js_errors, page.js_errors
