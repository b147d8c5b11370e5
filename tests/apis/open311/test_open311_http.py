"""Open311 GeoReport v2 proven with real HTTP calls from an independent client (requests)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
import requests
from PIL import Image

from gelsencloud.apps.maengelmelder import service as svc
from gelsencloud.apps.maengelmelder.models import Report
from gelsencloud.core.principal import SYSTEM

REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
DUMPING = {
    "service_code": "ablagerung",
    "lat": "51.5160",
    "long": "7.0950",
    "attribute[menge]": "mittel",
    "attribute[art][]": ["hausmuell", "reifen"],
    "description": "Demo-Test: Säcke und Reifen am Wegrand",
}


def xml(response: requests.Response) -> ET.Element:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)


def children(element: ET.Element) -> list[str]:
    return [c.tag for c in element]


def aware(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, f"timestamp without timezone: {value}"
    return parsed


def post(live: str, data: dict, fmt: str = "json", **kw) -> requests.Response:
    return requests.post(f"{live}/requests.{fmt}", data=data, timeout=20, **kw)


def gps_jpeg() -> bytes:
    """A JPEG with camera and GPS EXIF tags (what a phone produces)."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "DemoCam"  # Make
    exif[0x0110] = "Demo Phone 1"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 5.0)
    gps[3], gps[4] = "E", (7.0, 5.0, 42.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825), "fixture must carry GPS EXIF"
    return data


# --- discovery and services --------------------------------------------------------------------


def test_discovery_in_json_and_xml(live):
    body = requests.get(f"{live}/discovery.json", timeout=20)
    assert body.headers["content-type"] == "application/json; charset=utf-8"
    doc = body.json()
    assert list(doc) == ["changeset", "contact", "key_service", "endpoints"]
    aware(doc["changeset"])
    endpoint = doc["endpoints"][0]
    assert endpoint == {
        "specification": "http://wiki.open311.org/GeoReport_v2",
        "url": live,
        "changeset": doc["changeset"],
        "type": "production",
        "formats": ["text/xml", "application/json"],
    }
    root = xml(requests.get(f"{live}/discovery.xml", timeout=20))
    assert root.tag == "discovery"
    assert children(root) == ["changeset", "contact", "key_service", "endpoints"]
    ep = root.find("endpoints/endpoint")
    assert children(ep) == ["specification", "url", "changeset", "type", "formats"]
    assert [f.text for f in ep.findall("formats/format")] == ["text/xml", "application/json"]


def test_service_list_with_string_codes(live):
    services = requests.get(f"{live}/services.json", timeout=20).json()
    assert len(services) >= 7
    for s in services:
        assert list(s) == [
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        ]
        assert isinstance(s["service_code"], str) and isinstance(s["metadata"], bool)
        assert s["type"] in ("realtime", "batch", "blackbox")
    codes = {s["service_code"] for s in services}
    assert {"ablagerung", "sperrmuell", "baum-gruen", "strassenschaden"} <= codes
    root = xml(requests.get(f"{live}/services.xml", timeout=20))
    assert root.tag == "services" and {c.tag for c in root} == {"service"}
    first = root.find("service")
    assert children(first) == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert first.findtext("metadata") in ("true", "false")
    # jurisdiction_id: the configured one works, an unknown one is 404 in the error format
    assert (
        requests.get(f"{live}/services.json?jurisdiction_id=gelsenkirchen.de", timeout=20).status_code == 200
    )
    missing = requests.get(f"{live}/services.xml?jurisdiction_id=nowhere.example", timeout=20)
    assert missing.status_code == 404 and xml(missing).tag == "errors"


def test_service_definitions_cover_every_datatype(live):
    seen = set()
    for code in ("ablagerung", "sperrmuell", "strassenschaden", "beleuchtung", "baum-gruen"):
        doc = requests.get(f"{live}/services/{code}.json", timeout=20).json()
        assert list(doc) == ["service_code", "attributes"] and doc["service_code"] == code
        orders = [a["order"] for a in doc["attributes"]]
        assert len(set(orders)) == len(orders) and all(o > 0 for o in orders)
        for attr in doc["attributes"]:
            assert list(attr) == [
                "variable",
                "code",
                "datatype",
                "required",
                "datatype_description",
                "order",
                "description",
                "values",
            ]
            assert isinstance(attr["variable"], bool) and isinstance(attr["required"], bool)
            seen.add(attr["datatype"])
            if attr["datatype"].endswith("valuelist"):
                assert attr["values"] and all(list(v) == ["key", "name"] for v in attr["values"])
    assert seen == {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
    root = xml(requests.get(f"{live}/services/ablagerung.xml", timeout=20))
    assert root.tag == "service_definition"
    attr = root.find("attributes/attribute")
    assert children(attr) == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    assert children(attr.find("values/value")) == ["key", "name"]
    assert requests.get(f"{live}/services/nope.json", timeout=20).status_code == 404
    # metadata=false services have no definition
    assert requests.get(f"{live}/services/spielplatz.json", timeout=20).status_code == 404
    assert requests.get(f"{live}/services/ablagerung.html", timeout=20).status_code == 404


# --- POST and GET service requests -------------------------------------------------------------


def test_post_form_encoded_then_read_back_exactly(live):
    response = post(live, DUMPING | {"email": "melder@example.org", "first_name": "Erika"})
    assert response.status_code == 201, response.text
    [created] = response.json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    assert isinstance(created["service_request_id"], str) and "token" not in created
    rid = created["service_request_id"]
    [item] = requests.get(f"{live}/requests/{rid}.json", timeout=20).json()
    assert list(item) == REQUEST_FIELDS
    assert item["service_request_id"] == rid and item["status"] == "open"
    assert item["service_code"] == "ablagerung" and item["service_name"] == "Illegale Müllablagerung"
    assert isinstance(item["lat"], float) and isinstance(item["long"], float)
    assert abs(item["lat"] - 51.516) < 1e-9 and abs(item["long"] - 7.095) < 1e-9
    assert aware(item["expected_datetime"]) > aware(item["requested_datetime"])
    assert item["agency_responsible"] == "GELSENDIENSTE"
    text = requests.get(f"{live}/requests/{rid}.json?extensions=true", timeout=20).text
    assert "melder@example.org" not in text and "Erika" not in text  # personal data never public
    root = xml(requests.get(f"{live}/requests/{rid}.xml", timeout=20))
    assert root.tag == "service_requests"
    assert children(root.find("request")) == REQUEST_FIELDS
    assert root.findtext("request/service_code") == "ablagerung"
    # the XML answer of POST has the same shape
    posted = xml(post(live, DUMPING, fmt="xml"))
    assert posted.tag == "service_requests"
    assert children(posted.find("request")) == ["service_request_id", "service_notice", "account_id"]


def test_post_with_address_only_and_all_attribute_types(live):
    data = {
        "service_code": "sperrmuell",
        "address_string": "Demo-Straße 1, 45879 Gelsenkirchen",
        "attribute[gegenstaende]": "Schrank\nzwei Stühle",
        "attribute[anzahl]": "3",
        "attribute[wunschtermin]": "2026-12-01T09:00:00+01:00",
        "attribute[elektro]": "nein",
    }
    response = post(live, data)
    assert response.status_code == 201, response.text
    rid = response.json()[0]["service_request_id"]
    [item] = requests.get(f"{live}/requests/{rid}.json?extensions=true", timeout=20).json()
    assert item["address"] == "Demo-Straße 1, 45879 Gelsenkirchen" and item["lat"] is None
    values = {a["code"]: a["value"] for a in item["attributes"]}
    assert values == {
        "gegenstaende": "Schrank\nzwei Stühle",
        "anzahl": 3,
        "wunschtermin": "2026-12-01T09:00:00+01:00",
        "elektro": "nein",
    }


def test_errors_follow_the_spec(live, world):
    missing = post(live, {"lat": "51.5", "long": "7.1"})
    assert missing.status_code == 400
    assert missing.json() == [{"code": "400", "description": "service_code is required"}]
    several = post(live, {"service_code": "ablagerung"}, fmt="xml")
    root = xml(several)
    assert several.status_code == 400 and root.tag == "errors"
    errors = root.findall("error")
    assert len(errors) == 2 and all(children(e) == ["code", "description"] for e in errors)
    assert {e.findtext("code") for e in errors} == {"400"}
    cases = [
        DUMPING | {"service_code": "unbekannt"},
        DUMPING | {"long": ""},  # lat without long
        DUMPING | {"lat": "48.1", "long": "11.5"},  # Munich: outside the jurisdiction
        DUMPING | {"attribute[menge]": "riesig"},
        DUMPING | {"attribute[unbekannt]": "x"},
        DUMPING | {"description": "x" * 4001},
        DUMPING | {"description": "<b>fett</b>"},
        DUMPING | {"media_url": "ftp://example.org/a.jpg"},
        DUMPING | {"email": "kein-at-zeichen"},
        {
            "service_code": "sperrmuell",
            "address_string": "x",
            "attribute[anzahl]": "drei",
            "attribute[gegenstaende]": "a",
            "attribute[elektro]": "ja",
        },
        {
            "service_code": "sperrmuell",
            "address_string": "x",
            "attribute[anzahl]": "1",
            "attribute[gegenstaende]": "a",
            "attribute[elektro]": "ja",
            "attribute[wunschtermin]": "2026-12-01T09:00:00",
        },  # no timezone
    ]
    for data in cases:
        response = post(live, data)
        assert response.status_code == 400, (data, response.text)
        assert all(isinstance(e["code"], str) for e in response.json())
    bad_key = post(live, DUMPING | {"api_key": "gck_notavalidkey"})
    assert bad_key.status_code == 403 and bad_key.json()[0]["code"] == "403"
    bad_header = post(live, DUMPING, headers={"X-API-Key": "gck_notavalid"})
    assert bad_header.status_code == 403
    unknown = post(live, DUMPING | {"jurisdiction_id": "bottrop.example"})
    assert unknown.status_code == 404
    assert requests.get(f"{live}/requests/999999.json", timeout=20).status_code == 404
    assert requests.get(f"{live}/requests/abc.xml", timeout=20).status_code == 404
    assert requests.get(f"{live}/tokens/unknown.json", timeout=20).status_code == 404


def test_api_key_accepted_and_anonymous_posting_configurable(live, world, tmp_path, monkeypatch):
    from gelsencloud.apps.maengelmelder.config import SEED_FILE

    key = world.keys["net.operator"]  # any valid platform key identifies a client application
    with_key = post(live, DUMPING | {"api_key": key})
    assert with_key.status_code == 201
    strict = tmp_path / "services.yaml"
    strict.write_text(
        SEED_FILE.read_text(encoding="utf-8").replace("anonymous_post: true", "anonymous_post: false")
    )
    monkeypatch.setenv("GELSENCLOUD_MAENGELMELDER_SEED_FILE", str(strict))
    refused = post(live, DUMPING)
    assert refused.status_code == 403 and "api_key" in refused.json()[0]["description"]
    assert post(live, DUMPING | {"api_key": key}).status_code == 201
    assert post(live, DUMPING, headers={"Authorization": f"Bearer {key}"}).status_code == 201


def test_held_reports_return_a_token_that_resolves_after_moderation(live, db):
    response = post(live, DUMPING | {"description": "Bitte rufen Sie mich an: 0209 1234567"})
    assert response.status_code == 201
    [created] = response.json()
    assert "service_request_id" not in created and created["token"]
    token = created["token"]
    [pending] = requests.get(f"{live}/tokens/{token}.json", timeout=20).json()
    assert pending == {"service_request_id": None, "token": token}
    with db.transaction(SYSTEM) as session:
        report = session.query(Report).filter_by(token=token).one()
        assert report.classification == "internal" and report.moderation == "pending"
        rid = report.id
    assert requests.get(f"{live}/requests/{rid}.json", timeout=20).status_code == 404
    assert "0209 1234567" not in requests.get(f"{live}/requests.json", timeout=20).text
    with db.transaction(SYSTEM) as session:
        report = svc.get_report(session, rid)
        svc.moderate_report(session, report, approve=True, description="Telefonnummer entfernt.")
    root = xml(requests.get(f"{live}/tokens/{token}.xml", timeout=20))
    assert root.tag == "service_requests"
    assert children(root.find("request")) == ["service_request_id", "token"]
    assert root.findtext("request/service_request_id") == str(rid)
    assert (
        requests.get(f"{live}/requests/{rid}.json", timeout=20).json()[0]["description"]
        == "Telefonnummer entfernt."
    )


def _seed_history(db, city_id) -> dict[str, int]:
    """Reports at known times: 10, 40 and 120 days old; one closed; one in another area."""
    now = datetime.now(UTC)
    ids = {}
    with db.transaction(SYSTEM) as session:
        services = {s.code: s for s in svc.list_services(session, city_id)}
        for name, code, days, lat, lon in [
            ("recent", "ablagerung", 10, 51.516, 7.095),
            ("older", "beleuchtung", 40, 51.577, 7.057),
            ("ancient", "ablagerung", 120, 51.516, 7.095),
            ("closed", "strassenschaden", 5, 51.50, 7.10),
        ]:
            attrs = {
                "ablagerung": {"menge": ["klein"]},
                "beleuchtung": {"fehler": ["aus"]},
                "strassenschaden": {"flaeche": ["gehweg"]},
            }[code]
            new = svc.NewReport(
                service=services[code],
                description=f"Demo {name}",
                lat=lat,
                lon=lon,
                attributes=svc.validate_attributes(services[code], attrs),
                requested_at=now - timedelta(days=days),
            )
            report = svc.create_report(session, new)
            ids[name] = report.id
            if name == "closed":
                svc.change_status(session, report, "in_progress", author="t")
                svc.change_status(session, report, "fixed", note="Repariert.", author="t")
    return ids


@pytest.mark.usefixtures("backend")  # JSON aggregation differs per backend
def test_get_requests_filters_defaults_and_extensions(live, db, city_id):
    ids = _seed_history(db, city_id)

    def got(query: str = "", fmt: str = "json"):
        response = requests.get(f"{live}/requests.{fmt}{query}", timeout=20)
        assert response.status_code == 200, response.text
        return response

    def id_set(query: str = "") -> set[int]:
        return {int(i["service_request_id"]) for i in got(query).json()}

    # default: the last 90 days only
    assert id_set() == {ids["recent"], ids["older"], ids["closed"]}
    assert got().headers["X-Total-Count"] == "3"
    # service_request_id overrides all other filters (even the date window)
    assert id_set(f"?service_request_id={ids['ancient']},{ids['recent']}&status=closed") == {
        ids["ancient"],
        ids["recent"],
    }
    assert id_set("?service_code=ablagerung,beleuchtung") == {ids["recent"], ids["older"]}
    assert id_set("?status=closed") == {ids["closed"]}
    assert id_set("?status=open,closed") == {ids["recent"], ids["older"], ids["closed"]}
    # empty parameters are treated as absent
    assert id_set("?status=&service_code=") == {ids["recent"], ids["older"], ids["closed"]}
    now = datetime.now(UTC)
    start = (now - timedelta(days=130)).isoformat()
    end = (now - timedelta(days=50)).isoformat()
    assert id_set(f"?start_date={start}&end_date={end}".replace("+", "%2B")) == {ids["ancient"]}
    too_long = requests.get(
        f"{live}/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", timeout=20
    )
    assert too_long.status_code == 400
    no_tz = requests.get(f"{live}/requests.json?start_date=2026-01-01T00:00:00", timeout=20)
    assert no_tz.status_code == 400 and "timezone" in no_tz.json()[0]["description"]
    assert requests.get(f"{live}/requests.json?status=pending", timeout=20).status_code == 400
    # paging extension
    page1 = got("?page_size=2&page=1").json()
    page2 = got("?page_size=2&page=2").json()
    assert len(page1) == 2 and len(page2) == 1
    assert not {i["service_request_id"] for i in page1} & {i["service_request_id"] for i in page2}
    assert requests.get(f"{live}/requests.json?page_size=1001", timeout=20).status_code == 400
    # bbox extension: around Buer only
    assert id_set("?bbox=7.05,51.57,7.06,51.58") == {ids["older"]}
    assert requests.get(f"{live}/requests.json?bbox=1,2,3", timeout=20).status_code == 400
    # updated_after: only what changed since (and not bounded by the 90-day default)
    after = (now - timedelta(minutes=5)).isoformat().replace("+", "%2B")
    assert id_set(f"?updated_after={after}") == {ids["closed"]}
    # detailed status filter and extensions=true with the notes history
    assert id_set("?detailed_status=FIXED") == {ids["closed"]}
    [closed] = got(f"?service_request_id={ids['closed']}&extensions=true").json()
    assert closed["status"] == "closed" and closed["status_notes"] == "Repariert."
    assert closed["detailed_status"] == "FIXED"
    assert [n["type"] for n in closed["notes"]] == ["submitted", "status", "status"]
    assert [n["status"] for n in closed["notes"]] == ["open", "open", "closed"]
    assert list(closed["notes"][0]) == ["datetime", "description", "type", "status", "detailed_status"]
    assert closed["extended_attributes"]["district"] in {"mitte", "sued"}
    root = xml(got(f"?service_request_id={ids['closed']}&extensions=true", fmt="xml"))
    request = root.find("request")
    assert [n.findtext("type") for n in request.findall("notes/note")] == ["submitted", "status", "status"]
    assert request.find("extended_attributes/detailed_status").text == "FIXED"


def test_multipart_media_upload_strips_exif_and_waits_for_moderation(live, db):
    files = [("media", ("photo.jpg", gps_jpeg(), "image/jpeg"))]
    response = requests.post(f"{live}/requests.json", data=DUMPING, files=files, timeout=20)
    assert response.status_code == 201, response.text
    [created] = response.json()
    assert "Fotos" in created["service_notice"]
    rid = created["service_request_id"]
    [item] = requests.get(f"{live}/requests/{rid}.json?extensions=true", timeout=20).json()
    assert item["media_url"] is None and item["extended_attributes"]["photos"] == []  # not yet approved
    with db.transaction(SYSTEM) as session:
        [photo] = svc.photos_of(session, [int(rid)])[int(rid)]
        photo = svc.get_photo(session, photo.id)
        stored = photo.content
        svc.moderate_photo(session, photo, approve=True)
    for data in (
        stored,
        requests.get(
            requests.get(f"{live}/requests/{rid}.json", timeout=20).json()[0]["media_url"], timeout=20
        ).content,
    ):
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG" and image.size == (64, 48)
        assert len(image.getexif()) == 0 and not image.getexif().get_ifd(0x8825)
        assert b"Exif" not in data and b"DemoCam" not in data
    not_image = requests.post(
        f"{live}/requests.json",
        data=DUMPING,
        files=[("media", ("a.jpg", b"not an image", "image/jpeg"))],
        timeout=20,
    )
    assert not_image.status_code == 400 and "Foto 1" in not_image.json()[0]["description"]


def test_rate_limit_per_ip(live, monkeypatch):
    monkeypatch.setenv("GELSENCLOUD_MAENGELMELDER_RATE_LIMIT_PER_IP_HOUR", "2")
    assert post(live, DUMPING).status_code == 201
    assert post(live, DUMPING).status_code == 201
    limited = post(live, DUMPING)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3600"
    assert limited.json()[0]["code"] == "429"
    # behind the trusted reverse proxy (127.0.0.1 by default) each citizen has their own limit
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    assert post(live, DUMPING, headers=forwarded).status_code == 201
    assert post(live, DUMPING, headers=forwarded).status_code == 201
    assert post(live, DUMPING, headers=forwarded).status_code == 429


@pytest.mark.usefixtures("backend")
def test_open311_on_both_backends(live, db):
    created = post(live, DUMPING)
    assert created.status_code == 201
    rid = created.json()[0]["service_request_id"]
    assert [i["service_request_id"] for i in requests.get(f"{live}/requests.json", timeout=20).json()] == [
        rid
    ]


def test_a_second_jurisdiction_of_the_region_is_kept_apart(live, db, world, tmp_path, monkeypatch):
    import yaml

    from gelsencloud.apps.maengelmelder.config import SEED_FILE

    raw = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
    raw["jurisdictions"].append(
        raw["jurisdictions"][0]
        | {"id": "nachbarstadt.example", "tenant": "gelsen-net", "default": False, "name": "Nachbarstadt"}
    )
    region = tmp_path / "region.yaml"
    region.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("GELSENCLOUD_MAENGELMELDER_SEED_FILE", str(region))
    with db.transaction(SYSTEM) as session:
        svc.seed_services(session, world.tenants["gelsen-net"])
    other = "?jurisdiction_id=nachbarstadt.example"
    assert len(requests.get(f"{live}/services.json{other}", timeout=20).json()) >= 7
    here = post(live, DUMPING).json()[0]["service_request_id"]
    there = post(live, DUMPING | {"jurisdiction_id": "nachbarstadt.example"}).json()[0]["service_request_id"]
    assert [i["service_request_id"] for i in requests.get(f"{live}/requests.json", timeout=20).json()] == [
        here
    ]
    listed = requests.get(f"{live}/requests.json{other}", timeout=20).json()
    assert [i["service_request_id"] for i in listed] == [there]
    assert requests.get(f"{live}/requests/{there}.json", timeout=20).status_code == 404
    assert requests.get(f"{live}/requests/{there}.json{other}", timeout=20).status_code == 200
    with db.transaction(SYSTEM) as session:
        assert svc.get_report(session, int(there)).tenant_id == world.tenants["gelsen-net"]
