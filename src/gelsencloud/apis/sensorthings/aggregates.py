"""Stored hourly aggregates of numeric results: rebuild, refresh dirty hours, answer ``$aggregate``.

``sta_observation_hours`` (migration sta0003) keeps count, sum, minimum and maximum of the numeric
results (``result_number``) per Datastream and UTC hour; triggers maintain it on every write (see the
migration). A Europe/Berlin day (or any zone whose offsets and transitions are whole hours) is a union
of whole UTC hours, so days, months and years of such zones are sums of stored hours: a year of
one-minute values is 8,760 stored rows instead of 525,600 Observations.

Deletes and updates mark their hour ``dirty``; ``refresh_dirty`` recomputes such hours (the write paths
call it before they return), and a reader that still finds a dirty hour computes that hour from the
Observations itself, so an answer never depends on a stale number.

Readers reach the table only through a Datastream they can see: an Observation's tenant and
classification always follow its Datastream (write.py, bulk.py), so what a reader of the Datastream
gets is what the scan over its visible Observations would give.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, bindparam, case, delete, func, select, update
from sqlalchemy.engine import Connection

from gelsencloud.apis.sensorthings import models as m

HOURS = m.observation_hours
_OBS = m.Observation.__table__
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PERIODS = ("hour", "day", "month", "year")  # what whole UTC hours can make up
MAX_DIRTY_ON_READ = 500  # more dirty hours than this: the reader scans the Observations instead


def epoch_hour(column, dialect: str):
    """SQL expression: whole UTC hours since 1970 of a timestamp column (floored, also before 1970)."""
    if dialect == "postgresql":
        return func.floor(func.extract("epoch", column) / 3600).cast(Integer)
    return _floor_div(func.strftime("%s", column).cast(Integer), 3600)


def _hour_window(hour: int) -> tuple[datetime, datetime]:
    start = _EPOCH + timedelta(hours=hour)
    return start, start + timedelta(hours=1)


def _numeric_of_stream(stream_id):
    return [_OBS.c.datastream_id == stream_id, _OBS.c.result_number.is_not(None)]


def rebuild(conn: Connection, stream_ids: Iterable[int] | None = None) -> int:
    """Recompute all stored hours (of some Datastreams) from the Observations; return the row count.

    For data written around the platform (a raw bulk load with the triggers dropped) and for repairs.
    """
    dialect = conn.dialect.name
    hour = epoch_hour(_OBS.c.phenomenon_time_start, dialect).label("epoch_hour")
    where = [_OBS.c.datastream_id.is_not(None), _OBS.c.result_number.is_not(None)]
    cleared = delete(HOURS)
    if stream_ids is not None:
        ids = sorted(set(stream_ids))
        where.append(_OBS.c.datastream_id.in_(ids))
        cleared = cleared.where(HOURS.c.datastream_id.in_(ids))
    conn.execute(cleared)
    source = (
        select(
            _OBS.c.datastream_id,
            hour,
            func.count(),
            func.sum(_OBS.c.result_number),
            func.min(_OBS.c.result_number),
            func.max(_OBS.c.result_number),
        )
        .where(*where)
        .group_by(_OBS.c.datastream_id, hour)
    )
    names = ["datastream_id", "epoch_hour", "count", "total", "minimum", "maximum"]
    conn.execute(HOURS.insert().from_select(names, source))
    counted = select(func.count()).select_from(HOURS)
    if stream_ids is not None:
        counted = counted.where(HOURS.c.datastream_id.in_(ids))
    return conn.execute(counted).scalar_one()  # rowcount of INSERT … SELECT is -1 with psycopg


def _scan_hours(conn: Connection, keys: list[tuple[int, int]]) -> dict[tuple[int, int], tuple]:
    """Count, sum, min and max of the numeric results of these (Datastream, hour)s, from the Observations."""
    found = {}
    stmt = select(
        func.count(),
        func.sum(_OBS.c.result_number),
        func.min(_OBS.c.result_number),
        func.max(_OBS.c.result_number),
    ).where(
        *_numeric_of_stream(bindparam("sid")),
        _OBS.c.phenomenon_time_start >= bindparam("a", type_=m.Observation.phenomenon_time_start.type),
        _OBS.c.phenomenon_time_start < bindparam("b", type_=m.Observation.phenomenon_time_start.type),
    )
    for stream_id, hour in keys:
        start, end = _hour_window(hour)
        found[(stream_id, hour)] = conn.execute(stmt, {"sid": stream_id, "a": start, "b": end}).one()
    return found


def refresh_dirty(conn: Connection, stream_ids: Iterable[int] | None = None) -> int:
    """Recompute the dirty hours (of some Datastreams) from the Observations; return how many."""
    query = select(HOURS.c.datastream_id, HOURS.c.epoch_hour).where(HOURS.c.dirty)
    if stream_ids is not None:
        query = query.where(HOURS.c.datastream_id.in_(sorted(set(stream_ids))))
    keys = [tuple(row) for row in conn.execute(query)]
    if not keys:
        return 0
    for (stream_id, hour), (count, total, low, high) in _scan_hours(conn, keys).items():
        key = (HOURS.c.datastream_id == stream_id) & (HOURS.c.epoch_hour == hour)
        if count:
            conn.execute(
                update(HOURS)
                .where(key)
                .values(count=count, total=total, minimum=low, maximum=high, dirty=False)
            )
        else:
            conn.execute(delete(HOURS).where(key))
    return len(keys)


def whole_hour_transitions(zone: ZoneInfo, first: datetime, last: datetime) -> list[tuple[int, int]] | None:
    """[(from epoch hour, offset in hours), …] of ``zone`` between two instants, or None if some offset
    or transition is not on a whole hour (such zones are answered by the scan)."""
    from gelsencloud.apis.sensorthings.extensions import offset_transitions

    result = []
    for moment, offset in offset_transitions(zone, first, last):
        seconds = int((moment - _EPOCH).total_seconds())
        if offset % 3600 or (len(result) and seconds % 3600):
            return None
        result.append((seconds // 3600, offset // 3600))
    return result


def _local_hour(column, transitions: list[tuple[int, int]]):
    """SQL: the local wall-clock hour (hours since the local 1970 epoch) of an epoch hour column."""
    if len(transitions) == 1:
        return column + transitions[0][1]
    whens = [
        (column < start, previous)
        for (_, previous), (start, _) in zip(transitions, transitions[1:], strict=False)
    ]
    return column + case(*whens, else_=transitions[-1][1])


def _floor_div(value, size: int):
    """Floor division in SQL: both databases truncate integer division towards zero."""
    return (value - (((value % size) + size) % size)) // size


def stored_buckets(
    conn: Connection, stream_id: int, period: str, zone: ZoneInfo
) -> list[tuple[datetime, int, float, float | None, float | None]] | None:
    """(UTC bucket start, count, sum, min, max) per ``period`` of ``zone`` of one Datastream's numeric
    results, from the stored hours; None if they cannot answer (zone not on whole hours, too many
    dirty hours). Empty periods are left out, as the scan leaves them out."""
    first, last = conn.execute(
        select(func.min(HOURS.c.epoch_hour), func.max(HOURS.c.epoch_hour)).where(
            HOURS.c.datastream_id == stream_id
        )
    ).one()
    if first is None:
        return []
    transitions = whole_hour_transitions(zone, _hour_window(first)[0], _hour_window(last)[1])
    if transitions is None:
        return None
    dirty = [
        row.epoch_hour
        for row in conn.execute(
            select(HOURS.c.epoch_hour).where(HOURS.c.datastream_id == stream_id, HOURS.c.dirty)
        )
    ]
    if len(dirty) > MAX_DIRTY_ON_READ:
        return None
    # Days (and months, years) are grouped by local day in SQL; hours are the stored hours themselves.
    local = _local_hour(HOURS.c.epoch_hour, transitions)
    key = HOURS.c.epoch_hour if period == "hour" else _floor_div(local, 24)
    key = key.label("bucket")
    stmt = (
        select(
            key,
            func.sum(HOURS.c.count),
            func.sum(HOURS.c.total),
            func.min(HOURS.c.minimum),
            func.max(HOURS.c.maximum),
        )
        .where(HOURS.c.datastream_id == stream_id, ~HOURS.c.dirty)
        .group_by(key)
    )
    merged: dict[int, list] = {row[0]: list(row[1:]) for row in conn.execute(stmt)}
    if dirty:
        for (_, hour), values in _scan_hours(conn, [(stream_id, h) for h in dirty]).items():
            if not values[0]:
                continue
            offset = next((o for start, o in reversed(transitions) if hour >= start), transitions[0][1])
            bucket = hour if period == "hour" else (hour + offset) // 24
            _merge(merged, bucket, values)
    days = sorted(merged.items())
    if period in ("hour", "day"):
        return [(_bucket_start(bucket, period, zone), *values) for bucket, values in days]
    coarse: dict[tuple, list] = {}
    for day, values in days:
        date = (_EPOCH + timedelta(days=day)).date()
        _merge(coarse, (date.year, date.month if period == "month" else 1), values)
    return [
        (datetime(year, month, 1, tzinfo=zone).astimezone(UTC), *values)
        for (year, month), values in sorted(coarse.items())
    ]


def _merge(buckets: dict, key: Any, values) -> None:
    count, total, low, high = values
    if key not in buckets:
        buckets[key] = [count, total, low, high]
        return
    mine = buckets[key]
    mine[0] += count
    mine[1] += total
    mine[2] = low if mine[2] is None else (mine[2] if low is None else min(mine[2], low))
    mine[3] = high if mine[3] is None else (mine[3] if high is None else max(mine[3], high))


def _bucket_start(bucket: int, period: str, zone: ZoneInfo) -> datetime:
    if period == "hour":
        return _EPOCH + timedelta(hours=bucket)
    local = datetime(1970, 1, 1) + timedelta(days=bucket)
    return local.replace(tzinfo=zone).astimezone(UTC)
