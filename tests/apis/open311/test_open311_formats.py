"""The XML writer of the Open311 API against ElementTree, and the one-query page of requests."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from gelsencloud.apis.open311.formats import SINGULAR, _text, to_xml
from gelsencloud.apps.maengelmelder import open311_queries as queries
from gelsencloud.apps.maengelmelder import service as svc
from gelsencloud.apps.maengelmelder.models import ReportNote, ReportPhoto
from gelsencloud.core.principal import SYSTEM


def to_xml_elementtree(root: str, item: str | None, payload: Any) -> bytes:
    """The same document built with ElementTree: the reference ``to_xml`` is tested against."""
    element = ET.Element(root)
    if item is None:
        for k, v in payload.items():
            _fill_element(element, k, v)
    else:
        for entry in payload:
            _fill_element(element, item, entry)
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def _fill_element(element: ET.Element, key: str, value: Any) -> None:
    if isinstance(value, list) and key not in SINGULAR:
        for item in value:
            ET.SubElement(element, key).text = _text(item)
        return
    child = ET.SubElement(element, key)
    if isinstance(value, dict):
        for k, v in value.items():
            _fill_element(child, k, v)
    elif isinstance(value, list):
        for item in value:
            _fill_element(child, SINGULAR[key], item)
    else:
        child.text = _text(value)


TEXTS = ["", "plain", "a & b", "<tag>", "x > y", "Grüße „zitiert“ ' \" \t tab", "&amp; already", "\n", " "]


def _value(rng: random.Random, depth: int):
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, 7, -3, 51.516, 7.095])
    if kind in (3, 4, 5):
        return rng.choice(TEXTS)
    if kind == 6:
        return {
            rng.choice(["code", "value", "name", "x"]) + str(i): _value(rng, depth + 1)
            for i in range(rng.randrange(3))
        }
    return [_value(rng, depth + 1) for _ in range(rng.randrange(3))]


def _entry(rng: random.Random) -> dict:
    keys = [
        "service_request_id",
        "status_notes",
        "attributes",
        "notes",
        "photos",
        "values",
        "value",
        "media_url",
    ]
    return {key: _value(rng, 0) for key in rng.sample(keys, rng.randrange(1, len(keys)))}


@pytest.mark.parametrize("seed", range(40))
def test_xml_writer_matches_elementtree_byte_for_byte(seed):
    rng = random.Random(seed)
    payload = [_entry(rng) for _ in range(rng.randrange(4))]
    assert to_xml("service_requests", "request", payload) == to_xml_elementtree(
        "service_requests", "request", payload
    )
    document = {"changeset": rng.choice(TEXTS), "endpoints": [{"formats": ["text/xml", "application/json"]}]}
    assert to_xml("discovery", None, document) == to_xml_elementtree("discovery", None, document)
    ET.fromstring(to_xml("service_requests", "request", payload))  # well-formed


def test_xml_writer_empty_documents():
    assert to_xml("service_requests", "request", []).endswith(b"<service_requests />")
    assert to_xml("discovery", None, {}) == to_xml_elementtree("discovery", None, {})


@pytest.mark.usefixtures("backend")  # JSON aggregation differs per backend
def test_page_query_reads_only_readable_notes_and_photos(db, city_id):
    """Notes and photos come with the page in one query, filtered by classification, oldest first."""
    now = datetime.now(UTC)
    with db.transaction(SYSTEM) as session:
        service = svc.list_services(session, city_id)[0]
        report = svc.create_report(
            session,
            svc.NewReport(service=service, description="Seite", lat=51.51, lon=7.09, requested_at=now),
        )
        report.classification = "public"
        session.flush()
        for minutes, kind, status, classification in [
            (30, "status", "acknowledged", "public"),
            (10, "feedback", None, "public"),
            (20, "internal", None, "internal"),
        ]:
            session.add(
                ReportNote(
                    tenant_id=city_id,
                    classification=classification,
                    report_id=report.id,
                    kind=kind,
                    status=status,
                    text=f"{kind} {minutes}",
                    created_at=now + timedelta(minutes=minutes),
                )
            )
        for width, classification in [(640, "public"), (800, "internal"), (1024, "public")]:
            session.add(
                ReportPhoto(
                    tenant_id=city_id,
                    classification=classification,
                    report_id=report.id,
                    content=b"jpeg",
                    width=width,
                    height=480,
                    created_at=now,
                )
            )
        report_id = report.id
    query = svc.ReportQuery(tenant_id=city_id, public_only=True, ids=[report_id])
    with db.transaction() as session:  # anonymous
        [row] = queries.list_report_rows(session, query, extended=True)
        notes, photos = queries.notes_of(row), queries.photos_of(row)
        [plain] = queries.list_report_rows(session, query)
    assert [(n.kind, n.status) for n in notes] == [
        ("status", "new"),
        ("feedback", None),
        ("status", "acknowledged"),
    ]
    assert [n.text for n in notes[1:]] == ["feedback 10", "status 30"]
    assert all(n.created_at.tzinfo is not None for n in notes)
    assert abs(notes[2].created_at - (now + timedelta(minutes=30))) < timedelta(seconds=1)
    assert [p.width for p in photos] == [640, 1024]
    assert plain.first_photo_id == photos[0].id
    assert plain.status_note == "status 30"


@pytest.mark.usefixtures("backend")  # PostgreSQL's INTEGER ends at 2**31 - 1
def test_ids_that_cannot_exist_are_not_found_rather_than_errors(live, db):
    form = {"service_code": "ablagerung", "lat": "51.5160", "long": "7.0950", "attribute[menge]": "klein"}
    rid = requests.post(f"{live}/requests.json", data=form, timeout=20).json()[0]["service_request_id"]
    with db.transaction(SYSTEM) as session:
        svc.change_status(session, svc.get_report(session, int(rid)), "acknowledged", author="Test")
    too_large = "99999999999999999999"
    for fmt in ("json", "xml"):
        assert requests.get(f"{live}/requests/{too_large}.{fmt}", timeout=20).status_code == 404
        assert requests.get(f"{live}/requests/2147483648.{fmt}", timeout=20).status_code == 404
        listed = requests.get(f"{live}/requests.{fmt}?service_request_id={too_large}", timeout=20)
        assert listed.status_code == 200
        updates = requests.get(
            f"{live}/servicerequestupdates.{fmt}?service_request_id={too_large}", timeout=20
        )
        assert updates.status_code == 200
    assert (
        requests.get(f"{live}/requests.json?service_request_id={too_large},{rid}", timeout=20).json()[0][
            "service_request_id"
        ]
        == rid
    )
    assert requests.get(f"{live}/requests.json?service_request_id={too_large}", timeout=20).json() == []
    # an impossible id filters everything out; it does not drop the filter
    assert requests.get(f"{live}/servicerequestupdates.json", timeout=20).json() != []
    feed = requests.get(f"{live}/servicerequestupdates.json?service_request_id={too_large}", timeout=20)
    assert feed.json() == []
    assert requests.get(f"{live}/requests/\u00b2.json", timeout=20).status_code == 404
    assert requests.get(f"{live}/requests.json?service_request_id=\u00b2", timeout=20).status_code == 400
