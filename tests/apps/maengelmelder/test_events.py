"""The in-process event bus (core.events) and the events GE-meldet publishes."""

from __future__ import annotations

import json
import logging
import threading

import pytest
from sqlalchemy import select

from gelsencloud.apps.maengelmelder import citizen_gateway as gateway
from gelsencloud.apps.maengelmelder import service as svc
from gelsencloud.apps.maengelmelder.config import catalogue
from gelsencloud.apps.maengelmelder.models import Report
from gelsencloud.core import events
from gelsencloud.core.models import Tenant
from gelsencloud.core.principal import SYSTEM
from helpers import require_mqtt

BBOX = (6.990, 51.484, 7.150, 51.628)


@pytest.fixture
def received():
    """Collect every event; unsubscribe afterwards so tests do not leak subscribers."""
    got: list[events.Event] = []
    unsubscribe = events.subscribe("*", got.append)
    yield got
    unsubscribe()


@pytest.mark.usefixtures("backend")
def test_delivered_once_after_commit_and_never_for_rolled_back_work(db, world, received):
    seen_in_db: list[str | None] = []

    def check_committed(event):
        # A subscriber reads the data the event talks about: it must already be committed.
        with db.transaction(SYSTEM) as other:
            seen_in_db.append(other.scalar(select(Tenant.slug).where(Tenant.slug == event.payload["slug"])))

    unsubscribe = events.subscribe("test.tenant.*", check_committed)
    try:
        with db.transaction(SYSTEM) as session:
            session.add(Tenant(slug="ev-one", name="Eins"))
            session.flush()
            events.publish(session, "test.tenant.created", {"slug": "ev-one"})
            assert received == [] and [e.topic for e in events.pending(session)] == ["test.tenant.created"]
        assert [e.payload for e in received] == [{"slug": "ev-one"}]
        assert seen_in_db == ["ev-one"]

        # rolled back by an exception: nothing is delivered, and the data is gone as well
        with pytest.raises(RuntimeError), db.transaction(SYSTEM) as session:
            session.add(Tenant(slug="ev-two", name="Zwei"))
            session.flush()
            events.publish(session, "test.tenant.created", {"slug": "ev-two"})
            raise RuntimeError("boom")
        # explicit rollback, then a commit of other work: the voided event stays voided
        with db.transaction(SYSTEM) as session:
            events.publish(session, "test.tenant.created", {"slug": "ev-three"})
            session.rollback()
            events.publish(session, "test.other.thing", {"n": 1})
        # closed without commit
        session = db.session(SYSTEM)
        events.publish(session, "test.tenant.created", {"slug": "ev-four"})
        session.close()
        session.commit()  # a later commit of the same (now empty) session delivers nothing old
        session.close()
    finally:
        unsubscribe()
    assert [(e.topic, e.payload) for e in received] == [
        ("test.tenant.created", {"slug": "ev-one"}),
        ("test.other.thing", {"n": 1}),
    ]
    assert seen_in_db == ["ev-one"]


@pytest.mark.usefixtures("backend")
def test_a_rolled_back_savepoint_voids_only_its_own_events(db, world, received):
    with db.transaction(SYSTEM) as session:
        events.publish(session, "test.outer.before", {})
        with pytest.raises(ValueError), session.begin_nested():
            events.publish(session, "test.inner.voided", {})
            raise ValueError("inner work fails")
        with session.begin_nested():
            events.publish(session, "test.inner.kept", {})
        events.publish(session, "test.outer.after", {})
    assert [e.topic for e in received] == ["test.outer.before", "test.inner.kept", "test.outer.after"]


def test_patterns_handler_errors_and_bad_input(db, world, received, caplog):
    calls: list[str] = []

    def broken(event):
        raise KeyError("subscriber bug")

    subs = [
        events.subscribe("maengelmelder.request.*", lambda e: calls.append("requests:" + e.topic)),
        events.subscribe("maengelmelder.request.created", lambda e: calls.append("created")),
        events.subscribe("maengelmelder.request.created", broken),
        events.subscribe("waste.*", lambda e: calls.append("waste")),
    ]
    try:
        with caplog.at_level(logging.ERROR, logger="gelsencloud.core.events"):
            with db.transaction(SYSTEM) as session:
                events.publish(session, "maengelmelder.request.created", {"id": 1})
                events.publish(session, "maengelmelder.request.status_changed", {"id": 1})
        assert calls == [
            "requests:maengelmelder.request.created",
            "created",
            "requests:maengelmelder.request.status_changed",
        ]
        assert "subscriber bug" in caplog.text and "maengelmelder.request.created" in caplog.text
        assert len(received) == 2  # the "*" subscriber got both despite the broken one
        with db.transaction(SYSTEM) as session:
            with pytest.raises(ValueError, match="topic"):
                events.publish(session, "Not A Topic", {})
            with pytest.raises(TypeError):
                events.publish(session, "test.bad.payload", {"when": object()})
            assert events.pending(session) == []
    finally:
        for unsubscribe in subs:
            unsubscribe()
    with db.transaction(SYSTEM) as session:
        events.publish(session, "maengelmelder.request.created", {"id": 2})
    assert len(calls) == 3  # unsubscribed handlers are not called any more


@pytest.mark.usefixtures("backend")
def test_reports_publish_anonymised_created_and_status_changed(db, city_id, received):
    jurisdiction = catalogue().jurisdiction(None)
    sub = gateway.Submission(
        jurisdiction=jurisdiction,
        service_code="ablagerung",
        lat="51.516123",
        long="7.095456",
        attributes={"menge": ["gross"]},
        description="Matratzen am Wegrand, Anwohner Herr Beispiel",
        email="buerger@example.org",
        first_name="Erika",
    )
    result = gateway.submit_report_as_city(db, "secret", BBOX, sub)
    [created] = received
    assert created.topic == "maengelmelder.request.created"
    payload = created.payload
    assert payload["id"] == result.report_id and payload["service_code"] == "ablagerung"
    assert payload["status"] == "new" and payload["open311_status"] == "open" and payload["published"] is True
    assert payload["district"] == "mitte"
    # location on the ~100 m grid, never the exact pin
    assert payload["location"] == dict(
        zip(("lat", "lon"), svc.round_to_grid(51.516123, 7.095456), strict=True)
    )
    assert payload["location"] != {"lat": 51.516123, "lon": 7.095456}
    text = json.dumps(payload, ensure_ascii=False)
    for secret in ("Matratzen", "Beispiel", "buerger@example.org", "Erika", "51.516123"):
        assert secret not in text

    # a rejected submission (validation error) publishes nothing
    bad = gateway.Submission(jurisdiction=jurisdiction, service_code="ablagerung", lat="51.5", long="7.09")
    with pytest.raises(svc.ValidationProblems):
        gateway.submit_report_as_city(db, "secret", BBOX, bad)
    assert len(received) == 1

    with db.transaction(SYSTEM) as session:
        report = svc.get_report(session, result.report_id)
        svc.change_status(session, report, "acknowledged", author="t")
        svc.change_status(session, report, "fixed", note="Abgeholt.", author="t")
    assert [(e.topic, e.payload["previous_status"], e.payload["status"]) for e in received[1:]] == [
        ("maengelmelder.request.status_changed", "new", "acknowledged"),
        ("maengelmelder.request.status_changed", "acknowledged", "fixed"),
    ]
    assert received[-1].payload["open311_status"] == "closed"

    # a status change whose transaction fails is neither stored nor announced
    with pytest.raises(RuntimeError), db.transaction(SYSTEM) as session:
        svc.change_status(session, svc.get_report(session, result.report_id), "reopened", author="t")
        raise RuntimeError("later step of the same request fails")
    with db.transaction(SYSTEM) as session:
        assert session.scalar(select(Report.status).where(Report.id == result.report_id)) == "fixed"
    assert len(received) == 3
    # an invalid note (HTML) is refused before anything changes
    with db.transaction(SYSTEM) as session:
        report = svc.get_report(session, result.report_id)
        with pytest.raises(svc.InvalidInput):
            svc.change_status(session, report, "reopened", note="<b>fett</b>", author="t")
        assert report.status == "fixed"
    assert len(received) == 3


def test_events_are_mirrored_to_mqtt(db, world):
    from gelsencloud.core.mqtt import MqttBus

    url = require_mqtt()
    arrived: list[tuple[str, bytes]] = []
    done = threading.Event()
    listener = MqttBus(url, client_id="mm-events-listener")

    def on_message(topic, payload):
        arrived.append((topic, payload))
        done.set()

    listener.subscribe("gelsencloud/events/#", on_message)
    listener.connect()
    publisher = MqttBus(url, client_id="mm-events-publisher")
    publisher.connect()
    try:
        events.enable_mqtt_mirror(publisher)
        with pytest.raises(RuntimeError), db.transaction(SYSTEM) as session:
            events.publish(session, "maengelmelder.request.created", {"id": 0})
            raise RuntimeError("rolled back: never mirrored")
        with db.transaction(SYSTEM) as session:
            events.publish(session, "maengelmelder.request.created", {"id": 7, "status": "new"})
        assert done.wait(10), "no MQTT message arrived"
    finally:
        events.disable_mqtt_mirror()
        publisher.close()
        listener.close()
    [(topic, body)] = arrived
    assert topic == "gelsencloud/events/maengelmelder/request/created"
    message = json.loads(body)
    assert message["topic"] == "maengelmelder.request.created" and message["payload"] == {
        "id": 7,
        "status": "new",
    }
    assert message["id"] and message["occurred_at"].endswith("+00:00")
