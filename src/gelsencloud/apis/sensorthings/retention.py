"""Retention and down-sampling policies per Datastream (a GELSENcloud extension FROST-Server lacks).

A policy lives in the Datastream's ``properties`` under ``retention``, so it is set and read with plain
SensorThings requests (POST/PATCH of the Datastream)::

    "properties": {"retention": {"rawDays": 90, "downsample": "hour", "method": "avg", "deleteAfterDays": 3650}}

- ``rawDays``: raw (instant) Observations older than this many days are replaced by one Observation per
  ``downsample`` period (``hour`` or ``day``; days are local days in Europe/Berlin) and FeatureOfInterest,
  whose ``phenomenonTime`` is the period, ``result`` the ``method`` (avg, min, max, sum, count) of the
  numeric results, and ``parameters`` say how it was made. Without ``downsample`` they are deleted.
  Only complete periods are touched; non-numeric results are left alone unless expired.
- ``deleteAfterDays``: every Observation older than this is deleted (aggregates included).

The job ``sensorthings.retention`` applies all policies daily; ``apply_policies`` is also called by the CLI
and tests. Each Datastream is processed in its own transaction, in windows of one day, so memory stays flat.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, true

from gelsencloud.apis.sensorthings import models as m
from gelsencloud.apis.sensorthings.aggregates import refresh_dirty
from gelsencloud.apis.sensorthings.errors import bad_request
from gelsencloud.core.models import utcnow

LOGGER = logging.getLogger(__name__)
POLICY_KEY = "retention"
LOCAL = ZoneInfo("Europe/Berlin")
METHODS = {
    "avg": lambda values: sum(values) / len(values),
    "min": min,
    "max": max,
    "sum": sum,
    "count": len,
}
PERIODS = ("hour", "day")


@dataclass(frozen=True)
class RetentionPolicy:
    """What to keep of a Datastream's Observations."""

    raw_days: int | None = None
    downsample: str | None = None
    method: str = "avg"
    delete_after_days: int | None = None


def parse_policy(value: Any) -> RetentionPolicy:
    """Validate a ``properties.retention`` object; raise 400 with what is wrong."""
    if not isinstance(value, dict):
        raise bad_request("properties.retention must be an object")
    known = {"rawDays", "downsample", "method", "deleteAfterDays"}
    unknown = sorted(set(value) - known)
    if unknown:
        raise bad_request(
            f"properties.retention: unknown key '{unknown[0]}' (known: {', '.join(sorted(known))})"
        )
    days = {}
    for key in ("rawDays", "deleteAfterDays"):
        if value.get(key) is not None:
            if isinstance(value[key], bool) or not isinstance(value[key], int) or value[key] < 1:
                raise bad_request(f"properties.retention.{key} must be a whole number of days >= 1")
            days[key] = value[key]
    downsample = value.get("downsample")
    if downsample is not None and downsample not in PERIODS:
        raise bad_request(f"properties.retention.downsample must be one of {', '.join(PERIODS)}")
    method = value.get("method", "avg")
    if method not in METHODS:
        raise bad_request(f"properties.retention.method must be one of {', '.join(METHODS)}")
    if downsample is not None and "rawDays" not in days:
        raise bad_request(
            "properties.retention.downsample needs rawDays (after how many days to down-sample)"
        )
    if "rawDays" in days and "deleteAfterDays" in days and days["deleteAfterDays"] <= days["rawDays"]:
        raise bad_request("properties.retention.deleteAfterDays must be larger than rawDays")
    return RetentionPolicy(days.get("rawDays"), downsample, method, days.get("deleteAfterDays"))


def check_properties(properties: Any) -> None:
    """Validate the retention policy inside Datastream properties, if there is one (for writes)."""
    if isinstance(properties, dict) and POLICY_KEY in properties:
        parse_policy(properties[POLICY_KEY])


def _bucket_start(moment: datetime, period: str) -> datetime:
    if period == "hour":
        return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    local = moment.astimezone(LOCAL)
    return datetime(local.year, local.month, local.day, tzinfo=LOCAL).astimezone(UTC)


def _bucket_end(start: datetime, period: str) -> datetime:
    if period == "hour":
        return start + timedelta(hours=1)
    local = start.astimezone(LOCAL) + timedelta(days=1)  # wall-clock arithmetic: 23 or 25 h at DST changes
    return datetime(local.year, local.month, local.day, tzinfo=LOCAL).astimezone(UTC)


@dataclass
class Outcome:
    """What a policy run did to one Datastream."""

    aggregated: int = 0  # aggregate Observations written
    replaced: int = 0  # raw Observations folded into aggregates or dropped after rawDays
    expired: int = 0  # Observations deleted after deleteAfterDays


def apply_policy(
    session, stream: m.Datastream, policy: RetentionPolicy, now: datetime | None = None
) -> Outcome:
    """Apply one Datastream's policy in the caller's transaction."""
    from gelsencloud.apis.sensorthings.service.bulk import insert_many

    now = now or utcnow()
    outcome = Outcome()
    obs = m.Observation
    if policy.delete_after_days is not None:
        cutoff = now - timedelta(days=policy.delete_after_days)
        outcome.expired = session.execute(
            delete(obs).where(obs.datastream_id == stream.id, obs.phenomenon_time_start < cutoff)
        ).rowcount
        if outcome.expired:  # the Datastream's phenomenonTime must not claim what is gone
            stream.phenomenon_time_start = session.scalar(
                select(func.min(obs.phenomenon_time_start)).where(obs.datastream_id == stream.id)
            )
            if stream.phenomenon_time_start is None:
                stream.phenomenon_time_end = None
    if policy.raw_days is None:
        refresh_dirty(session.connection(), [stream.id])
        return outcome
    cutoff = now - timedelta(days=policy.raw_days)
    if policy.downsample:
        cutoff = _bucket_start(cutoff, policy.downsample)  # complete periods only
    raw = (
        obs.datastream_id == stream.id,
        obs.phenomenon_time_end.is_(None),
        obs.phenomenon_time_start < cutoff,
    )
    first = session.scalar(
        select(obs.phenomenon_time_start).where(*raw).order_by(obs.phenomenon_time_start).limit(1)
    )
    while first is not None:
        window_end = min(_bucket_end(_bucket_start(first, "day"), "day"), cutoff)
        in_window = (*raw, obs.phenomenon_time_start >= first, obs.phenomenon_time_start < window_end)
        if policy.downsample:
            rows = session.execute(
                select(
                    obs.id, obs.phenomenon_time_start, obs.result_number, obs.feature_of_interest_id
                ).where(*in_window, obs.result_number.is_not(None))
            ).all()
            groups: dict[tuple, list[float]] = defaultdict(list)
            for _id, moment, number, feature in rows:
                groups[(_bucket_start(moment, policy.downsample), feature)].append(number)
            values = [
                {
                    "phenomenon_time_start": start,
                    "phenomenon_time_end": _bucket_end(start, policy.downsample),
                    "result_time": None,
                    "result": METHODS[policy.method](numbers),
                    "result_number": float(METHODS[policy.method](numbers)),
                    "result_string": None,
                    "result_quality": None,
                    "valid_time_start": None,
                    "valid_time_end": None,
                    "parameters": {
                        "gelsencloud:aggregate": {
                            "method": policy.method,
                            "period": policy.downsample,
                            "count": len(numbers),
                        }
                    },
                    "datastream_id": stream.id,
                    "feature_of_interest_id": feature,
                    "tenant_id": stream.tenant_id,
                    "classification": stream.classification,
                }
                for (start, feature), numbers in sorted(groups.items(), key=lambda item: item[0][0])
            ]
            insert_many(session, obs.__table__, values)
            outcome.aggregated += len(values)
            ids = [row[0] for row in rows]
            for i in range(0, len(ids), 500):
                session.execute(delete(obs).where(obs.id.in_(ids[i : i + 500])))
            outcome.replaced += len(ids)
        else:
            outcome.replaced += session.execute(delete(obs).where(*in_window)).rowcount
        first = session.scalar(
            select(obs.phenomenon_time_start)
            .where(
                *raw,
                obs.phenomenon_time_start >= window_end,
                obs.result_number.is_not(None) if policy.downsample else true(),
            )
            .order_by(obs.phenomenon_time_start)
            .limit(1)
        )
    refresh_dirty(session.connection(), [stream.id])  # the hours whose raw rows were replaced
    return outcome


def policies(session) -> list[tuple[m.Datastream, RetentionPolicy]]:
    """Return the Datastreams with a valid retention policy (invalid ones are logged and skipped)."""
    found = []
    for stream in session.scalars(select(m.Datastream).where(m.Datastream.properties.is_not(None))):
        value = (stream.properties or {}).get(POLICY_KEY) if isinstance(stream.properties, dict) else None
        if value is None:
            continue
        try:
            found.append((stream, parse_policy(value)))
        except Exception as exc:  # noqa: BLE001 - one bad policy must not stop the others
            LOGGER.error("Datastream %s: retention policy ignored: %s", stream.id, exc)
    return found


def apply_policies(db, now: datetime | None = None) -> dict[int, Outcome]:
    """Apply every Datastream's policy, one transaction per Datastream, as the platform itself."""
    from gelsencloud.core.principal import SYSTEM

    with db.transaction(SYSTEM) as session:
        stream_ids = [(stream.id, policy) for stream, policy in policies(session)]
    results = {}
    for stream_id, policy in stream_ids:
        with db.transaction(SYSTEM) as session:
            stream = session.get(m.Datastream, stream_id)
            if stream is not None:
                results[stream_id] = apply_policy(session, stream, policy, now)
    return results


def run_job(ctx) -> str:
    """Scheduled job: apply all retention policies and say what was done."""
    results = apply_policies(ctx.db)
    total = Outcome()
    for outcome in results.values():
        total.aggregated += outcome.aggregated
        total.replaced += outcome.replaced
        total.expired += outcome.expired
    return (
        f"{len(results)} Datastreams: {total.replaced} raw Observations down-sampled into "
        f"{total.aggregated}, {total.expired} expired"
    )
