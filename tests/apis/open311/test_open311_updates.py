"""Status-update history: ``servicerequestupdates`` (FixMyStreet's extension) and ``notes`` with extensions."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
import requests

from gelsencloud.apps.maengelmelder import service as svc
from gelsencloud.core.principal import SYSTEM

DUMPING = {
    "service_code": "ablagerung",
    "lat": "51.5160",
    "long": "7.0950",
    "attribute[menge]": "klein",
    "description": "Säcke am Wegrand",
}
UPDATE_FIELDS = [
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
    "external_status_code",
]


def _stamp(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _create_and_work(live: str, db) -> tuple[str, list[int]]:
    rid = requests.post(f"{live}/requests.json", data=DUMPING, timeout=20).json()[0]["service_request_id"]
    with db.transaction(SYSTEM) as session:
        report = svc.get_report(session, int(rid))
        notes = [svc.change_status(session, report, "acknowledged", author="Sachbearbeitung")]
        svc.add_internal_note(session, report, "Kolonne 3 fragen – intern", author="Sachbearbeitung")
        notes.append(
            svc.change_status(session, report, "in_progress", note="Kolonne ist unterwegs.", author="x")
        )
        notes.append(svc.change_status(session, report, "fixed", note="Abgeholt.", author="x"))
        session.flush()
        ids = [n.id for n in notes]
    return rid, ids


@pytest.mark.usefixtures("backend")
def test_updates_feed_in_json_and_xml(live, db):
    rid, note_ids = _create_and_work(live, db)
    now = datetime.now(UTC)
    window = {"start_date": _stamp(now - timedelta(hours=1)), "end_date": _stamp(now + timedelta(minutes=1))}
    response = requests.get(f"{live}/servicerequestupdates.json", params=window, timeout=20)
    assert (
        response.status_code == 200 and response.headers["content-type"] == "application/json; charset=utf-8"
    )
    updates = response.json()
    assert response.headers["X-Total-Count"] == "3"
    # the submission itself and the internal note are not updates; oldest first
    assert [u["update_id"] for u in updates] == [str(i) for i in note_ids]
    assert all(list(u) == UPDATE_FIELDS for u in updates)
    assert [u["status"] for u in updates] == ["INVESTIGATING", "IN_PROGRESS", "FIXED"]
    assert [u["external_status_code"] for u in updates] == ["acknowledged", "in_progress", "fixed"]
    assert updates[1]["description"] == "Kolonne ist unterwegs." and updates[0]["service_request_id"] == rid
    assert all(datetime.fromisoformat(u["updated_datetime"]).tzinfo is not None for u in updates)
    assert "intern" not in response.text

    xml = requests.get(f"{live}/servicerequestupdates.xml", params=window, timeout=20)
    assert xml.headers["content-type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(xml.content)
    assert root.tag == "service_requests_updates"
    assert [e.tag for e in root] == ["request_update"] * 3
    assert [c.tag for c in root[2]] == UPDATE_FIELDS
    assert root[2].findtext("status") == "FIXED" and root[2].findtext("description") == "Abgeholt."

    # filters: one request, a window that ends before the work, paging
    other = requests.post(f"{live}/requests.json", data=DUMPING, timeout=20).json()[0]["service_request_id"]
    with db.transaction(SYSTEM) as session:
        svc.change_status(session, svc.get_report(session, int(other)), "acknowledged", author="x")
    only = requests.get(
        f"{live}/servicerequestupdates.json", params=dict(window, service_request_id=other), timeout=20
    ).json()
    assert [u["service_request_id"] for u in only] == [other]
    before = dict(window, end_date=_stamp(now - timedelta(minutes=30)))
    assert requests.get(f"{live}/servicerequestupdates.json", params=before, timeout=20).json() == []
    page = requests.get(
        f"{live}/servicerequestupdates.json", params=dict(window, page="2", page_size="2"), timeout=20
    )
    assert page.headers["X-Total-Count"] == "4"
    assert [u["update_id"] for u in page.json()] == [str(note_ids[2]), only[0]["update_id"]]
    # without dates: the last 24 hours
    assert len(requests.get(f"{live}/servicerequestupdates.json", timeout=20).json()) == 4


def test_updates_of_hidden_reports_are_not_published(live, db):
    rid, _ = _create_and_work(live, db)
    with db.transaction(SYSTEM) as session:
        svc.moderate_report(session, svc.get_report(session, int(rid)), approve=False, reason="Beleidigung")
    assert requests.get(f"{live}/servicerequestupdates.json", timeout=20).json() == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start_date": "2026-01-01T00:00:00"}, "timezone"),
        ({"start_date": "gestern"}, "ISO 8601"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90 days"),
        ({"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "before start_date"),
        ({"service_request_id": "1,abc"}, "comma-separated"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_updates_feed_errors(live, params, message):
    for fmt in ("json", "xml"):
        response = requests.get(f"{live}/servicerequestupdates.{fmt}", params=params, timeout=20)
        assert response.status_code == 400
        if fmt == "json":
            [error] = response.json()
            assert error["code"] == "400" and message in error["description"]
        else:
            assert ET.fromstring(response.content).find("error/code").text == "400"


@pytest.mark.usefixtures("backend")  # JSON aggregation differs per backend
def test_notes_history_with_extensions(live, db):
    rid, _ = _create_and_work(live, db)
    [item] = requests.get(f"{live}/requests/{rid}.json?extensions=true", timeout=20).json()
    notes = item["notes"]
    assert [n["type"] for n in notes] == ["submitted", "status", "status", "status"]
    assert [n["detailed_status"] for n in notes] == ["OPEN", "INVESTIGATING", "IN_PROGRESS", "FIXED"]
    assert [n["status"] for n in notes] == ["open", "open", "open", "closed"]
    assert notes[-1]["description"] == "Abgeholt." and item["status_notes"] == "Abgeholt."
    assert all("intern" not in n["description"] for n in notes)
    [plain] = requests.get(f"{live}/requests/{rid}.json", timeout=20).json()
    assert "notes" not in plain and "extended_attributes" not in plain
