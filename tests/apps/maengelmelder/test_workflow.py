"""Back office: workflow, notes, assignment, routing, duplicates, merge, bulk actions, statistics."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gelsencloud.apps.maengelmelder import service as svc
from gelsencloud.apps.maengelmelder.workflow import CLOSED_STATES, STATUSES, can_move, open311_status
from gelsencloud.core.identity import InvalidInput
from gelsencloud.core.models import utcnow
from gelsencloud.core.principal import SYSTEM, Principal, Role
from helpers import auth


def editor(city_id: int) -> Principal:
    return Principal(kind="user", tenant_id=city_id, role=Role.EDITOR, name="city.editor")


def make(session, city_id, code="ablagerung", lat=51.516, lon=7.095, days=0, attrs=None):
    service = svc.get_service(session, city_id, code)
    attrs = (
        attrs
        or {
            "ablagerung": {"menge": ["klein"]},
            "baum-gruen": {"problem": ["ast"], "gefahr": ["nein"]},
            "beleuchtung": {"fehler": ["aus"]},
        }[code]
    )
    new = svc.NewReport(
        service=service,
        description="Demo",
        lat=lat,
        lon=lon,
        attributes=svc.validate_attributes(service, attrs),
        requested_at=utcnow() - timedelta(days=days),
    )
    return svc.create_report(session, new)


def test_status_mapping_and_transitions():
    assert {c for c, s in STATUSES.items() if s.open311 == "open"} == {
        "new",
        "acknowledged",
        "in_progress",
        "reopened",
    }
    assert CLOSED_STATES == {"fixed", "closed_duplicate", "closed_not_responsible", "closed_not_fixable"}
    assert open311_status("closed_not_fixable") == "closed"
    assert can_move("new", "acknowledged") and can_move("fixed", "reopened") and can_move("reopened", "fixed")
    assert not can_move("fixed", "in_progress") and not can_move("in_progress", "acknowledged")


def test_workflow_with_public_status_notes_and_internal_notes(db, world, city_id):
    with db.transaction(editor(city_id)) as session:
        report = make(session, city_id)
        svc.change_status(session, report, "acknowledged", author="e")
        svc.add_internal_note(session, report, "nur intern", author="e")
        with pytest.raises(InvalidInput):
            svc.change_status(session, report, "reopened")
        svc.change_status(session, report, "fixed", note="Beseitigt.", author="e")
        assert report.closed_at is not None
        svc.change_status(session, report, "reopened", author="e")
        assert report.closed_at is None
        rid = report.id
    with db.transaction() as session:  # anonymous
        notes = svc.notes_of(session, [rid])[rid]
        texts = [n.text for n in notes]
        assert "nur intern" not in texts
        assert texts[1].startswith("Vielen Dank für Ihre Meldung")  # the template of "acknowledged"
        assert texts[2] == "Beseitigt."
    with db.transaction(editor(city_id)) as session:
        assert "nur intern" in [n.text for n in svc.notes_of(session, [rid])[rid]]


def test_routing_by_category_and_district_from_the_seed_file(db, world, city_id):
    with db.transaction(editor(city_id)) as session:
        buer = make(session, city_id, "baum-gruen", lat=51.577, lon=7.057)
        schalke = make(session, city_id, "baum-gruen", lat=51.522, lon=7.085)
        dumping = make(session, city_id, "ablagerung", lat=51.577, lon=7.057)
        assert (buer.district_code, buer.department) == ("nord", "gruen-nord")
        assert (schalke.district_code, schalke.department) == ("mitte", "gruen-sued")
        assert dumping.department == "stadtreinigung" and dumping.agency_responsible == "GELSENDIENSTE"
        assert dumping.expected_at - dumping.requested_at == timedelta(days=5)  # SLA of the service


def test_assignment_and_priority(db, world, city_id):
    with db.transaction(editor(city_id)) as session:
        report = make(session, city_id)
        svc.assign(session, report, assignee="kolonne-3", department="buergerservice")
        svc.set_priority(session, report, "urgent")
        assert (report.assigned_to, report.department, report.priority) == (
            "kolonne-3",
            "buergerservice",
            "urgent",
        )
        with pytest.raises(InvalidInput):
            svc.set_priority(session, report, "sofort")
        with pytest.raises(InvalidInput):
            svc.assign(session, report, assignee=None, department="gibt-es-nicht")


def test_duplicate_suggestions_merge_and_bulk(db, world, city_id):
    with db.transaction(editor(city_id)) as session:
        first = make(session, city_id, days=2)
        near = make(session, city_id, lat=51.5162, lon=7.0952)  # ~26 m away
        far = make(session, city_id, lat=51.520, lon=7.095)  # ~445 m away
        other_kind = make(session, city_id, "beleuchtung", lat=51.5161, lon=7.0951)
        too_old = make(session, city_id, days=30)
        found = svc.duplicate_candidates(session, near)
        assert [r.id for r, _ in found] == [first.id]
        assert 20 < found[0][1] < 35
        assert far.id not in {r.id for r, _ in found} and other_kind.id not in {r.id for r, _ in found}
        assert too_old.id not in {r.id for r, _ in found}
        svc.merge_into(session, near, first, author="e")
        assert near.status == "closed_duplicate" and near.duplicate_of_id == first.id
        with pytest.raises(InvalidInput):
            svc.merge_into(session, first, first)
        done = svc.bulk_action(session, [first.id, far.id, near.id], "status", "acknowledged", author="e")
        assert (
            done == 2 and first.status == far.status == "acknowledged" and near.status == "closed_duplicate"
        )
        assert svc.bulk_action(session, [first.id, far.id], "assign", "team-a") == 2
        with pytest.raises(InvalidInput):
            svc.bulk_action(session, [first.id], "delete", "")


def test_moderation_publishes_and_hides(db, world, city_id):
    with db.transaction(editor(city_id)) as session:
        service = svc.get_service(session, city_id, "ablagerung")
        held = svc.create_report(
            session,
            svc.NewReport(
                service=service,
                description="Mail an max@example.org",
                lat=51.51,
                lon=7.09,
                attributes={"menge": "klein"},
            ),
        )
        assert held.classification == "internal" and "E-Mail" in held.moderation_reason
        rid = held.id
    with db.transaction() as session:
        assert svc.list_reports(session, svc.ReportQuery(ids=[rid])) == []
    with db.transaction(editor(city_id)) as session:
        svc.moderate_report(
            session, svc.get_report(session, rid), approve=True, description="Text bereinigt."
        )
    with db.transaction() as session:
        [report] = svc.list_reports(session, svc.ReportQuery(ids=[rid]))
        assert report.description == "Text bereinigt." and len(svc.notes_of(session, [rid])[rid]) == 1
    with db.transaction(editor(city_id)) as session:
        svc.moderate_report(session, svc.get_report(session, rid), approve=False, reason="Spam")
    with db.transaction() as session:
        assert svc.list_reports(session, svc.ReportQuery(ids=[rid])) == []
        assert svc.notes_of(session, [rid])[rid] == []


def test_statistics_and_sla(db, world, city_id):
    with db.transaction(editor(city_id)) as session:
        old = make(session, city_id, days=20)  # SLA 5 days: overdue
        done = make(session, city_id, "beleuchtung", days=4)
        svc.change_status(session, done, "fixed", author="e")
        make(session, city_id, "baum-gruen", lat=51.577, lon=7.057)
        stats = svc.statistics(session, city_id)
    assert stats["total"] == 3 and stats["overdue"] == 1
    assert stats["by_status"] == {"new": 2, "fixed": 1}
    assert stats["by_service"]["Illegale Müllablagerung"] == 1
    assert stats["by_district"] == {"mitte": 2, "nord": 1}
    assert 3.9 < stats["median_days_to_close"] < 4.1
    assert old.id


def test_staff_json_api(client, db, world, city_id):
    with db.transaction(SYSTEM) as session:
        rid = make(session, city_id).id
    editor_key, other = auth(world.keys["city.editor"]), auth(world.keys["net.admin"])
    url = f"/api/v1/maengelmelder/reports/{rid}"
    moved = client.post(url + "/status", json={"status": "in_progress"}, headers=editor_key)
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"
    assert client.post(url + "/status", json={"status": "new"}, headers=editor_key).status_code == 400
    assert client.post(url + "/status", json={"status": "fixed"}, headers=other).status_code == 404
    assert client.post(url + "/status", json={"status": "fixed"}).status_code == 401
    assert client.post(url + "/notes", json={"text": "intern"}, headers=editor_key).status_code == 201
    assigned = client.post(
        url + "/assignment", json={"assigned_to": "a", "priority": "high"}, headers=editor_key
    )
    assert assigned.json()["assigned_to"] == "a" and assigned.json()["priority"] == "high"
    assert client.get(url + "/duplicates", headers=editor_key).json() == []
    stats = client.get("/api/v1/maengelmelder/statistics", headers=editor_key).json()
    assert stats["by_status"] == {"in_progress": 1}
    assert client.get("/api/v1/maengelmelder/statistics").status_code == 401
