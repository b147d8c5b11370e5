"""GELSENcloud extensions for dashboards: latest Observation and server-side time aggregation.

- ``GET …/Datastreams(1)/Observations/latest``: the Observation with the newest phenomenonTime
  (one indexed query on (datastream_id, phenomenon_time_start)).
- ``GET …/Datastreams(1)/Observations/$aggregate?aggrMethod=avg&aggrPeriod=day[&aggrTimeZone=…][&$filter=…]``:
  numeric results per calendar period; methods count, sum, avg, min, max; periods year, month, day,
  hour, minute (the QuantumLeap vocabulary). Periods are calendar periods of ``aggrTimeZone`` (an IANA
  name, default ``Europe/Berlin``, ``UTC`` allowed): ``day`` is a local day, so the days of the DST
  changes last 23 and 25 hours, and each returned ``phenomenonTime`` is the exact UTC interval.

PostgreSQL buckets with ``date_trunc`` on the local time (``AT TIME ZONE``). SQLite has no time zones:
the UTC offsets of the zone between the first and last matching Observation are computed with
``zoneinfo`` and applied with a ``CASE`` over the transition instants. Hours and minutes are bucketed
on local time *with* its offset, so the repeated hour of the autumn change stays two separate hours.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Integer, String, case, cast, func, literal, select
from sqlalchemy.exc import DBAPIError

from gelsencloud.apis.sensorthings import aggregates as stored
from gelsencloud.apis.sensorthings.errors import bad_request, not_found
from gelsencloud.apis.sensorthings.models import Observation
from gelsencloud.apis.sensorthings.query import QueryOptions
from gelsencloud.apis.sensorthings.schema import ENTITY_TYPES
from gelsencloud.apis.sensorthings.serialize import iso
from gelsencloud.apis.sensorthings.translate import Translator
from gelsencloud.core.models import Timestamp

METHODS = {"count": func.count, "sum": func.sum, "avg": func.avg, "min": func.min, "max": func.max}
_SQLITE_FORMATS = {
    "year": "%Y-01-01 00:00:00",
    "month": "%Y-%m-01 00:00:00",
    "day": "%Y-%m-%d 00:00:00",
    "hour": "%Y-%m-%d %H:00:00",
    "minute": "%Y-%m-%d %H:%M:00",
}
_CALENDAR = ("year", "month", "day")
_FIXED = {
    "day": 86_400,
    "hour": 3_600,
    "minute": 60,
}  # SQLite buckets these on epoch seconds  # bucket starts at a local midnight; hours/minutes keep the offset
DEFAULT_TIME_ZONE = "Europe/Berlin"
_EPOCH = datetime(1970, 1, 1)
MAX_BUCKETS = 10_000


def latest(ctx, where: list) -> Any:
    """Return the newest Observation among ``where`` or raise 404."""
    stmt = (
        select(Observation)
        .where(*where)
        .order_by(Observation.phenomenon_time_start.desc(), Observation.id.desc())
        .limit(1)
    )
    obj = ctx.session.scalars(stmt).first()
    if obj is None:
        raise not_found("latest Observation")
    return obj


def time_zone(name: str | None) -> ZoneInfo:
    """Return the IANA zone ``name`` (default Europe/Berlin) or raise 400."""
    name = DEFAULT_TIME_ZONE if name is None else name.strip()
    try:
        if not name or name.startswith(("/", ".")):
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_request(
            f"aggrTimeZone: unknown time zone {name[:60]!r}; give an IANA name such as Europe/Berlin or UTC"
        ) from None


def _local_period_end(start: datetime, period: str, zone: ZoneInfo) -> datetime:
    """End of the calendar period starting at ``start``: the next local midnight (or +1 h / +1 min)."""
    if period not in _CALENDAR:
        return start + {"hour": timedelta(hours=1), "minute": timedelta(minutes=1)}[period]
    local = start.astimezone(zone).replace(tzinfo=None)
    if period == "year":
        local = local.replace(year=local.year + 1)
    elif period == "month":
        local = local.replace(year=local.year + local.month // 12, month=local.month % 12 + 1)
    else:
        local = local + timedelta(days=1)
    return local.replace(tzinfo=zone).astimezone(UTC)


def offset_transitions(zone: ZoneInfo, first: datetime, last: datetime) -> list[tuple[datetime, int]]:
    """UTC offsets (seconds) of ``zone`` from ``first`` to ``last``: [(valid from, offset), …].

    The first entry is valid from ``first``; zoneinfo has no public list of transitions, so days are
    stepped through and a change is narrowed down to the second by bisection.
    """

    def offset(moment: datetime) -> int:
        return int(moment.astimezone(zone).utcoffset().total_seconds())

    result = [(first, offset(first))]
    day = timedelta(days=1)
    cursor = first
    while cursor < last:
        step = min(cursor + day, last)
        if offset(step) != result[-1][1]:
            low, high = cursor, step  # offset(low) is the current one, offset(high) the new one
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if offset(middle) == result[-1][1]:
                    low = middle
                else:
                    high = middle
            moment = high.replace(microsecond=0)
            if offset(moment) != result[-1][1]:
                result.append((moment, offset(moment)))
            else:
                result.append((moment + timedelta(seconds=1), offset(step)))
        cursor = step
    return result


def _sqlite_bucket(column, period: str, transitions: list[tuple[datetime, int]]):
    """SQLite: the bucket key: local epoch seconds of the local midnight (day), UTC epoch seconds
    (hour, minute) or local wall-clock text (month, year)."""
    if len(transitions) == 1:
        seconds = literal(transitions[0][1])
    else:
        # Rows before a transition instant have the offset valid before it.
        whens = [
            (column < literal(moment, Timestamp), previous)
            for (_, previous), (moment, _) in zip(transitions, transitions[1:], strict=False)
        ]
        seconds = case(*whens, else_=transitions[-1][1])
    if period in _FIXED:
        # Integer arithmetic on epoch seconds: no date formatting per row.
        size = _FIXED[period]
        local = cast(func.strftime("%s", column), Integer) + seconds
        start = local - ((local % size) + size) % size  # floor, also before 1970
        # Day: the local midnight. Hour, minute: back to UTC with the row's own offset, so the two
        # 02:00 hours of the autumn change stay apart.
        return start if period == "day" else start - seconds
    # Months and years: the local wall-clock time as text, truncated ('-3600 seconds' works too).
    local = func.datetime(column, (cast(seconds, String) + " seconds").self_group())
    return func.strftime(_SQLITE_FORMATS[period], local)


def _postgres_bucket(column, period: str, zone_name: str):
    """PostgreSQL: the bucket start as timestamptz (calendar) or as a UTC timestamp (hour/minute)."""
    local = func.timezone(zone_name, column)
    truncated = func.date_trunc(period, local)
    if period in _CALENDAR:
        return func.timezone(zone_name, truncated)
    return truncated - (local - func.timezone("UTC", column))


def aggregate(
    ctx, where: list, options: QueryOptions, params: dict[str, str], *, datastream_id: int | None = None
) -> dict[str, Any]:
    """Aggregate numeric results per period of a time zone; the filter of the request applies first.

    ``datastream_id`` (a Datastream the caller can read) lets whole hours, days, months and years come
    from the stored hourly aggregates instead of a scan of the Observations.
    """
    method = params.get("aggrMethod", "avg")
    period = params.get("aggrPeriod", "hour")
    if method not in METHODS:
        raise bad_request(f"aggrMethod must be one of {', '.join(METHODS)}")
    if period not in _SQLITE_FORMATS:
        raise bad_request(f"aggrPeriod must be one of {', '.join(_SQLITE_FORMATS)}")
    zone = time_zone(params.get("aggrTimeZone"))
    if datastream_id is not None and options.filter is None and period in stored.PERIODS:
        buckets = stored.stored_buckets(ctx.session.connection(), datastream_id, period, zone)
        if buckets is not None:
            return _stored_body(buckets, method, period, zone)
    conditions = [*where, Observation.result_number.is_not(None)]
    if options.filter is not None:
        translator = Translator(ENTITY_TYPES["Observation"], Observation, ctx.dialect)
        conditions.append(translator.where(options.filter))
    column = Observation.phenomenon_time_start
    body: dict[str, Any] = {"aggregation": {"method": method, "period": period, "timeZone": zone.key}}
    if ctx.dialect == "postgresql":
        bucket = _postgres_bucket(column, period, zone.key)
    else:
        first, last = ctx.session.execute(select(func.min(column), func.max(column)).where(*conditions)).one()
        if first is None:
            return {**body, "value": []}
        bucket = _sqlite_bucket(column, period, offset_transitions(zone, _aware(first), _aware(last)))
    bucket = bucket.label("bucket")
    value = METHODS[method](Observation.id if method == "count" else Observation.result_number)
    stmt = (
        select(bucket, value, func.count(Observation.id))
        .where(*conditions)
        .group_by(bucket)
        .order_by(bucket)
        .limit(MAX_BUCKETS + 1)
    )
    try:
        found = ctx.session.execute(stmt).all()
    except DBAPIError:  # e.g. a zone newer than the database's time zone data
        ctx.session.rollback()
        raise bad_request(f"aggrTimeZone: the database does not know the time zone {zone.key!r}") from None
    rows = []
    for start, result, count in found:
        start = _bucket_start(start, period, zone)
        rows.append(
            {
                "phenomenonTime": f"{iso(start)}/{iso(_local_period_end(start, period, zone))}",
                "result": float(result) if result is not None and method != "count" else result,
                "count": count,
            }
        )
    if len(rows) > MAX_BUCKETS:
        raise bad_request(
            f"more than {MAX_BUCKETS} periods: choose a longer aggrPeriod or narrow the $filter"
        )
    return {**body, "value": rows}


def _stored_body(buckets: list, method: str, period: str, zone: ZoneInfo) -> dict[str, Any]:
    """The $aggregate body from stored buckets, exactly as the scan writes it."""
    if len(buckets) > MAX_BUCKETS:
        raise bad_request(
            f"more than {MAX_BUCKETS} periods: choose a longer aggrPeriod or narrow the $filter"
        )
    pick = {
        "count": lambda count, total, low, high: count,
        "sum": lambda count, total, low, high: float(total),
        "avg": lambda count, total, low, high: float(total) / count,
        "min": lambda count, total, low, high: float(low),
        "max": lambda count, total, low, high: float(high),
    }[method]
    rows = [
        {
            "phenomenonTime": f"{iso(start)}/{iso(_local_period_end(start, period, zone))}",
            "result": pick(count, total, low, high),
            "count": count,
        }
        for start, count, total, low, high in buckets
    ]
    return {"aggregation": {"method": method, "period": period, "timeZone": zone.key}, "value": rows}


def _aware(moment: datetime | str) -> datetime:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _bucket_start(start: datetime | str | int, period: str, zone: ZoneInfo) -> datetime:
    """The UTC instant of a bucket key (see _sqlite_bucket and _postgres_bucket)."""
    if isinstance(start, int):
        if period == "day":
            return (_EPOCH + timedelta(seconds=start)).replace(tzinfo=zone).astimezone(UTC)
        return datetime.fromtimestamp(start, UTC)
    if isinstance(start, str):
        parsed = datetime.fromisoformat(start)
        if period in _CALENDAR:
            return parsed.replace(tzinfo=zone).astimezone(UTC)
        return parsed.replace(tzinfo=UTC)
    return start.astimezone(UTC) if start.tzinfo else start.replace(tzinfo=UTC)


__all__ = ["aggregate", "latest", "offset_transitions", "time_zone"]
