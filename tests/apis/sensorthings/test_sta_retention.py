"""Retention and down-sampling policies per Datastream (properties.retention)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sta_helpers import ROOT, create, weather_station

from gelsencloud.apis.sensorthings import retention
from gelsencloud.apis.sensorthings.models import Observation
from gelsencloud.apis.sensorthings.service import add_observations
from gelsencloud.core.principal import SYSTEM

pytestmark = pytest.mark.usefixtures("backend")
NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def _stream(client, editor, policy: dict | None = None) -> int:
    thing_id = create(client, "Things", weather_station(), editor)
    stream_id = client.get(f"{ROOT}/Things({thing_id})/Datastreams", headers=editor).json()["value"][0][
        "@iot.id"
    ]
    if policy is not None:
        response = client.patch(
            f"{ROOT}/Datastreams({stream_id})", json={"properties": {"retention": policy}}, headers=editor
        )
        assert response.status_code == 200, response.text
    return stream_id


def test_bad_policies_are_refused_with_a_reason(client, editor):
    stream_id = _stream(client, editor)
    cases = [
        ({"rawDays": 0}, "rawDays must be a whole number"),
        ({"downsample": "hour"}, "needs rawDays"),
        ({"rawDays": 3, "downsample": "week"}, "downsample must be one of hour, day"),
        ({"rawDays": 3, "method": "median"}, "method must be one of"),
        ({"rawDays": 30, "deleteAfterDays": 10}, "larger than rawDays"),
        ({"keep": 1}, "unknown key 'keep'"),
        ("forever", "must be an object"),
    ]
    for policy, message in cases:
        response = client.patch(
            f"{ROOT}/Datastreams({stream_id})", json={"properties": {"retention": policy}}, headers=editor
        )
        assert response.status_code == 400 and message in response.json()["message"], (policy, response.text)
    body = weather_station()
    body["Datastreams"][0]["properties"] = {"retention": {"rawDays": -1}}
    assert client.post(f"{ROOT}/Things", json=body, headers=editor).status_code == 400


def test_old_raw_values_become_hourly_means_and_expired_ones_go(client, editor, db):
    stream_id = _stream(
        client, editor, {"rawDays": 1, "downsample": "hour", "method": "avg", "deleteAfterDays": 2}
    )
    start = NOW - timedelta(days=3)
    rows = [
        {"phenomenonTime": start + timedelta(minutes=15 * i), "result": float(i % 4)} for i in range(4 * 72)
    ]
    rows.append({"phenomenonTime": NOW - timedelta(hours=36), "result": "Wartung"})  # not numeric: kept
    with db.transaction(SYSTEM) as session:
        add_observations(session, stream_id, rows)
    results = retention.apply_policies(db, now=NOW)
    outcome = results[stream_id]
    # Older than 2 days: 24 h x 4 values deleted. Between 2 days and 1 day ago: 24 hours folded.
    assert outcome.expired == 96 and outcome.replaced == 96 and outcome.aggregated == 24
    with db.transaction(SYSTEM) as session:
        kept = session.scalars(
            select(Observation)
            .where(Observation.datastream_id == stream_id)
            .order_by(Observation.phenomenon_time_start)
        ).all()
    aggregates = [o for o in kept if o.phenomenon_time_end is not None]
    raw = [o for o in kept if o.phenomenon_time_end is None]
    assert len(aggregates) == 24 and len(raw) == 96 + 1
    first = aggregates[0]
    assert first.phenomenon_time_start == NOW - timedelta(days=2)
    assert first.phenomenon_time_end - first.phenomenon_time_start == timedelta(hours=1)
    assert first.result == 1.5 and first.parameters["gelsencloud:aggregate"] == {
        "method": "avg",
        "period": "hour",
        "count": 4,
    }
    assert "Wartung" in [o.result for o in raw]
    assert retention.apply_policies(db, now=NOW)[stream_id].replaced == 0  # nothing left to do
    stream = client.get(f"{ROOT}/Datastreams({stream_id})", headers=editor).json()
    assert stream["phenomenonTime"].startswith("2026-06-08T12:00:00Z/")
    agg = client.get(
        f"{ROOT}/Datastreams({stream_id})/Observations?$filter=phenomenonTime lt 2026-06-09T00:00:00Z&$orderby=phenomenonTime&$top=1",
        headers=editor,
    ).json()["value"][0]
    assert agg["phenomenonTime"] == "2026-06-08T12:00:00Z/2026-06-08T13:00:00Z"


def test_daily_means_follow_local_days_across_the_dst_change(client, editor, db):
    stream_id = _stream(client, editor, {"rawDays": 30, "downsample": "day", "method": "max"})
    start = datetime(2026, 3, 27, 23, 0, tzinfo=UTC)  # 2026-03-28 00:00 in Gelsenkirchen (CET)
    rows = [{"phenomenonTime": start + timedelta(hours=h), "result": float(h)} for h in range(72)]
    with db.transaction(SYSTEM) as session:
        add_observations(session, stream_id, rows)
    retention.apply_policies(db, now=datetime(2026, 5, 1, tzinfo=UTC))
    with db.transaction(SYSTEM) as session:
        days = session.execute(
            select(Observation.phenomenon_time_start, Observation.phenomenon_time_end, Observation.result)
            .where(Observation.datastream_id == stream_id)
            .order_by(Observation.phenomenon_time_start)
        ).all()
    spans = [(a.isoformat(), b.isoformat(), r) for a, b, r in days]
    assert spans == [
        ("2026-03-27T23:00:00+00:00", "2026-03-28T23:00:00+00:00", 23.0),  # 24 h
        ("2026-03-28T23:00:00+00:00", "2026-03-29T22:00:00+00:00", 46.0),  # 23 h: clocks go forward
        ("2026-03-29T22:00:00+00:00", "2026-03-30T22:00:00+00:00", 70.0),
        ("2026-03-30T22:00:00+00:00", "2026-03-31T22:00:00+00:00", 71.0),  # the last hour starts day 4
    ]


def test_the_job_is_registered(registry):
    assert "sensorthings.retention" in {job.name for job in registry.jobs()}
