"""Geocoding of address-only reports and reverse geocoding of pin-only ones (gazetteer and HTTP)."""

from __future__ import annotations

import json
import logging
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from gelsencloud.apps.maengelmelder.geocoding import (
    GazetteerGeocoder,
    GeocoderUnavailable,
    HttpGeocoder,
    gazetteer,
)

BBOX = (6.990, 51.484, 7.150, 51.628)  # the city profile's bounding box
# Response shapes as Nominatim 4.x (format=jsonv2, addressdetails=1) and Photon return them;
# the values are illustrative, not copied from a live server.
NOMINATIM_SEARCH = [
    {
        "place_id": 131278190,
        "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
        "osm_type": "node",
        "osm_id": 2456321101,
        "lat": "51.5088712",
        "lon": "7.0979846",
        "category": "place",
        "type": "house",
        "place_rank": 30,
        "importance": 0.00001,
        "addresstype": "place",
        "name": "",
        "display_name": "12, Bahnhofstraße, Altstadt, Gelsenkirchen-Mitte, Gelsenkirchen, "
        "Nordrhein-Westfalen, 45879, Deutschland",
        "address": {
            "house_number": "12",
            "road": "Bahnhofstraße",
            "suburb": "Altstadt",
            "city_district": "Gelsenkirchen-Mitte",
            "city": "Gelsenkirchen",
            "state": "Nordrhein-Westfalen",
            "ISO3166-2-lvl4": "DE-NW",
            "postcode": "45879",
            "country": "Deutschland",
            "country_code": "de",
        },
        "boundingbox": ["51.5088212", "51.5089212", "7.0979345", "7.0980345"],
    }
]
NOMINATIM_REVERSE = {
    "place_id": 98231,
    "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
    "osm_type": "way",
    "osm_id": 4420133,
    "lat": "51.5101",
    "lon": "7.0958",
    "category": "highway",
    "type": "pedestrian",
    "place_rank": 26,
    "importance": 0.1,
    "addresstype": "road",
    "name": "Bahnhofstraße",
    "display_name": "Bahnhofstraße, Altstadt, Gelsenkirchen, 45879, Deutschland",
    "address": {
        "road": "Bahnhofstraße",
        "suburb": "Altstadt",
        "city": "Gelsenkirchen",
        "postcode": "45879",
        "country": "Deutschland",
        "country_code": "de",
    },
    "boundingbox": ["51.5086", "51.5128", "7.0927", "7.0987"],
}
PHOTON_SEARCH = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [7.0979846, 51.5088712]},
            "properties": {
                "osm_type": "N",
                "osm_id": 2456321101,
                "osm_key": "place",
                "osm_value": "house",
                "type": "house",
                "housenumber": "12",
                "street": "Bahnhofstraße",
                "district": "Altstadt",
                "postcode": "45879",
                "city": "Gelsenkirchen",
                "state": "Nordrhein-Westfalen",
                "country": "Deutschland",
                "countrycode": "DE",
            },
        }
    ],
}
ESSEN = [dict(NOMINATIM_SEARCH[0], lat="51.4556", lon="7.0116", display_name="Essen")]


@contextmanager
def fake_geocoder(routes: dict[str, tuple[int, object]]):
    """A tiny local HTTP server answering recorded geocoder responses; yields (url, request log)."""
    log: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server API)
            parsed = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
            log.append({"path": parsed.path, "query": query, "agent": self.headers.get("User-Agent")})
            status, body = routes.get(parsed.path, (404, {"error": "not found"}))
            if callable(body):
                body = body(query)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        server.shutdown()
        server.server_close()


def post(live: str, data: dict, fmt: str = "json") -> requests.Response:
    return requests.post(f"{live}/requests.{fmt}", data=data, timeout=20)


def read(live: str, rid: str) -> dict:
    [item] = requests.get(f"{live}/requests/{rid}.json?extensions=true", timeout=20).json()
    return item


SPERRMUELL = {
    "service_code": "sperrmuell",
    "attribute[gegenstaende]": "Schrank",
    "attribute[anzahl]": "1",
    "attribute[elektro]": "nein",
}


# --- offline gazetteer --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "address", "precision"),
    [
        ("Bahnhofstraße 12, 45879 Gelsenkirchen", "Bahnhofstraße 12, 45879 Gelsenkirchen", "house_number"),
        ("bahnhofstr. 12", "Bahnhofstraße 12, 45879 Gelsenkirchen", "house_number"),
        ("BAHNHOFSTRASSE 12a", "Bahnhofstraße 12, 45879 Gelsenkirchen", "house_number"),
        ("Kurt Schumacher Str 200", "Kurt-Schumacher-Straße 200, 45881 Gelsenkirchen", "house_number"),
        (
            "Vor Ückendorfer Straße 100 liegt Müll",
            "Ückendorfer Straße 100, 45886 Gelsenkirchen",
            "house_number",
        ),
        ("Hochstr., Buer", "Hochstraße, 45894 Gelsenkirchen", "street"),
        ("Cranger Straße 9999", "Cranger Straße, 45891 Gelsenkirchen", "street"),
        ("Bochumer Straße, 45886 Gelsenkirchen", "Bochumer Straße, 45886 Gelsenkirchen", "street"),
    ],
)
def test_gazetteer_understands_how_people_write_addresses(text, address, precision):
    found = gazetteer().geocode(text, BBOX)
    assert found is not None and found.address == address and found.precision == precision
    assert BBOX[1] < found.lat < BBOX[3] and BBOX[0] < found.lon < BBOX[2]
    assert found.source == "gazetteer" and found.zipcode == address.split(", ")[1][:5]


def test_gazetteer_interpolates_house_numbers_along_the_segment():
    geo = gazetteer()
    first, middle, last = (geo.geocode(f"Bahnhofstraße {n}", BBOX) for n in (1, 47, 94))
    assert (first.lat, first.lon) == (51.5086, 7.0987)  # the segment's start point
    assert (last.lat, last.lon) == (51.5128, 7.0927)
    assert first.lat < middle.lat < last.lat and last.lon < middle.lon < first.lon


@pytest.mark.parametrize(
    "text",
    [
        "Spielplatz hinter der Gesamtschule",
        "Bahnhofstraße 12, 45127 Essen",  # a street we know, in another town's postcode
        "Hauptbahnhofstraßenecke",  # a known name inside another word is no match
        "",
    ],
)
def test_gazetteer_does_not_guess(text):
    assert gazetteer().geocode(text, BBOX) is None


def test_gazetteer_reverse_finds_the_nearest_house_number_within_250_m():
    found = gazetteer().reverse(51.5100, 7.0960, BBOX)
    assert found.address == "Bahnhofstraße 37, 45879 Gelsenkirchen" and found.zipcode == "45879"
    assert (found.lat, found.lon) == (51.5100, 7.0960)  # the pin itself is kept
    assert gazetteer().reverse(51.6200, 6.9950, BBOX) is None  # fields far from every known street
    assert gazetteer().reverse(51.45, 7.01, BBOX) is None  # outside the city


def test_gazetteer_files_with_one_row_per_house(tmp_path):
    path = tmp_path / "alkis.csv"
    path.write_text(
        "# official house coordinates, one row per house\n"
        "street,postcode,quarter,from_no,to_no,start_lat,start_lon,end_lat,end_lon\n"
        "Musterweg,45879,altstadt,1,1,51.51,7.10,51.51,7.10\n"
        "Musterweg,45879,altstadt,3,3,51.52,7.11,51.52,7.11\n",
        encoding="utf-8",
    )
    geo = GazetteerGeocoder.from_file(path)
    assert (geo.geocode("Musterweg 3", BBOX).lat, geo.geocode("Musterweg 3", BBOX).precision) == (
        51.52,
        "house_number",
    )
    street = geo.geocode("Musterweg 2", BBOX)  # not in the register: the street's middle
    assert street.precision == "street" and street.lat == pytest.approx(51.515)
    empty = tmp_path / "empty.csv"
    empty.write_text("street,postcode,quarter,from_no,to_no,start_lat,start_lon,end_lat,end_lon\n")
    with pytest.raises(ValueError, match="no rows"):
        GazetteerGeocoder.from_file(empty)


# --- Open311 with the default gazetteer ---------------------------------------------------------


@pytest.mark.usefixtures("backend")
def test_address_only_reports_are_placed_on_the_map(live):
    created = post(live, dict(SPERRMUELL, address_string="Bahnhofstr. 12, 45879 Gelsenkirchen"))
    assert created.status_code == 201, created.text
    [answer] = created.json()
    assert answer["service_notice"] is None
    item = read(live, answer["service_request_id"])
    expected = gazetteer().geocode("Bahnhofstraße 12", BBOX)
    assert (item["lat"], item["long"]) == (expected.lat, expected.lon)
    assert item["address"] == "Bahnhofstr. 12, 45879 Gelsenkirchen"  # the citizen's words stay
    assert item["zipcode"] == "45879"
    extended = item["extended_attributes"]
    assert extended["location_source"] == "geocoder" and extended["address_source"] == "citizen"
    assert extended["district"] == "mitte" and extended["quarter"] == "altstadt"
    box = f"{expected.lon - 0.001},{expected.lat - 0.001},{expected.lon + 0.001},{expected.lat + 0.001}"
    found = requests.get(f"{live}/requests.json", params={"bbox": box}, timeout=20).json()
    assert [i["service_request_id"] for i in found] == [answer["service_request_id"]]


def test_unresolvable_addresses_are_accepted_without_coordinates(live):
    """The spec makes address_string a full location ("address or description of location")."""
    for fmt in ("json", "xml"):
        created = post(
            live, dict(SPERRMUELL, address_string="Spielplatz hinter der Gesamtschule Berger Feld"), fmt
        )
        assert created.status_code == 201, created.text
        if fmt == "json":
            [answer] = created.json()
            assert "von Hand verortet" in answer["service_notice"]
            item = read(live, answer["service_request_id"])
            assert item["lat"] is None and item["long"] is None and item["zipcode"] is None
            assert item["address"] == "Spielplatz hinter der Gesamtschule Berger Feld"
            assert item["extended_attributes"]["location_source"] is None
        else:
            assert "von Hand verortet.</service_notice>" in created.text
    # neither coordinates nor an address: still the clear 400 of before
    missing = post(live, SPERRMUELL)
    assert missing.status_code == 400 and "location is required" in missing.json()[0]["description"]


def test_pin_only_reports_get_an_address(live, monkeypatch):
    created = post(live, dict(SPERRMUELL, lat="51.5100", long="7.0960"))
    item = read(live, created.json()[0]["service_request_id"])
    assert item["address"] == "Bahnhofstraße 37, 45879 Gelsenkirchen" and item["zipcode"] == "45879"
    assert (item["lat"], item["long"]) == (51.51, 7.096)
    assert item["extended_attributes"]["address_source"] == "geocoder"
    assert item["extended_attributes"]["location_source"] == "pin"
    # switched off: the pin stays without an address
    monkeypatch.setenv("GELSENCLOUD_MAENGELMELDER_REVERSE_GEOCODE", "false")
    item = read(
        live, post(live, dict(SPERRMUELL, lat="51.5100", long="7.0960")).json()[0]["service_request_id"]
    )
    assert item["address"] is None and item["extended_attributes"]["address_source"] is None
    monkeypatch.setenv("GELSENCLOUD_MAENGELMELDER_REVERSE_GEOCODE", "true")
    monkeypatch.setenv("GELSENCLOUD_MAENGELMELDER_GEOCODER", "none")
    item = read(
        live, post(live, dict(SPERRMUELL, address_string="Bahnhofstraße 12")).json()[0]["service_request_id"]
    )
    assert item["lat"] is None


# --- Nominatim and Photon over HTTP -------------------------------------------------------------


def test_nominatim_backend_against_a_local_fake_server(live, monkeypatch):
    def search(query):
        return ESSEN if "Essen" in query["q"] else NOMINATIM_SEARCH

    routes = {"/search": (200, search), "/reverse": (200, NOMINATIM_REVERSE)}
    with fake_geocoder(routes) as (url, log):
        monkeypatch.setenv("GELSENCLOUD_MAENGELMELDER_GEOCODER", "nominatim")
        monkeypatch.setenv("GELSENCLOUD_MAENGELMELDER_GEOCODER_URL", url + "/")
        created = post(live, dict(SPERRMUELL, address_string="Bahnhofstraße 12"))
        item = read(live, created.json()[0]["service_request_id"])
        assert (item["lat"], item["long"], item["zipcode"]) == (51.508871, 7.097985, "45879")
        assert item["extended_attributes"]["location_source"] == "geocoder"
        [call] = log
        assert call["path"] == "/search" and call["agent"].startswith("GELSENcloud GE-meldet")
        assert call["query"] == {
            "q": "Bahnhofstraße 12",
            "format": "jsonv2",
            "addressdetails": "1",
            "limit": "1",
            "countrycodes": "de",
            "viewbox": "6.99,51.628,7.15,51.484",
            "bounded": "1",
        }
        # a pin: the address comes from /reverse, the coordinates stay the citizen's
        item = read(
            live, post(live, dict(SPERRMUELL, lat="51.5100", long="7.0960")).json()[0]["service_request_id"]
        )
        assert item["address"] == "Bahnhofstraße, 45879 Gelsenkirchen"
        assert (item["lat"], item["long"]) == (51.51, 7.096)
        assert log[-1]["path"] == "/reverse" and log[-1]["query"]["zoom"] == "18"
        # an answer outside the city is not taken
        created = post(live, dict(SPERRMUELL, address_string="Bahnhofstraße 12, Essen"))
        assert "von Hand verortet" in created.json()[0]["service_notice"]
        assert read(live, created.json()[0]["service_request_id"])["lat"] is None


def test_a_failing_geocoder_never_loses_a_report(live, monkeypatch, caplog):
    with fake_geocoder({"/search": (503, {"error": "overloaded"})}) as (url, log):
        monkeypatch.setenv("GELSENCLOUD_MAENGELMELDER_GEOCODER", "nominatim")
        monkeypatch.setenv("GELSENCLOUD_MAENGELMELDER_GEOCODER_URL", url)
        with caplog.at_level(logging.WARNING):
            created = post(live, dict(SPERRMUELL, address_string="Bahnhofstraße 12"))
        assert created.status_code == 201 and "von Hand verortet" in created.json()[0]["service_notice"]
        assert len(log) == 1 and "geocoding failed" in caplog.text
    # the server is gone now: connection refused is handled the same way
    created = post(live, dict(SPERRMUELL, address_string="Bahnhofstraße 12"))
    assert created.status_code == 201 and read(live, created.json()[0]["service_request_id"])["lat"] is None


def test_photon_backend_and_nominatim_no_result():
    with fake_geocoder(
        {"/api": (200, PHOTON_SEARCH), "/reverse": (200, PHOTON_SEARCH), "/search": (200, [])}
    ) as (url, log):
        photon = HttpGeocoder(url, kind="photon", timeout=2)
        found = photon.geocode("Bahnhofstraße 12", BBOX)
        assert (found.lat, found.lon, found.address) == (
            51.508871,
            7.097985,
            "Bahnhofstraße 12, 45879 Gelsenkirchen",
        )
        assert found.precision == "house_number" and found.source == "photon"
        assert log[0]["query"]["bbox"] == "6.99,51.484,7.15,51.628"
        assert photon.reverse(51.5089, 7.098, BBOX).address == "Bahnhofstraße 12, 45879 Gelsenkirchen"
        assert HttpGeocoder(url, kind="nominatim").geocode("Nirgendwo 1", BBOX) is None
        with pytest.raises(GeocoderUnavailable):
            HttpGeocoder(url + "/missing", kind="nominatim").geocode("x", BBOX)
    with pytest.raises(ValueError):
        HttpGeocoder("http://127.0.0.1:9", kind="google")


def test_cli_tries_the_configured_geocoder(monkeypatch):
    from typer.testing import CliRunner

    from gelsencloud.cli.main import app

    runner = CliRunner()
    found = runner.invoke(app, ["maengelmelder", "geocode", "Hochstr. 5, Buer"])
    assert found.exit_code == 0 and "Hochstraße 5, 45894 Gelsenkirchen" in found.output
    assert "house_number, gazetteer" in " ".join(found.output.split())
    reverse = runner.invoke(app, ["maengelmelder", "geocode", "--lat", "51.51", "--lon", "7.096"])
    assert reverse.exit_code == 0 and "Bahnhofstraße 37" in reverse.output
    missing = runner.invoke(app, ["maengelmelder", "geocode", "Irgendwo im Nirgendwo"])
    assert missing.exit_code != 0 and "not found" in missing.output
    monkeypatch.setenv("GELSENCLOUD_MAENGELMELDER_GEOCODER", "none")
    off = runner.invoke(app, ["maengelmelder", "geocode", "Hochstr. 5"])
    assert off.exit_code != 0 and "switched off" in off.output
