"""Stored hourly aggregates: every write path keeps them equal to a scan of the Observations."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, text, update
from sta_helpers import ROOT, create, weather_station

from gelsencloud.apis.sensorthings import aggregates, extensions, retention
from gelsencloud.apis.sensorthings import models as m
from gelsencloud.apis.sensorthings.query import QueryOptions
from gelsencloud.apis.sensorthings.service import add_observations
from gelsencloud.apis.sensorthings.service.read import ReadContext
from gelsencloud.core.principal import SYSTEM

pytestmark = pytest.mark.usefixtures("backend")
START = datetime(2024, 3, 28, tzinfo=UTC)  # spans the spring DST change of Europe/Berlin
ZONES = ("Europe/Berlin", "UTC", "America/New_York")
PERIODS = ("hour", "day", "month", "year")


def _stream(client, editor, classification: str = "public") -> int:
    thing = create(client, "Things", weather_station(classification=classification), editor)
    return client.get(f"{ROOT}/Things({thing})/Datastreams", headers=editor).json()["value"][0]["@iot.id"]


def _random_rows(seed: int, count: int, dyadic: bool = True) -> list[dict]:
    """Random instants over five weeks; dyadic numbers (exact in any summation order), some non-numeric."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        moment = START + timedelta(seconds=rng.randrange(0, 35 * 86400))
        kind = rng.random()
        if kind < 0.08:
            result = rng.choice(["defekt", True, None, [1, 2], {"a": 1}])
        elif dyadic:
            result = rng.randrange(-4000, 4000) / 8
        else:
            result = rng.uniform(-50, 50)
        rows.append({"phenomenonTime": moment, "result": result})
    return rows


def _both(db, stream: int, method: str, period: str, zone: str) -> tuple[dict, dict]:
    """(scan, stored) answers of $aggregate for one Datastream."""
    params = {"aggrMethod": method, "aggrPeriod": period, "aggrTimeZone": zone}
    with db.transaction(SYSTEM) as session:
        ctx = ReadContext(session, "http://test")
        where = [m.Observation.datastream_id == stream]
        scan = extensions.aggregate(ctx, where, QueryOptions(), params)
        # The stored path must really be taken for these zones (whole-hour offsets).
        assert aggregates.stored_buckets(session.connection(), stream, period, ZoneInfo(zone)) is not None
        kept = extensions.aggregate(ctx, where, QueryOptions(), params, datastream_id=stream)
    return scan, kept


def _assert_same(db, stream: int, exact: bool = True) -> None:
    for zone in ZONES:
        for period in PERIODS:
            for method in extensions.METHODS:
                scan, kept = _both(db, stream, method, period, zone)
                if exact or method in ("count", "min", "max"):
                    assert kept == scan, (zone, period, method)
                    continue
                assert [(v["phenomenonTime"], v["count"]) for v in kept["value"]] == [
                    (v["phenomenonTime"], v["count"]) for v in scan["value"]
                ]
                for mine, theirs in zip(kept["value"], scan["value"], strict=True):
                    assert mine["result"] == pytest.approx(theirs["result"], rel=1e-9, abs=1e-9)


def _stored_rows(db, stream: int) -> list[tuple]:
    with db.transaction(SYSTEM) as session:
        hours = m.observation_hours
        query = select(hours).where(hours.c.datastream_id == stream).order_by(hours.c.epoch_hour)
        return [tuple(row) for row in session.connection().execute(query)]


def _assert_equals_rebuild(db, stream: int) -> None:
    """What the triggers (and refreshes) kept is what a rebuild from the Observations gives."""
    kept = _stored_rows(db, stream)
    assert not any(row[-1] for row in kept), "dirty hours left behind by a write path"
    with db.transaction(SYSTEM) as session:
        aggregates.rebuild(session.connection(), [stream])
    assert _stored_rows(db, stream) == kept


def test_stored_aggregates_equal_the_scan_after_every_write_path(client, editor, db):
    stream = _stream(client, editor)
    with db.transaction(SYSTEM) as session:  # the bulk path
        add_observations(session, stream, _random_rows(1, 1500))
    _assert_same(db, stream)
    _assert_equals_rebuild(db, stream)
    # The ORM path (POST), then PATCH of time and result, then DELETE.
    created = [
        create(
            client,
            f"Datastreams({stream})/Observations",
            {"phenomenonTime": f"2024-04-0{d}T10:15:00Z", "result": d * 1.5},
            editor,
        )
        for d in range(1, 6)
    ]
    moved = client.patch(
        f"{ROOT}/Observations({created[0]})",
        json={"phenomenonTime": "2024-03-31T00:30:00Z", "result": 99.25},
        headers=editor,
    )
    assert moved.status_code == 200
    assert (
        client.patch(f"{ROOT}/Observations({created[1]})", json={"result": "aus"}, headers=editor).status_code
        == 200
    )
    assert client.delete(f"{ROOT}/Observations({created[2]})", headers=editor).status_code == 200
    _assert_same(db, stream)
    _assert_equals_rebuild(db, stream)


def test_random_floats_agree_up_to_summation_order(client, editor, db):
    stream = _stream(client, editor)
    with db.transaction(SYSTEM) as session:
        add_observations(session, stream, _random_rows(2, 1200, dyadic=False))
    _assert_same(db, stream, exact=False)


def test_dirty_hours_are_computed_on_read_until_refreshed(client, editor, db):
    stream = _stream(client, editor)
    with db.transaction(SYSTEM) as session:
        add_observations(session, stream, _random_rows(3, 800))
    # Around the platform: raw deletes and updates only mark hours dirty; readers must not use them.
    with db.transaction(SYSTEM) as session:
        obs = m.Observation.__table__
        ids = list(
            session.connection().execute(select(obs.c.id).where(obs.c.datastream_id == stream)).scalars()
        )
        session.connection().execute(delete(obs).where(obs.c.id.in_(ids[::7])))
        session.connection().execute(update(obs).where(obs.c.id.in_(ids[1::9])).values(result_number=1.0))
    assert any(row[-1] for row in _stored_rows(db, stream))
    _assert_same(db, stream)
    with db.transaction(SYSTEM) as session:
        assert aggregates.refresh_dirty(session.connection()) > 0
    _assert_equals_rebuild(db, stream)
    _assert_same(db, stream)


def test_retention_keeps_the_stored_hours_current(client, editor, db):
    stream = _stream(client, editor)
    response = client.patch(
        f"{ROOT}/Datastreams({stream})",
        json={"properties": {"retention": {"rawDays": 10, "downsample": "hour", "deleteAfterDays": 30}}},
        headers=editor,
    )
    assert response.status_code == 200
    with db.transaction(SYSTEM) as session:
        add_observations(session, stream, _random_rows(4, 1000))
    retention.apply_policies(db, now=START + timedelta(days=40))
    _assert_same(db, stream, exact=False)  # the hourly means themselves are not dyadic
    _assert_equals_rebuild(db, stream)


def test_classification_change_and_cascade_delete(client, editor, db):
    stream = _stream(client, editor)
    with db.transaction(SYSTEM) as session:
        add_observations(session, stream, _random_rows(5, 300))
        thing = session.get(m.Datastream, stream).thing_id
    before = _stored_rows(db, stream)
    # A Thing's classification cascades to its Observations: the numbers stay, nothing turns dirty.
    response = client.patch(
        f"{ROOT}/Things({thing})", json={"@gelsencloud.classification": "internal"}, headers=editor
    )
    assert response.status_code == 200, response.text
    assert _stored_rows(db, stream) == before
    assert client.delete(f"{ROOT}/Datastreams({stream})", headers=editor).status_code == 200
    assert _stored_rows(db, stream) == []


def test_readers_who_cannot_see_the_datastream_get_nothing(client, editor, outsider, db):
    stream = _stream(client, editor, classification="internal")
    with db.transaction(SYSTEM) as session:
        add_observations(session, stream, _random_rows(6, 200))
    url = f"{ROOT}/Datastreams({stream})/Observations/$aggregate?aggrMethod=count&aggrPeriod=day"
    assert client.get(url).status_code == 404  # anonymous
    assert client.get(url, headers=outsider).status_code == 404  # another tenant
    seen = client.get(url, headers=editor).json()["value"]
    with db.transaction(SYSTEM) as session:
        numeric = session.scalar(
            text(
                "SELECT count(*) FROM sta_observations WHERE datastream_id = :s AND result_number IS NOT NULL"
            ),
            {"s": stream},
        )
    assert sum(v["count"] for v in seen) == numeric > 0


def test_zones_off_whole_hours_fall_back_to_the_scan(client, editor, db):
    stream = _stream(client, editor)
    with db.transaction(SYSTEM) as session:
        add_observations(session, stream, _random_rows(7, 300))
        ctx = ReadContext(session, "http://test")
        connection = session.connection()
        assert aggregates.stored_buckets(connection, stream, "day", ZoneInfo("Asia/Kolkata")) is None
        params = {"aggrMethod": "sum", "aggrPeriod": "day", "aggrTimeZone": "Asia/Kolkata"}
        where = [m.Observation.datastream_id == stream]
        scan = extensions.aggregate(ctx, where, QueryOptions(), params)
        assert extensions.aggregate(ctx, where, QueryOptions(), params, datastream_id=stream) == scan
