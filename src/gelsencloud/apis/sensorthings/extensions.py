"""GELSENcloud extensions for dashboards: latest Observation and server-side time aggregation.

- ``GET …/Datastreams(1)/Observations/latest``: the Observation with the newest phenomenonTime
  (one indexed query on (datastream_id, phenomenon_time_start)).
- ``GET …/Datastreams(1)/Observations/$aggregate?aggrMethod=avg&aggrPeriod=hour[&$filter=…]``:
  numeric results per calendar period (UTC); methods count, sum, avg, min, max; periods year, month,
  day, hour, minute (the QuantumLeap vocabulary).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from gelsencloud.apis.sensorthings.errors import bad_request, not_found
from gelsencloud.apis.sensorthings.models import Observation
from gelsencloud.apis.sensorthings.query import QueryOptions
from gelsencloud.apis.sensorthings.schema import ENTITY_TYPES
from gelsencloud.apis.sensorthings.serialize import iso
from gelsencloud.apis.sensorthings.translate import Translator

METHODS = {"count": func.count, "sum": func.sum, "avg": func.avg, "min": func.min, "max": func.max}
_SQLITE_FORMATS = {
    "year": "%Y-01-01 00:00:00",
    "month": "%Y-%m-01 00:00:00",
    "day": "%Y-%m-%d 00:00:00",
    "hour": "%Y-%m-%d %H:00:00",
    "minute": "%Y-%m-%d %H:%M:00",
}
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


def _period_end(start: datetime, period: str) -> datetime:
    if period == "year":
        return start.replace(year=start.year + 1)
    if period == "month":
        return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return (
        start + {"day": timedelta(days=1), "hour": timedelta(hours=1), "minute": timedelta(minutes=1)}[period]
    )


def aggregate(ctx, where: list, options: QueryOptions, params: dict[str, str]) -> dict[str, Any]:
    """Aggregate numeric results per period; the filter of the request applies first."""
    method = params.get("aggrMethod", "avg")
    period = params.get("aggrPeriod", "hour")
    if method not in METHODS:
        raise bad_request(f"aggrMethod must be one of {', '.join(METHODS)}")
    if period not in _SQLITE_FORMATS:
        raise bad_request(f"aggrPeriod must be one of {', '.join(_SQLITE_FORMATS)}")
    conditions = [*where, Observation.result_number.is_not(None)]
    if options.filter is not None:
        translator = Translator(ENTITY_TYPES["Observation"], Observation, ctx.dialect)
        conditions.append(translator.where(options.filter))
    column = Observation.phenomenon_time_start
    if ctx.dialect == "postgresql":
        bucket = func.date_trunc(period, func.timezone("UTC", column))
    else:
        bucket = func.strftime(_SQLITE_FORMATS[period], column)
    bucket = bucket.label("bucket")
    value = METHODS[method](Observation.id if method == "count" else Observation.result_number)
    stmt = (
        select(bucket, value, func.count(Observation.id))
        .where(*conditions)
        .group_by(bucket)
        .order_by(bucket)
        .limit(MAX_BUCKETS)
    )
    rows = []
    for start, result, count in ctx.session.execute(stmt):
        if isinstance(start, str):
            start = datetime.fromisoformat(start)
        start = start.replace(tzinfo=UTC)
        rows.append(
            {
                "phenomenonTime": f"{iso(start)}/{iso(_period_end(start, period))}",
                "result": float(result) if result is not None and method != "count" else result,
                "count": count,
            }
        )
    return {"aggregation": {"method": method, "period": period}, "value": rows}


__all__ = ["aggregate", "latest"]
