"""Read entities with $filter/$select/$expand/$orderby/$top/$skip/$count and server-driven paging."""

from __future__ import annotations

import json
import numbers
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring
from operator import attrgetter, itemgetter
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import (
    JSON,
    DateTime,
    Integer,
    String,
    Text,
    TypeDecorator,
    any_,
    bindparam,
    cast,
    func,
    select,
    text,
    true,
    type_coerce,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from gelsencloud.apis.sensorthings import spatial
from gelsencloud.apis.sensorthings.errors import StaError, bad_request, not_found
from gelsencloud.apis.sensorthings.query import QueryError, QueryOptions, SortDirection, options_to_params
from gelsencloud.apis.sensorthings.schema import ENTITY_TYPES, EntityType, Nav
from gelsencloud.apis.sensorthings.translate import Translator, relation_clause
from gelsencloud.core.classification import principal_of, visibility_clause
from gelsencloud.core.models import Timestamp

# Server-driven paging (STA 1.1 §9.3.3.7): pages of DEFAULT_TOP, never more than MAX_TOP per page
# (FROST's maxTop; one day of one-minute values fits one page). An $expand reads at most EXPAND_ROWS
# related entities for a whole page of parents; each parent's page shrinks to fit, with a nextLink.
DEFAULT_TOP = 100
MAX_TOP = 10_000
EXPAND_ROWS = 100_000
# An unfiltered $count of a table larger than this is PostgreSQL's estimate, flagged in the response.
ESTIMATE_ABOVE = 1_000_000
ESTIMATED_FLAG = "@gelsencloud.countEstimated"
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL: larger ones cannot exist


@dataclass
class ReadContext:
    """What a read needs: the session acting for the caller and the absolute service root URL."""

    session: Session
    base: str
    dialect: str = field(init=False)

    def __post_init__(self) -> None:
        self.dialect = self.session.get_bind().dialect.name
        spatial.ensure_functions(self.session)


@dataclass
class Page:
    """One page of a collection: the entities, the total count if asked, and whether more follow."""

    items: list[Any]
    counted: int | Callable[[], int] | None  # a function counts exactly on first use of ``count``
    more: bool
    top: int
    skip: int
    estimate: int | None = None  # PostgreSQL's estimate of an unfiltered count (see estimate_count)

    @property
    def count(self) -> int | None:
        """The exact number of entities in the whole collection (None if $count was not asked)."""
        if callable(self.counted):
            self.counted = self.counted()
        return self.counted


def _execute(ctx: ReadContext, stmt):
    try:
        return ctx.session.execute(stmt)
    except (DBAPIError, StatementError) as exc:
        ctx.session.rollback()
        reason = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
        raise StaError(400, f"the query could not be evaluated: {reason}") from None


def get_entity(ctx: ReadContext, etype: EntityType, entity_id: int) -> Any:
    """Return one readable entity or raise 404 (unreadable ones do not exist for the caller)."""
    if not 0 < entity_id <= MAX_ID:
        raise not_found(f"{etype.name} {entity_id}")
    obj = ctx.session.get(etype.model, entity_id)
    if obj is None:
        raise not_found(f"{etype.name} {entity_id}")
    return obj


def related_where(nav: Nav, parent: Any, target: EntityType) -> Any:
    """Condition selecting the ``target`` rows related to a loaded ``parent`` through ``nav``."""
    return relation_clause(nav, parent, target.model)


def tie_breaker(entity, orderby) -> Any:
    """The id as the last sort key, in the direction of the last $orderby key (ascending without one).

    It makes pages deterministic when $orderby values tie. Following the last key's direction lets one
    index serve both directions: ``phenomenonTime desc`` walks (datastream_id, phenomenon_time_start,
    id) backwards and stops after ``$top`` rows; with an ascending id after a descending time PostgreSQL
    had to add an incremental sort that read 32 rows per Datastream for ``$top=1``.
    """
    if orderby and orderby[-1].direction == SortDirection.DESC:
        return entity.id.desc()
    return entity.id.asc()


def fetch(
    ctx: ReadContext,
    etype: EntityType,
    options: QueryOptions,
    where: list | None = None,
    *,
    option_prefix: str = "",
    raw: bool = False,
) -> Page:
    """Run a collection query and return one page (``raw``: rows only for ``entities_json``, see ``columns``)."""
    model = etype.model
    conditions = list(where or [])
    if options.filter is not None:
        translator = Translator(etype, model, ctx.dialect, option_prefix + "$filter")
        conditions.append(translator.where(options.filter))
    top = DEFAULT_TOP if options.top is None else min(options.top, MAX_TOP)
    skip = options.skip or 0
    stmt = select(*columns(model, needed_attrs(etype, options), ctx.dialect, raw)).where(*conditions)
    order = []
    if options.orderby:
        order = Translator(etype, model, ctx.dialect, option_prefix + "$orderby").order(options.orderby)
    stmt = stmt.order_by(*order, tie_breaker(model, options.orderby)).offset(skip).limit(top + 1)
    rows = list(_execute(ctx, stmt))
    counter, estimate = None, None
    if options.count:

        def counter() -> int:
            # count(*), not count(id): PostgreSQL then answers from the covering index alone.
            return _execute(ctx, select(func.count()).select_from(model).where(*conditions)).scalar_one()

        # Only a count without any condition is estimated: the planner knows whole tables well.
        estimate = None if conditions else estimate_count(ctx, model)
    return Page(rows[:top], counter, len(rows) > top, top, skip, estimate)


def estimate_count(ctx: ReadContext, model) -> int | None:
    """PostgreSQL's estimate of the caller's visible rows of a table of more than ESTIMATE_ABOVE rows.

    ``None`` means "count exactly": SQLite, small tables, tables never analysed, and estimates below the
    threshold. The estimate is the planner's row estimate for the table with the caller's
    classification criterion, so it never reveals how many rows others can see.
    """
    if ctx.dialect != "postgresql":
        return None
    table = model.__table__.name
    rows = ctx.session.execute(
        text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:table)"), {"table": table}
    ).scalar()
    if rows is None or rows < ESTIMATE_ABOVE:
        return None
    visible = select(model.id).where(visibility_clause(model, principal_of(ctx.session)))
    sql = visible.compile(dialect=ctx.session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    plan = ctx.session.execute(text(f"EXPLAIN (FORMAT JSON) {sql}")).scalar()
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    return estimate if estimate >= ESTIMATE_ABOVE else None


class _SqliteInstant(TypeDecorator):
    """Reads a stored SQLite Timestamp (UTC text) with the C parser ``datetime.fromisoformat``.

    Gives the same aware UTC datetime as :class:`Timestamp`, whose generic SQLite parsing (a regular
    expression per value) was a third of the time of reading a day of one-minute values.
    """

    impl = String
    cache_ok = True

    def process_result_value(self, value: str | None, dialect) -> datetime | None:
        if value is None:
            return None
        moment = datetime.fromisoformat(value)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# Raw columns of rows read only for serialisation carry this suffix (see ``_columns``).
RAW = "__raw"
_PG_STORED_FORM = "YYYY-MM-DD HH24:MI:SS.US"  # a UTC instant as SQLite stores it: 2025-01-01 00:00:00.000000
_ALIASES: dict[tuple[type, str], Any] = {}
_COLUMNS: dict[tuple[Any, frozenset[str] | None, str | None, bool], list] = {}


def _alias(model: type, name: str) -> Any:
    """The same named alias of a model for every request: adapting an alias's columns is costly, and an
    identical statement hits SQLAlchemy's compiled-statement cache."""
    key = (model, name)
    if key not in _ALIASES:
        _ALIASES[key] = aliased(model, name=name)
    return _ALIASES[key]


def columns(entity, attrs: set[str] | None = None, dialect: str | None = None, raw: bool = False) -> list:
    """``_columns``, built once per entity, attribute set, dialect and mode."""
    key = (entity, None if attrs is None else frozenset(attrs), dialect, raw)
    found = _COLUMNS.get(key)
    if found is None:
        found = _columns(entity, attrs, dialect, raw)
        if len(_COLUMNS) < 1000:  # $select sets come from callers: keep the cache bounded
            _COLUMNS[key] = found
    return found


def _columns(entity, attrs: set[str] | None = None, dialect: str | None = None, raw: bool = False) -> list:
    """The mapped columns of a model or alias (only ``attrs`` if given), labelled with their attribute names.

    Collections are read as rows, not ORM instances: building an instance costs more than the query
    for short rows, and serialisation only reads attributes. Such a statement is still an ORM
    statement, so the classification criteria apply.

    ``raw`` rows are only for ``entities_json``: timestamps and JSON values come as the driver returns
    them (JSON as its text), labelled ``<attr>__raw``, and the serialiser formats them directly: on SQLite
    the stored UTC text becomes the ISO string without a datetime and JSON text is parsed once instead of
    through two type processors; PostgreSQL writes its instants in that same UTC text form (``to_char``,
    no datetime objects at all) and json as text, parsed by ``json.loads`` on a str (psycopg's loader
    decodes bytes first).
    """
    found = []
    for attr in sa_inspect(entity).mapper.column_attrs:
        if attrs is not None and attr.key not in attrs:
            continue
        column = getattr(entity, attr.key)
        kind = attr.columns[0].type
        if raw and isinstance(kind, Timestamp):
            if dialect == "sqlite":
                instant = type_coerce(column, String())
            elif dialect == "postgresql":  # SQLite's stored form, for _iso's string path
                instant = func.to_char(func.timezone("UTC", column), _PG_STORED_FORM, type_=String())
            else:
                instant = type_coerce(column, DateTime(timezone=True))
            found.append(instant.label(attr.key + RAW))
            continue
        if raw and isinstance(kind, JSON):  # PostgreSQL: the json value's text, not psycopg's slower parse
            text_of = type_coerce(column, String()) if dialect == "sqlite" else cast(column, Text)
            found.append(text_of.label(attr.key + RAW))
            continue
        if dialect == "sqlite" and isinstance(kind, Timestamp):
            column = type_coerce(column, _SqliteInstant)
        found.append(column.label(attr.key))
    return found


def needed_attrs(etype: EntityType, options: QueryOptions) -> set[str] | None:
    """The attributes serialising ``etype`` with ``options`` reads (None: all of them).

    With ``$select`` only the selected properties are read (plus id and the keys of selected or expanded
    navigation properties): a day of ``$select=phenomenonTime,result`` then converts 4 columns per row
    instead of 15, all of which PostgreSQL finds in the covering index.
    """
    selected = _selected(options)
    if selected is None:  # every serialised attribute, not the bookkeeping ones (tenant, shadows, …)
        return _serialised_attrs(etype)
    expanded = {item.as_nested().path[0] for item in options.expand}
    attrs = {"id"} | {nav.fk for name, nav in etype.navs.items() if nav.fk and name in selected | expanded}
    for name, prop in etype.props.items():
        if name in selected:
            attrs.add(prop.attr)
            if prop.end_attr:
                attrs.add(prop.end_attr)
    return attrs


def _serialised_attrs(etype: EntityType) -> set[str]:
    """The attributes the serialisation of ``etype`` without $select reads."""
    attrs = {"id"} | {nav.fk for nav in etype.navs.values() if nav.fk}
    for prop in etype.props.values():
        attrs.add(prop.attr)
        if prop.end_attr:
            attrs.add(prop.end_attr)
    return attrs


def next_query(options: QueryOptions, top: int, skip: int) -> str:
    """Query string of the page after the page (``top``, ``skip``) of ``options``."""
    params = options_to_params(options)
    params["$top"] = str(top)
    params["$skip"] = str(skip + top)
    return urlencode(params, quote_via=quote, safe="$(),'/:")


def next_link(url: str, options: QueryOptions, page: Page) -> str | None:
    """Absolute ``@iot.nextLink`` for the page after ``page`` (None on the last page)."""
    # $top=0 asks for no entities (typically just @iot.count): a next page would be the same request.
    if not page.more or page.top == 0:
        return None
    return url + "?" + next_query(options, page.top, page.skip)


def _selected(options: QueryOptions) -> set[str] | None:
    if options.select is None:
        return None
    return {path.segments[0] for path in options.select}


def _expanded(etype: EntityType, options: QueryOptions) -> dict[str, QueryOptions]:
    """The navigation properties named in $expand with their nested options (unknown ones: 400)."""
    expanded = {}
    for item in options.expand:
        nested = item.as_nested()
        name = nested.path[0]
        if name not in etype.navs:
            raise QueryError("$expand", f"unknown navigation property '{name}' of {etype.set_name}")
        expanded[name] = nested.options
    return expanded


def entity_json(ctx: ReadContext, etype: EntityType, obj: Any, options: QueryOptions) -> dict[str, Any]:
    """Serialise one entity with control information, honouring $select and $expand."""
    return entities_json(ctx, etype, [obj], options)[0]


def entities_json(
    ctx: ReadContext, etype: EntityType, objs: list[Any], options: QueryOptions
) -> list[dict[str, Any]]:
    """Serialise entities; each expanded navigation is read for all of them with one query."""
    return _entities(ctx, etype, objs, options, encoded=False)


def entities_encoded(
    ctx: ReadContext, etype: EntityType, objs: list[Any], options: QueryOptions
) -> list[str]:
    """``entities_json`` as JSON texts: exactly what the HTTP response's encoder makes of those dicts."""
    return _entities(ctx, etype, objs, options, encoded=True)


def _entities(
    ctx: ReadContext, etype: EntityType, objs: list[Any], options: QueryOptions, encoded: bool
) -> list:
    selected = _selected(options)
    if selected is not None:
        unknown = (
            selected - set(etype.props) - set(etype.navs) - {"id", "@iot.id", "selfLink", "@iot.selfLink"}
        )
        if unknown:
            raise QueryError("$select", f"unknown property '{sorted(unknown)[0]}' of {etype.set_name}")
    expanded = _expanded(etype, options)
    if not objs:
        return []
    related = {
        name: _related(ctx, etype, etype.navs[name], objs, nested, encoded)
        for name, nested in expanded.items()
    }
    # What to write is the same for every entity: decide it once (pages of up to 10,000 entities), and
    # read each entity's values with one C-level getter instead of an attribute lookup per property.
    props = [(name, prop) for name, prop in etype.props.items() if selected is None or name in selected]
    links = [
        (name, nav.fk)
        for name, nav in etype.navs.items()
        if name not in expanded and (selected is None or name in selected)
    ]
    attrs = ["id"]
    position = _Positions(attrs)
    raw_fields = {name for name in getattr(objs[0], "_fields", ()) if name.endswith(RAW)}

    def place(prop) -> tuple[int, int, int | None]:
        """Kind, position and end position of a property; raw JSON text is parsed by its own kind."""
        kind = _KINDS.get(prop.kind, _PLAIN)
        at = prop.attr + RAW if prop.attr + RAW in raw_fields else prop.attr
        end = None
        if prop.end_attr:
            end = position(prop.end_attr + RAW if prop.end_attr + RAW in raw_fields else prop.end_attr)
        if kind == _PLAIN and at != prop.attr:
            kind = _JSON_TEXT
        return kind, position(at), end

    plan = _Plan(
        want_id=selected is None or bool(selected & {"id", "@iot.id"}),
        want_link=selected is None or bool(selected & {"selfLink", "@iot.selfLink"}),
        props=[(name, *place(prop)) for name, prop in props],
        links=[
            (f"{name}@iot.navigationLink", f"/{name}", None if fk is None else position(fk))
            for name, fk in links
        ],
        expanded=[
            (name, etype.navs[name], position(etype.navs[name].fk) if etype.navs[name].fk else None)
            for name in expanded
        ],
    )
    prefix = f"{ctx.base}/{etype.set_name}("
    get = _getter(objs, attrs)
    if encoded:
        return _all_encoded(prefix, [get(obj) for obj in objs], plan, related)
    return [_one_json(prefix, get(obj), plan, related) for obj in objs]


_PLAIN, _TIME, _INTERVAL, _JSON_TEXT = 0, 1, 2, 3
_KINDS = {"time": _TIME, "interval": _INTERVAL}


class _Positions:
    """Hands out the position of an attribute in the tuple the getter returns (adding it if new)."""

    def __init__(self, attrs: list[str]) -> None:
        self.attrs = attrs

    def __call__(self, attr: str) -> int:
        if attr not in self.attrs:
            self.attrs.append(attr)
        return self.attrs.index(attr)


def _getter(objs: list[Any], attrs: list[str]) -> Callable[[Any], tuple]:
    """A function returning ``attrs`` of an entity as a tuple: by index for rows, by name for ORM objects."""
    fields = getattr(objs[0], "_fields", None)
    if fields is not None and all(a in fields for a in attrs):
        get = itemgetter(*[fields.index(a) for a in attrs])
    else:
        get = attrgetter(*attrs)
    if len(attrs) == 1:
        return lambda obj: (get(obj),)
    return get


@dataclass
class _Plan:
    """The members of each serialised entity, decided once per page (positions index the getter's tuple)."""

    want_id: bool
    want_link: bool
    props: list  # (name, kind, position, end position)
    links: list  # (member name, path suffix, position of the key or None)
    expanded: list  # (name, nav, position of the key or None)


def _iso(moment: datetime | str | None) -> str | None:
    """``serialize.iso`` without the conversion for values already in UTC (all stored ones).

    A string is SQLite's stored text of a Timestamp (raw rows): its usual fixed-width form
    ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC) is rearranged into exactly what ``isoformat`` would give
    (microseconds only if not zero); any other form is parsed as ``_SqliteInstant`` does.
    """
    if moment is None:
        return None
    if moment.__class__ is str:
        if len(moment) == 26 and moment[10] == " " and moment[19] == ".":
            if moment.endswith("000000"):
                return f"{moment[:10]}T{moment[11:19]}Z"
            return f"{moment[:10]}T{moment[11:]}Z"
        moment = _SqliteInstant().process_result_value(moment, None)
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat().replace("+00:00", "Z")


# json.scanner.NUMBER_RE, for the whole text
_JSON_NUMBER = re.compile(r"(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?", re.ASCII).fullmatch


def _json_text(value: Any) -> Any:
    """A raw SQLite JSON value as SQLAlchemy's JSON type reads it (numbers stored bare stay numbers)."""
    if value is None:
        return None
    if value.__class__ is int or value.__class__ is float:  # what json.loads refuses with a TypeError
        return value
    if value.__class__ is str:
        number = _JSON_NUMBER(value)
        if number is not None:  # json.loads' own reading of a number (parse_int/parse_float), quicker
            return float(value) if number.group(2) or number.group(3) else int(value)
    try:
        return json.loads(value)
    except TypeError:
        if isinstance(value, numbers.Number):
            return value
        raise


def _one_json(prefix: str, values: tuple, plan: _Plan, related: dict) -> dict[str, Any]:
    entity_id = values[0]
    link = f"{prefix}{entity_id})"
    out: dict[str, Any] = {}
    if plan.want_id:
        out["@iot.id"] = entity_id
    if plan.want_link:
        out["@iot.selfLink"] = link
    for name, kind, at, end_at in plan.props:
        value = values[at]
        if kind == _PLAIN:
            out[name] = value
        elif kind == _JSON_TEXT:
            out[name] = _json_text(value)
        elif kind == _TIME:
            out[name] = _iso(value)
        elif value is None:
            out[name] = None
        else:
            end = values[end_at]
            out[name] = _iso(value) if end is None else f"{_iso(value)}/{_iso(end)}"
    for member, suffix, at in plan.links:
        if at is None or values[at] is not None:  # skip e.g. the unused MultiDatastream link
            out[member] = link + suffix
    for name, nav, at in plan.expanded:
        if not nav.many:
            out[name] = related[name].get(values[at])
            continue
        pages, rendered, query = related[name]
        page = pages[entity_id]
        out[name] = [rendered[item.id] for item in page.items]
        if page.count is not None:
            out[f"{name}@iot.count"] = page.count
        if page.more and page.top:  # see next_link; the query string is the same for all parents
            out[f"{name}@iot.nextLink"] = f"{link}/{name}?{query}"
    return out


# The encoding of the HTTP response (Starlette's JSONResponse.render): text written from precomputed
# pieces with this encoder for the values gives the same bytes as encoding the dicts of ``_one_json``.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_encode = _ENCODER.encode


def _value_text(value: Any) -> str:
    """``_encode(value)``, with the encoder's own C functions called directly for strings and numbers."""
    cls = value.__class__
    if cls is str:
        return encode_basestring(value)
    if cls is float and value - value == 0.0:  # finite (the encoder refuses NaN and infinities)
        return float.__repr__(value)
    if cls is int:
        return int.__repr__(value)
    return _encode(value)


def _all_encoded(prefix: str, rows: list[tuple], plan: _Plan, related: dict) -> list[str]:
    """``_one_json`` of every row as JSON text (keys, link pieces and repeated JSON values encoded once)."""
    escaped = _encode(prefix)[1:-1]  # the id and ")" need no escaping
    props = [(_encode(name) + ":", kind, at, end_at) for name, kind, at, end_at in plan.props]
    links = [(_encode(member) + ":", suffix + '"', at) for member, suffix, at in plan.links]
    expanded = [
        (
            _encode(name) + ":",
            _encode(name + "@iot.count") + ":",
            _encode(name + "@iot.nextLink") + ":",
            nav,
            at,
        )
        for name, nav, at in plan.expanded
    ]
    parsed: dict[str, str] = {}  # JSON text as stored → JSON text as written (units, repeated values)
    out = []
    for values in rows:
        entity_id = values[0]
        link = f'"{escaped}{entity_id})'
        parts = []
        if plan.want_id:
            parts.append(f'"@iot.id":{_encode(entity_id)}')
        if plan.want_link:
            parts.append(f'"@iot.selfLink":{link}"')
        for key, kind, at, end_at in props:
            value = values[at]
            if value is None:
                parts.append(key + "null")
            elif kind == _PLAIN:
                parts.append(key + _value_text(value))
            elif kind == _JSON_TEXT:
                if value.__class__ is str:  # bare numbers are not cached: 1 and 1.0 are equal keys
                    text = parsed.get(value)
                    if text is None:
                        text = parsed[value] = _value_text(_json_text(value))
                else:
                    text = _value_text(_json_text(value))
                parts.append(key + text)
            elif kind == _TIME:
                parts.append(f'{key}"{_iso(value)}"')
            else:
                end = values[end_at]
                parts.append(f'{key}"{_iso(value)}"' if end is None else f'{key}"{_iso(value)}/{_iso(end)}"')
        for member, suffix, at in links:
            if at is None or values[at] is not None:  # see _one_json
                parts.append(member + link + suffix)
        for (key, count_key, next_key, nav, at), (name, _, _) in zip(expanded, plan.expanded, strict=True):
            if not nav.many:
                found = related[name].get(values[at])
                parts.append(key + ("null" if found is None else found))
                continue
            pages, rendered, query = related[name]
            page = pages[entity_id]
            parts.append(key + "[" + ",".join([rendered[item.id] for item in page.items]) + "]")
            if page.count is not None:
                parts.append(count_key + _encode(page.count))
            if page.more and page.top:
                parts.append(next_key + _encode(f"{prefix}{entity_id})/{name}?{query}"))
        out.append("{" + ",".join(parts) + "}")
    return out


def _related(ctx, etype: EntityType, nav: Nav, objs: list[Any], options: QueryOptions, encoded: bool = False):
    """Load and render ``nav`` of all ``objs``: {id: json} (to-one) or (pages, {id: json}, nextLink query)."""
    target = ENTITY_TYPES[nav.target]
    render = entities_encoded if encoded else entities_json
    if not nav.many:
        ids = sorted({getattr(obj, nav.fk) for obj in objs} - {None})
        wanted = needed_attrs(target, options)
        found = select(*columns(target.model, wanted, ctx.dialect, True)).where(
            _among(target.model.id, ids, ctx)
        )
        rows = list(_execute(ctx, found)) if ids else []
        return dict(zip([r.id for r in rows], render(ctx, target, rows, options), strict=True))
    prefix = f"$expand={nav.name}: "
    if len(objs) == 1:  # one parent: the plain collection query (also what a nextLink runs)
        pages = {
            objs[0].id: fetch(
                ctx, target, options, [related_where(nav, objs[0], target)], option_prefix=prefix, raw=True
            )
        }
    else:
        pages = fetch_per_parent(ctx, etype, nav, [obj.id for obj in objs], options, option_prefix=prefix)
    children = list({item.id: item for page in pages.values() for item in page.items}.values())
    rendered = dict(zip([c.id for c in children], render(ctx, target, children, options), strict=True))
    some = next(iter(pages.values()), None)
    query = next_query(options, some.top, some.skip) if some is not None else ""
    return pages, rendered, query


def _among(column, ids: list[int], ctx: ReadContext):
    """``column IN ids``; on PostgreSQL ``= ANY(array)``: one parameter instead of up to 10,000, which
    psycopg otherwise parses and SQLAlchemy renders one by one."""
    if ctx.dialect == "postgresql":
        return column == any_(bindparam("ids_", list(ids), type_=ARRAY(Integer)))
    return column.in_(ids)


def fetch_per_parent(
    ctx: ReadContext,
    etype: EntityType,
    nav: Nav,
    parent_ids: list[int],
    options: QueryOptions,
    *,
    option_prefix: str = "",
) -> dict[int, Page]:
    """One page of the to-many navigation ``nav`` for every parent, with one query for all of them.

    Each parent gets its own $filter/$orderby/$skip/$top window, as ``fetch`` on
    ``Parents(id)/Nav`` would: on PostgreSQL a LATERAL subquery per parent, on SQLite a correlated
    ``IN (… LIMIT …)``; both walk the (parent key, order) index, e.g. (datastream_id,
    phenomenon_time_start) for ``$expand=Observations($top=1;$orderby=phenomenonTime desc)``.
    The classification criteria reach every alias, as in any ORM statement.
    """
    target = ENTITY_TYPES[nav.target]
    ids = sorted(set(parent_ids))
    top = DEFAULT_TOP if options.top is None else min(options.top, MAX_TOP)
    top = min(top, max(1, EXPAND_ROWS // max(1, len(ids))))
    skip = options.skip or 0
    parent, inner = _alias(etype.model, "parent"), _alias(target.model, "child")
    conditions = [relation_clause(nav, parent, inner)]
    if options.filter is not None:
        translator = Translator(target, inner, ctx.dialect, option_prefix + "$filter")
        conditions.append(translator.where(options.filter))

    def order(entity) -> list:
        if not options.orderby:
            return [entity.id]
        keys = Translator(target, entity, ctx.dialect, option_prefix + "$orderby").order(options.orderby)
        return [*keys, tie_breaker(entity, options.orderby)]

    wanted = needed_attrs(target, options)
    window = select(inner.id).where(*conditions).order_by(*order(inner)).offset(skip).limit(top + 1)
    if ctx.dialect == "postgresql":
        # The rank orders the outer rows without repeating $orderby on the lateral's columns.
        rank = func.row_number().over(order_by=order(inner)).label("rank_")
        lateral = window.with_only_columns(*columns(inner, wanted, ctx.dialect, True), rank).lateral("page")
        stmt = select(parent.id.label("parent_key_"), lateral).select_from(parent).join(lateral, true())
        stmt = stmt.order_by(parent.id, lateral.c.rank_)
    else:  # SQLite has no LATERAL: the page's ids per parent come from a correlated subquery
        row = _alias(target.model, "page_row")
        # A WHERE, not a JOIN … ON: SQLAlchemy renders the criteria of an aliased ON target unaliased.
        stmt = select(parent.id.label("parent_key_"), *columns(row, wanted, ctx.dialect, True)).select_from(
            parent
        )
        stmt = stmt.where(row.id.in_(window)).order_by(parent.id, *order(row))
        # Name the relation of the outer rows too: it links the FROM list (no cartesian product).
        if nav.back_fk:
            # SQLite's no-op unary "+" keeps the planner off the (parent key, …) index for the outer rows:
            # they must come by id from the correlated list (a few per parent), not by walking all of a
            # parent's children and testing each against that list (12.8 s instead of 20 ms for the
            # latest of 500 Datastreams when the index had no ANALYZE statistics yet).
            back = getattr(row, nav.back_fk)
            stmt = stmt.where(UnaryExpression(back, operator=custom_op("+"), type_=back.type) == parent.id)
        else:
            link = nav.link
            stmt = stmt.where(link.c[nav.link_source] == parent.id, link.c[nav.link_target] == row.id)
    rows: dict[int, list[Any]] = {parent_id: [] for parent_id in ids}
    for item in _execute(ctx, stmt.where(_among(parent.id, ids, ctx))):
        rows[item.parent_key_].append(item)
    counts: dict[int, int] = {}
    if options.count:
        # Grouped by the key on the child side (or the link table): no need to read the parents again.
        if nav.link is not None:
            key, relation = nav.link.c[nav.link_source], [nav.link.c[nav.link_target] == inner.id]
        else:
            key, relation = getattr(inner, nav.back_fk), []
        counted = select(key, func.count()).where(_among(key, ids, ctx), *relation, *conditions[1:])
        counted = counted.group_by(key)
        counts = dict(_execute(ctx, counted).all())
    return {
        parent_id: Page(
            items[:top], counts.get(parent_id, 0) if options.count else None, len(items) > top, top, skip
        )
        for parent_id, items in rows.items()
    }


def collection_json(ctx: ReadContext, etype: EntityType, page: Page, options: QueryOptions, url: str) -> dict:
    """Serialise a page of a collection with @iot.count and @iot.nextLink."""
    body: dict[str, Any] = {}
    if page.estimate is not None:
        body["@iot.count"] = page.estimate
        body[ESTIMATED_FLAG] = True  # never an estimate in @iot.count without saying so
    elif page.count is not None:
        body["@iot.count"] = page.count
    body["value"] = entities_json(ctx, etype, page.items, options)
    following = next_link(url, options, page)
    if following:
        body["@iot.nextLink"] = following
    return body


def collection_encoded(
    ctx: ReadContext, etype: EntityType, page: Page, options: QueryOptions, url: str
) -> bytes:
    """``collection_json`` encoded as the HTTP response encodes it, without building the dicts."""
    head = []
    if page.estimate is not None:
        head = [f'"@iot.count":{_encode(page.estimate)}', f"{_encode(ESTIMATED_FLAG)}:true"]
    elif page.count is not None:
        head = [f'"@iot.count":{_encode(page.count)}']
    head.append('"value":[' + ",".join(entities_encoded(ctx, etype, page.items, options)) + "]")
    following = next_link(url, options, page)
    if following:
        head.append('"@iot.nextLink":' + _encode(following))
    return ("{" + ",".join(head) + "}").encode("utf-8")


def check_no_options(options: QueryOptions, what: str) -> None:
    """Refuse collection options on a single entity or property."""
    if options.filter is not None or options.orderby or options.top is not None or options.skip is not None:
        raise bad_request(f"$filter, $orderby, $top and $skip apply to collections, not to {what}")
