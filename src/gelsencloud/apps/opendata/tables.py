"""Typed tables per distribution version: DDL at import, queries, facets, keyset pages, exports.

Each tabular distribution version lives in its own table ``odt_<distribution id>_v<version>``
with one typed column per data column (``c0``, ``c1``, … in the order of ``Distribution.columns``;
names are derived from integers only, never from user input), plus ``_rownum`` (primary key),
``_geometry`` (GeoJSON text) and ``_search`` (lower-cased cell text). Every data column gets an
index ``(column, _rownum)`` so a filter or a sort is an index range and keyset pages are exact.

These tables carry no tenant or classification columns and are not ORM models, so the access
rule cannot attach itself to them. They are reachable only through :func:`open_table`, which
takes a ``Distribution`` (loaded through the caller's session, i.e. already filtered by the access
rule) and checks once more that the session's principal may read it.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    cast,
    func,
    inspect,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from gelsencloud.apps.opendata.models import Distribution
from gelsencloud.core.classification import PermissionDenied, can_read, principal_of
from gelsencloud.core.identity import InvalidInput

BATCH = 5000
MAX_PAGE = 1000
DEFAULT_PAGE = 100
FACET_SIZE = 30
COUNT_LIMIT = 10_000  # filtered counts stop here unless ``exact_count`` (see query_rows)
MAX_INDEXED = 64  # indexes per table; wider tables get the first 64 columns indexed
SQL_TYPES = {"integer": BigInteger, "number": Float, "boolean": Boolean, "string": Text}
TRUE_WORDS = {"1", "true", "ja", "yes", "wahr"}
FALSE_WORDS = {"0", "false", "nein", "no", "falsch"}


def table_name(dist_id: int, version: int) -> str:
    """The name of the typed table of one distribution version (integers only: safe in DDL)."""
    return f"odt_{int(dist_id)}_v{int(version)}"


def _table(dist_id: int, version: int, columns: list[dict[str, str]]) -> Table:
    cols = [
        Column("_rownum", Integer, primary_key=True, autoincrement=False),
        Column("_geometry", Text),
        Column("_search", Text, nullable=False, default=""),
    ]
    cols += [Column(f"c{i}", SQL_TYPES[c["type"]]) for i, c in enumerate(columns)]
    return Table(table_name(dist_id, version), MetaData(), *cols)


@dataclass
class Store:
    """The typed table of one readable distribution version, with its columns by name and type."""

    table: Table
    names: list[str]
    types: dict[str, str]

    def col(self, name: str):
        """The SQL column of data column ``name``."""
        if name not in self.types:
            raise InvalidInput(f"unknown column {name!r}; columns: {self.names}")
        return self.table.c[f"c{self.names.index(name)}"]

    @property
    def data_columns(self) -> list:
        """The SQL columns of all data columns, in order."""
        return [self.table.c[f"c{i}"] for i in range(len(self.names))]


def open_table(session: Session, dist: Distribution) -> Store:
    """The typed table of ``dist`` at ``dist.version`` — the only way to reach a typed table.

    ``dist`` comes from the caller's session (the access rule already applied); the check here
    keeps that true for detached copies whose version was pinned.
    """
    if not can_read(dist, principal_of(session)):
        raise PermissionDenied("may not read this distribution")
    table = _table(dist.id, dist.version, dist.columns)
    return Store(table, [c["name"] for c in dist.columns], {c["name"]: c["type"] for c in dist.columns})


# --- writing --------------------------------------------------------------------------------------


def _cell(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        return bool(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def create_and_fill(
    session: Session,
    dist_id: int,
    version: int,
    columns: list[dict[str, str]],
    rows: Iterable[tuple[int, dict[str, Any], str | None, str]],
) -> None:
    """Create the typed table of a version, bulk-insert (rownum, props, geometry JSON, search text), index it."""
    conn = session.connection()
    drop(conn, dist_id, [version])  # a failed earlier attempt in another transaction (SQLite DDL)
    table = _table(dist_id, version, columns)
    table.create(conn)
    kinds = [(f"c{i}", c["name"], c["type"]) for i, c in enumerate(columns)]
    insert = table.insert()
    batch: list[dict[str, Any]] = []
    for rownum, props, geometry, search in rows:
        record = {"_rownum": rownum, "_geometry": geometry, "_search": search}
        for key, name, kind in kinds:
            record[key] = _cell(kind, props.get(name))
        batch.append(record)
        if len(batch) >= BATCH:
            conn.execute(insert, batch)
            batch = []
    if batch:
        conn.execute(insert, batch)
    # Indexes after the bulk insert: building them once is several times faster than maintaining them.
    name = table.name
    postgres = conn.dialect.name == "postgresql"
    for key, _, _ in kinds[:MAX_INDEXED]:
        # NULLS FIRST on PostgreSQL matches SQLite's order, so both treat NULL as the smallest value.
        spec = f"{key} NULLS FIRST, _rownum" if postgres else f"{key}, _rownum"
        conn.exec_driver_sql(f"CREATE INDEX ix_{name}_{key} ON {name} ({spec})")
    conn.exec_driver_sql(f"ANALYZE {name}")  # planner statistics, so filters pick the selective index


def stored_versions(conn: Connection, dist_id: int) -> list[int]:
    """The versions of a distribution that have a typed table, newest first."""
    pattern = re.compile(rf"odt_{int(dist_id)}_v(\d+)")
    found = [pattern.fullmatch(n) for n in inspect(conn).get_table_names()]
    return sorted((int(m.group(1)) for m in found if m), reverse=True)


def drop(conn: Connection, dist_id: int, versions: Iterable[int]) -> None:
    """Drop the typed tables of these versions (missing ones are skipped)."""
    for version in versions:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table_name(dist_id, version)}")


# --- reading --------------------------------------------------------------------------------------


def _value(store: Store, name: str, raw: str) -> Any:
    kind = store.types.get(name)
    if kind in ("integer", "number"):
        try:
            return float(raw)
        except ValueError:
            raise InvalidInput(f"column {name!r} is numeric; {raw!r} is not a number") from None
    if kind == "boolean":
        word = raw.strip().lower()
        if word in TRUE_WORDS | FALSE_WORDS:
            return word in TRUE_WORDS
        raise InvalidInput(f"column {name!r} is boolean; use true or false, not {raw!r}")
    return raw


def _condition(store: Store, column: str, op: str, raw: str, plain: bool = False):
    col = store.col(column)
    if plain:
        # SQLite's no-op unary "+" keeps the planner from using this column's index (see query_rows)
        col = UnaryExpression(col, operator=custom_op("+"), type_=col.type)
    if op == "isnull":
        return col.is_(None)
    if op == "notnull":
        return col.is_not(None)
    if op in ("in", "notin"):
        values = [_value(store, column, v.strip()) for v in raw.split(",") if v.strip()]
        return col.in_(values) if op == "in" else or_(~col.in_(values), col.is_(None))
    if op in ("contains", "notcontains", "startswith", "endswith"):
        text = func.lower(col if store.types[column] == "string" else cast(col, Text))
        needle = raw.lower()
        if op == "startswith":
            return text.startswith(needle, autoescape=True)
        if op == "endswith":
            return text.endswith(needle, autoescape=True)
        match = text.contains(needle, autoescape=True)
        return match if op == "contains" else or_(~match, col.is_(None))
    value = _value(store, column, raw)
    return {
        "exact": lambda: col == value,
        "not": lambda: or_(col != value, col.is_(None)),
        "gt": lambda: col > value,
        "gte": lambda: col >= value,
        "lt": lambda: col < value,
        "lte": lambda: col <= value,
    }[op]()


def where(store: Store, filters=(), search: str = "", *, indexed: str | None = None) -> list:
    """The WHERE clauses of filters (column, operator, value) and a word-wise search.

    With ``indexed`` (SQLite only), filters on other columns are written so that only that
    column's index can serve the query.
    """
    clauses = [_condition(store, c, o, v, indexed is not None and c != indexed) for c, o, v in filters]
    for word in search.lower().split():
        clauses.append(store.table.c._search.contains(word, autoescape=True))
    return clauses


def _encode(token: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(token).encode()).decode().rstrip("=")


def _decode(token: str) -> list[Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError):
        raise InvalidInput("invalid _next token") from None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], int)):
        raise InvalidInput("invalid _next token")
    return value


def _fits(kind: str | None, value: Any) -> bool:
    """Tell whether a token's sort value can be compared with a column of ``kind`` (None: no sort)."""
    if value is None:
        return True
    if kind in ("integer", "number"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    return kind == "string" and isinstance(value, str)


def _after(key, rownum, last_key: Any, last_row: int, desc: bool):
    """Rows after (last_key, last_row) in the order (key, _rownum) with NULL as the smallest key."""
    if key is None:
        return rownum < last_row if desc else rownum > last_row
    if last_key is None:
        return (
            and_(key.is_(None), rownum < last_row)
            if desc
            else or_(key.is_not(None), and_(key.is_(None), rownum > last_row))
        )
    if desc:
        return or_(tuple_(key, rownum) < tuple_(last_key, last_row), key.is_(None))
    return tuple_(key, rownum) > tuple_(last_key, last_row)


def query_rows(
    session: Session,
    dist: Distribution,
    *,
    filters=(),
    search: str = "",
    sort: str = "",
    sort_desc: bool = False,
    size: int = DEFAULT_PAGE,
    next_token: str = "",
    facets: Iterable[str] = (),
    exact_count: bool = False,
) -> dict[str, Any]:
    """Return one keyset-paginated page of rows, the filtered count and requested facets.

    A filtered count stops at ``COUNT_LIMIT`` matches unless ``exact_count`` (``_count=exact``):
    counting every match of two conditions on a million rows visits every row one index finds
    (0.2 s here), while the page itself takes milliseconds. Beyond the limit ``count`` is None,
    ``count_exact`` False and ``count_min`` the limit plus one (like Elasticsearch's total hits).
    """
    store = open_table(session, dist)
    size = max(1, min(size, MAX_PAGE))
    clauses = where(store, filters, search)
    t = store.table
    conn = session.connection()
    exact = True
    if not clauses:
        count = dist.row_count
    elif exact_count:
        count = conn.execute(select(func.count()).select_from(t).where(*clauses)).scalar_one()
    else:
        bounded = select(literal(1)).select_from(t).where(*clauses).limit(COUNT_LIMIT + 1).subquery()
        count = conn.execute(select(func.count()).select_from(bounded)).scalar_one()
        exact = count <= COUNT_LIMIT
    if sort and count > COUNT_LIMIT and conn.dialect.name == "sqlite":
        # Many matches: walking the sort column's index and testing the filters finds a page
        # quickly, but SQLite's planner prefers the filter's index and then sorts every match.
        clauses = where(store, filters, search, indexed=sort)
    key = store.col(sort) if sort else None
    stmt = select(t.c._rownum, t.c._geometry, *store.data_columns).where(*clauses)
    if next_token:
        last_key, last_row = _decode(next_token)
        if not _fits(store.types.get(sort) if sort else None, last_key):
            raise InvalidInput("invalid _next token for this sort")
        stmt = stmt.where(_after(key, t.c._rownum, last_key, last_row, sort_desc))
    if key is None:
        order = [t.c._rownum.desc() if sort_desc else t.c._rownum.asc()]
    elif sort_desc:
        order = [key.desc().nulls_last(), t.c._rownum.desc()]
    else:
        order = [key.asc().nulls_first(), t.c._rownum.asc()]
    fetched = conn.execute(stmt.order_by(*order).limit(size + 1)).all()
    more = len(fetched) > size
    fetched = fetched[:size]
    token = None
    if more and fetched:
        last = fetched[-1]
        token = _encode([last[2 + store.names.index(sort)] if sort else None, last[0]])
    rows = [{"rowid": r[0], **dict(zip(store.names, r[2:], strict=True))} for r in fetched]
    return {
        "ok": True,
        "columns": ["rowid", *store.names],
        "rows": rows,
        "geometries": [json.loads(r[1]) if r[1] else None for r in fetched],
        "count": count if exact else None,
        "count_exact": exact,
        **({} if exact else {"count_min": COUNT_LIMIT + 1}),
        "truncated": False,
        "next": token,
        "facet_results": {f: facet(conn, store, f, clauses) for f in facets},
    }


def facet(conn: Connection, store: Store, column: str, clauses, size: int = FACET_SIZE) -> list[dict]:
    """Count the values of one column among the matching rows (most frequent first)."""
    col = store.col(column)
    n = func.count().label("n")
    stmt = select(col, n).select_from(store.table).where(*clauses).group_by(col)
    stmt = stmt.order_by(n.desc(), col.asc().nulls_first()).limit(size)
    return [{"value": v, "count": c} for v, c in conn.execute(stmt).all()]


def sample_rows(session: Session, dist: Distribution, limit: int = 5000) -> list[dict[str, Any]]:
    """Return up to ``limit`` current rows as dicts (for previews and chart profiling)."""
    store = open_table(session, dist)
    stmt = select(*store.data_columns).order_by(store.table.c._rownum).limit(limit)
    return [dict(zip(store.names, r, strict=True)) for r in session.connection().execute(stmt)]


def first_geometry(session: Session, dist: Distribution) -> dict[str, Any] | None:
    """The first geometry of a distribution's current rows (None: none)."""
    t = open_table(session, dist).table
    stmt = select(t.c._geometry).where(t.c._geometry.is_not(None)).order_by(t.c._rownum).limit(1)
    text = session.connection().execute(stmt).scalar()
    return json.loads(text) if text else None


# --- streaming exports ----------------------------------------------------------------------------


def _raw_batches(conn: Connection, stmt) -> Iterator[list[tuple]]:
    """Run ``stmt`` on the session's DBAPI connection and yield plain tuples in batches.

    The export bypasses SQLAlchemy's result rows (measured: they cost as much as the fetch itself);
    PostgreSQL gets a named (server-side) cursor, SQLite's cursor fetches lazily anyway.
    """
    compiled = stmt.compile(dialect=conn.dialect)
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        cursor = raw.cursor(name="opendata_export")
        cursor.itersize = BATCH
        params = compiled.params
    else:
        cursor = raw.cursor()
        params = tuple(compiled.params[k] for k in compiled.positiontup or ())
    try:
        cursor.execute(str(compiled), params)
        while batch := cursor.fetchmany(BATCH):
            yield batch
    finally:
        cursor.close()


@contextmanager
def pinned_store(db, principal, dist_id: int, version: int) -> Iterator[tuple[Session, Store] | None]:
    """Open a session of its own acting for ``principal`` and the typed table of ``dist_id`` at ``version``.

    Streaming responses outlive the request's session: this opens one acting for the same principal
    and loads the distribution through it (the access rule applies again). Yields ``(session, store)``,
    or None when the distribution is not (or no longer) visible; the session is closed afterwards.
    """
    session = db.session(principal)
    try:
        dist = session.get(Distribution, dist_id)
        if dist is None:
            yield None
            return
        session.expunge(dist)  # detached: pinning the version must never be flushed
        dist.version = version
        yield session, open_table(session, dist)
    finally:
        session.rollback()
        session.close()


def stream(
    db, principal, dist_id: int, version: int, filters=(), search: str = ""
) -> Iterator[tuple[list[str], list[tuple]]]:
    """Yield (column names, batch of ``(_rownum, _geometry, cells…)`` tuples) of all matching rows.

    With a session of its own (``pinned_store``). Rows come in batches from a cursor: memory stays
    flat whatever the table size.
    """
    with pinned_store(db, principal, dist_id, version) as opened:
        if opened is None:
            return
        session, store = opened
        t = store.table
        head = [t.c._rownum, t.c._geometry]
        stmt = select(*head, *store.data_columns).where(*where(store, filters, search)).order_by(t.c._rownum)
        conn = session.connection()
        flags = [i + len(head) for i, n in enumerate(store.names) if store.types[n] == "boolean"]
        fix = bool(flags) and conn.dialect.name == "sqlite"  # SQLite hands out booleans as 0/1
        for batch in _raw_batches(conn, stmt):
            if fix:
                batch = [_booleans(row, flags) for row in batch]
            yield store.names, batch


def _booleans(row: tuple, positions: list[int]) -> tuple:
    cells = list(row)
    for i in positions:
        if cells[i] is not None:
            cells[i] = bool(cells[i])
    return tuple(cells)


def export_json(batches: Iterator[tuple[list[str], list]]) -> Iterator[str]:
    """Render batches as one JSON array of row objects, one chunk per batch."""
    yield "["
    sep = ""
    dumps = json.dumps
    for names, batch in batches:
        parts = [dumps(dict(zip(names, row[2:], strict=True)), ensure_ascii=False) for row in batch]
        if parts:
            yield sep + ",\n".join(parts)
            sep = ",\n"
    yield "]\n"


def export_geojson(batches: Iterator[tuple[list[str], list]]) -> Iterator[str]:
    """Render batches as a GeoJSON FeatureCollection (geometries are passed through as stored)."""
    yield '{"type":"FeatureCollection","features":['
    sep = ""
    dumps = json.dumps
    for names, batch in batches:
        parts = [
            f'{{"type":"Feature","id":{row[0]},"geometry":{row[1] or "null"},"properties":'
            + dumps(dict(zip(names, row[2:], strict=True)), ensure_ascii=False)
            + "}"
            for row in batch
        ]
        if parts:
            yield sep + ",\n".join(parts)
            sep = ",\n"
    yield "]}\n"
