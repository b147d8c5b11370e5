"""The bulk path for Observations: validate rows in Python, write them with one Core executemany.

``add_observations`` (sensor hub, demo, jobs) and ``CreateObservations`` (HTTP, data-array extension)
both come here. The ORM path costs a flush, a savepoint and an identity-map entry per row; this path
checks the write right once per Datastream and lets the database insert the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Table, bindparam, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gelsencloud.apis.sensorthings import models as m
from gelsencloud.apis.sensorthings.errors import StaError, bad_request, not_found
from gelsencloud.apis.sensorthings.serialize import parse_instant, parse_interval
from gelsencloud.core.classification import PermissionDenied, principal_of
from gelsencloud.core.models import utcnow

CREATED_KEY = "sta_created"  # ids of Core-inserted Observations, for MQTT notifications after commit
ROW_KEYS = frozenset(
    {
        "phenomenonTime",
        "resultTime",
        "result",
        "resultQuality",
        "validTime",
        "parameters",
        "featureOfInterest",
    }
)


def writable_stream(session: Session, datastream_id: int) -> m.Datastream:
    """Return a Datastream the acting principal may read and write, or raise 404/PermissionDenied."""
    stream = session.get(m.Datastream, datastream_id)
    if stream is None:
        raise not_found(f"Datastream {datastream_id}")
    principal = principal_of(session)
    if not principal.can_write(stream.tenant_id):
        raise PermissionDenied(f"{principal.name} may not write Datastream {datastream_id}")
    return stream


def _instant(value: Any, name: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return parse_instant(value, name)


def _interval(value: Any, name: str) -> tuple[datetime, datetime | None]:
    if isinstance(value, datetime):
        return _instant(value, name), None
    return parse_interval(value, name)


def result_columns(value: Any) -> dict[str, Any]:
    """Column values of a result: the JSON value plus the number/string shadows $filter uses."""
    if isinstance(value, bool):
        return {"result": value, "result_number": None, "result_string": "true" if value else "false"}
    if isinstance(value, int | float):
        return {"result": value, "result_number": float(value), "result_string": None}
    return {
        "result": value,
        "result_number": None,
        "result_string": value if isinstance(value, str) else None,
    }


def observation_values(stream: m.Datastream, row: dict[str, Any]) -> dict[str, Any]:
    """Validate one Observation (STA property names) and return its column values; raise 400 if wrong.

    ``featureOfInterest`` is an id (or None: the caller fills in the Thing's derived feature).
    """
    if "result" not in row:
        raise bad_request("Observation: missing required property 'result'")
    unknown = row.keys() - ROW_KEYS
    if unknown:
        raise bad_request(f"Observation: unknown property '{sorted(unknown)[0]}'")
    moment = row.get("phenomenonTime")
    start, end = _interval(moment, "phenomenonTime") if moment is not None else (utcnow(), None)
    result_time = row.get("resultTime")
    valid = row.get("validTime")
    valid_start, valid_end = _interval(valid, "validTime") if valid is not None else (None, None)
    parameters = row.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise bad_request("Observation.parameters must be a JSON object")
    feature = row.get("featureOfInterest")
    if feature is not None and (isinstance(feature, bool) or not isinstance(feature, int)):
        raise bad_request("FeatureOfInterest @iot.id must be an integer")
    return {
        "phenomenon_time_start": start,
        "phenomenon_time_end": end,
        "result_time": _instant(result_time, "resultTime") if result_time is not None else None,
        **result_columns(row["result"]),
        "result_quality": row.get("resultQuality"),
        "valid_time_start": valid_start,
        "valid_time_end": valid_end,
        "parameters": parameters,
        "datastream_id": stream.id,
        "feature_of_interest_id": feature,
        "tenant_id": stream.tenant_id,
        "classification": stream.classification,
    }


def existing_features(session: Session, ids: Iterable[int]) -> set[int]:
    """Return which of these FeatureOfInterest ids exist and are visible to the principal."""
    wanted = sorted(set(ids))
    found: set[int] = set()
    for i in range(0, len(wanted), 500):  # stay below every database's bind-parameter limit
        chunk = wanted[i : i + 500]
        found.update(session.scalars(select(m.FeatureOfInterest.id).where(m.FeatureOfInterest.id.in_(chunk))))
    return found


def insert_observations(session: Session, stream: m.Datastream, values: list[dict[str, Any]]) -> list[int]:
    """Insert validated rows of one writable Datastream in one executemany; return ids in order.

    Rows without a feature get the one derived from the Thing's Location (created on first use).
    """
    if any(v["feature_of_interest_id"] is None for v in values):
        from gelsencloud.apis.sensorthings.service.write import feature_for_thing

        default_feature = feature_for_thing(session, stream.thing_id, stream)
        for v in values:
            if v["feature_of_interest_id"] is None:
                v["feature_of_interest_id"] = default_feature
    return insert_stream_rows(session, [(stream, values)])


def insert_stream_rows(
    session: Session, batches: list[tuple[Any, list[dict[str, Any]]]], *, widen: bool = True
) -> list[int]:
    """Insert the validated rows of several writable Datastreams (features set) in one executemany.

    ``widen=False`` leaves the Datastreams' time ranges to the caller (``widen_streams``).
    """
    values = [row for _stream, rows in batches for row in rows]
    ids = insert_many(session, m.Observation.__table__, values)
    session.info.setdefault(CREATED_KEY, []).extend(("Observation", i) for i in ids)
    for stream, rows in batches:
        if rows and widen:
            _widen(stream, rows)
    return ids


def insert_many(session: Session, table: Table, values: list[dict[str, Any]]) -> list[int]:
    """Insert rows with one driver-level executemany and return their ids in input order.

    ``INSERT ... RETURNING`` in input order makes SQLAlchemy send one statement per row on SQLite, which
    cost two thirds of the time. Instead: PostgreSQL hands out the ids first (one ``nextval`` query),
    and SQLite, which has one writer at a time, numbers the rows of one executemany consecutively
    after the largest id, so the ids follow from ``last_insert_rowid()``.
    """
    if not values:
        return []
    # Columns that are None in every row are left out: they default to NULL, and each one left in
    # cost a bind conversion per row (a JSON "null" encoding for the JSON columns).
    used = {key for row in values for key, value in row.items() if value is not None}
    if len(used) < len(values[0]):
        values = [{key: row[key] for key in used} for row in values]
    connection = session.connection()
    count = len(values)
    if connection.dialect.name == "postgresql":
        ids = list(
            connection.execute(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                {"table": table.name, "n": count},
            ).scalars()
        )
        _copy_rows(connection, table, values, ids)
        return ids
    if connection.dialect.name == "sqlite":
        # Write first, read afterwards: the transaction then already holds the write lock, and a read
        # before the write would have to be upgraded, which SQLite refuses when another writer came first.
        connection.execute(insert(table), values)
        return sqlite_inserted_ids(connection, table, count)
    return list(
        connection.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), values
        ).scalars()
    )


def sqlite_inserted_ids(connection: Connection, table: Table, count: int) -> list[int]:
    """The ids of the ``count`` rows the last executemany on ``connection`` put into ``table`` (SQLite).

    SQLite has one writer at a time, so the rows of one executemany are numbered consecutively up to
    ``last_insert_rowid()``; the count of that id range checks it.
    """
    last = connection.exec_driver_sql("SELECT last_insert_rowid()").scalar()
    first = last - count + 1
    stored = connection.exec_driver_sql(
        f'SELECT count(*) FROM "{table.name}" WHERE id BETWEEN ? AND ?', (first, last)
    ).scalar()
    if stored != count:  # cannot happen while the transaction holds SQLite's only write lock
        raise RuntimeError(f"{table.name}: ids of the {count} new rows are not {first}..{last}")
    return list(range(first, last + 1))


def stream_facts(session: Session, stream_ids: Iterable[int]) -> dict[int, m.Datastream]:
    """Read tenant, classification and Thing of readable Datastreams without loading ORM objects.

    Returns lightweight rows that ``observation_values`` and ``insert_stream_rows`` accept in place of a
    Datastream; their time ranges are widened with ``widen_streams`` instead of through the ORM.
    """
    return {row.id: row for row in session.execute(_STREAM_FACTS, {"ids": list(set(stream_ids))})}


# Built once with an expanding parameter: ``in_(ids)`` per call coerced every id and computed a new
# cache key (a third of the query's CPU time for the ~200 Datastreams of a webhook batch).
_STREAM_FACTS = select(
    m.Datastream.id, m.Datastream.tenant_id, m.Datastream.classification, m.Datastream.thing_id
).where(m.Datastream.id.in_(bindparam("ids", expanding=True)))


def features_of_things(
    session: Session, streams: Iterable[Any], *, create: bool = True
) -> dict[int, int] | None:
    """Return the derived FeatureOfInterest per Thing of these streams, creating missing ones.

    With ``create=False`` nothing is written: None if one is missing.
    """
    from gelsencloud.apis.sensorthings.service.write import feature_for_thing

    streams = list(streams)
    thing_ids = {s.thing_id for s in streams if s.thing_id is not None}
    found: dict[int, int] = {}
    for thing_id, feature_id in session.execute(_FEATURES_OF_THINGS, {"ids": list(thing_ids)}):
        found.setdefault(thing_id, feature_id)  # the first Location, as feature_for_thing picks it
    for stream in streams:
        if stream.thing_id not in found:
            if not create:
                return None
            found[stream.thing_id] = feature_for_thing(session, stream.thing_id, stream)
    return found


_FEATURES_OF_THINGS = (
    select(m.things_locations.c.thing_id, m.FeatureOfInterest.id)
    .join(m.FeatureOfInterest, m.FeatureOfInterest.source_location_id == m.things_locations.c.location_id)
    .where(m.things_locations.c.thing_id.in_(bindparam("ids", expanding=True)))
    .order_by(m.things_locations.c.thing_id, m.things_locations.c.location_id)
)


def _copy_rows(connection, table: Table, values: list[dict[str, Any]], ids: list[int]) -> None:
    """Write rows with PostgreSQL's COPY on the session's own connection (inside its transaction).

    COPY is what the benchmark calls the physical limit; an executemany of INSERTs reached a third of it.
    Values are adapted by psycopg; JSON columns are wrapped so psycopg sends them as JSON.
    """
    from psycopg.types.json import Json

    columns = ["id", *values[0].keys()]
    is_json = {name: isinstance(table.c[name].type, JSON) for name in columns}
    names = ", ".join(f'"{name}"' for name in columns)
    dbapi = connection.connection.dbapi_connection
    with dbapi.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for new_id, row in zip(ids, values, strict=True):
            copy.write_row(
                [new_id]
                + [
                    Json(row[name]) if is_json[name] and row[name] is not None else row[name]
                    for name in columns[1:]
                ]
            )


def widen_streams(session: Session, batches: list[tuple[Any, list[dict[str, Any]]]]) -> None:
    """Widen the time ranges of Datastreams (by id) to cover new rows: one statement per bound.

    SQLite runs an executemany of UPDATEs (cheap in-process calls); PostgreSQL one UPDATE joined with
    the new bounds as arrays (``_widen_postgresql``).

    Each bound only moves outwards (``WHERE end IS NULL OR end < :new``), so concurrent writers can't
    narrow a range; live data usually moves only the end, and only those statements then run.
    """
    c = m.Datastream.__table__.c
    moves: dict[tuple[str, bool], dict[int, Any]] = {}  # (column, lower bound?) -> Datastream id -> value
    for stream, rows in batches:
        if not rows:
            continue
        results = [v["result_time"] for v in rows if v["result_time"] is not None]
        bounds = {
            ("phenomenon_time_start", True): min(v["phenomenon_time_start"] for v in rows),
            ("phenomenon_time_end", False): max(
                v["phenomenon_time_end"] or v["phenomenon_time_start"] for v in rows
            ),
            ("result_time_start", True): min(results) if results else None,
            ("result_time_end", False): max(results) if results else None,
        }
        for (column, lower), value in bounds.items():
            if value is not None:
                known = moves.setdefault((column, lower), {})
                current = known.get(stream.id)
                if current is None or (value < current if lower else value > current):
                    known[stream.id] = value
    connection = session.connection()
    for (column, lower), values in moves.items():
        col = c[column]
        if connection.dialect.name == "postgresql":
            _widen_postgresql(connection, column, lower, values)
            continue
        value = bindparam("v", type_=col.type)
        outward = value < col if lower else value > col
        stmt = (
            update(m.Datastream.__table__)
            .where(c.id == bindparam("sid"), col.is_(None) | outward)
            .values({column: value})
        )
        connection.execute(stmt, [{"sid": sid, "v": v} for sid, v in values.items()])


def _widen_postgresql(connection, column: str, lower: bool, values: dict[int, Any]) -> None:
    """One UPDATE joined with the new bounds as arrays, instead of one pipelined UPDATE per Datastream.

    For a webhook batch's ~200 Datastreams the executemany cost a quarter of the batch's CPU time on
    PostgreSQL. Ids are sorted so that concurrent writers tend to lock the rows in the same order.
    """
    process = column_encoder(m.Datastream.__table__, column, connection)
    ids = sorted(values)
    connection.exec_driver_sql(
        f"UPDATE sta_datastreams AS d SET {column} = v.t "
        "FROM unnest(%(ids)s::integer[], %(times)s::timestamptz[]) AS v(id, t) "
        f"WHERE d.id = v.id AND (d.{column} IS NULL OR v.t {'<' if lower else '>'} d.{column})",
        {"ids": ids, "times": [process(values[i]) for i in ids]},
    )


def column_encoder(table: Table, column: str, connection: Connection) -> Callable[[Any], Any]:
    """Return the function SQLAlchemy applies to a value of this column before the driver gets it."""
    dialect = connection.dialect
    process = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else _unchanged


def _unchanged(value: Any) -> Any:
    return value


def widen_phenomenon_spans(session: Session, spans: dict[int, Sequence[datetime]]) -> None:
    """Widen Datastreams' phenomenonTime to cover (earliest, latest) per Datastream id.

    ``widen_streams`` for rows without resultTime, one instant each (the sensor hub's uplinks): on SQLite
    the same outward-only UPDATEs run on the raw cursor with pre-encoded times, because SQLAlchemy's
    per-row parameter processing of one UPDATE per Datastream and bound cost more than the writes did.
    """
    if not spans:
        return
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        rows = [
            (_StreamId(sid), [_instant_row(low), _instant_row(high)]) for sid, (low, high) in spans.items()
        ]
        widen_streams(session, rows)
        return
    process = column_encoder(m.Datastream.__table__, "phenomenon_time_start", connection)
    encoded: dict[datetime, str] = {}  # the Datastreams of one uplink share its time

    def encode(moment: datetime) -> str:
        text_ = encoded.get(moment)
        if text_ is None:
            text_ = encoded[moment] = process(moment)
        return text_

    lows = [(encode(low), sid) for sid, (low, _high) in spans.items()]
    highs = [(encode(high), sid) for sid, (_low, high) in spans.items()]
    cursor = connection.connection.dbapi_connection.cursor()
    try:  # stored times are all in SQLAlchemy's fixed-width text form, so text order is time order
        for column, params, outward in (
            ("phenomenon_time_start", lows, "<"),
            ("phenomenon_time_end", highs, ">"),
        ):
            cursor.executemany(
                f"UPDATE sta_datastreams SET {column} = ?1 "
                f"WHERE id = ?2 AND ({column} IS NULL OR ?1 {outward} {column})",
                params,
            )
    finally:
        cursor.close()


class _StreamId:
    def __init__(self, stream_id: int) -> None:
        self.id = stream_id


def _instant_row(moment: datetime) -> dict[str, Any]:
    return {"phenomenon_time_start": moment, "phenomenon_time_end": None, "result_time": None}


def _widen(stream: m.Datastream, values: list[dict[str, Any]]) -> None:
    """Widen the Datastream's phenomenonTime/resultTime to cover new rows (the ORM path's rule)."""
    from gelsencloud.apis.sensorthings.service.write import extend_stream

    extend_stream(
        stream,
        [v["phenomenon_time_start"] for v in values] + [v["phenomenon_time_end"] for v in values],
        [v["result_time"] for v in values],
    )


def add_observations(session: Session, datastream_id: int, rows: Iterable[dict[str, Any]]) -> list[int]:
    """Bulk-insert Observations into one Datastream; return their ids in input order.

    Each row uses STA names: ``phenomenonTime`` (datetime or ISO string/interval), ``result``, optional
    ``resultTime``, ``validTime``, ``parameters``, ``resultQuality`` and ``featureOfInterest`` (an id).
    All rows are checked before anything is written; a bad row raises 400 and writes nothing.
    """
    stream = writable_stream(session, datastream_id)
    values = [observation_values(stream, row) for row in rows]
    features = {v["feature_of_interest_id"] for v in values} - {None}
    missing = features - existing_features(session, features)
    if missing:
        raise bad_request(f"no FeatureOfInterest with @iot.id {min(missing)}")
    ids = insert_observations(session, stream, values)
    session.flush()  # the widened Datastream times
    return ids


def create_rows(session: Session, stream: m.Datastream, rows: list[Any]) -> list[int | str]:
    """Create what can be created of these rows; return an id or an error text per row (CreateObservations)."""
    from gelsencloud.apis.sensorthings.service.write import feature_for_thing

    prepared: list[dict[str, Any] | str] = []
    for row in rows:
        try:
            if not isinstance(row, dict):
                raise bad_request("each Observation must be a JSON object")
            prepared.append(observation_values(stream, row))
        except StaError as exc:
            prepared.append(f"error: {exc.message}")
    values = [p for p in prepared if isinstance(p, dict)]
    visible = existing_features(session, {v["feature_of_interest_id"] for v in values} - {None})
    default_error = None
    if any(v["feature_of_interest_id"] is None for v in values):
        try:
            default = feature_for_thing(session, stream.thing_id, stream)
        except StaError as exc:  # no Location to derive a feature from: only rows without one fail
            default, default_error = None, f"error: {exc.message}"
        visible.add(default)
    for i, p in enumerate(prepared):
        if isinstance(p, str):
            continue
        if p["feature_of_interest_id"] is None:
            p["feature_of_interest_id"] = default
        if p["feature_of_interest_id"] is None:
            prepared[i] = default_error
        elif p["feature_of_interest_id"] not in visible:
            prepared[i] = f"error: no FeatureOfInterest with @iot.id {p['feature_of_interest_id']}"
    ids = iter(insert_observations(session, stream, [p for p in prepared if isinstance(p, dict)]))
    return [p if isinstance(p, str) else next(ids) for p in prepared]
