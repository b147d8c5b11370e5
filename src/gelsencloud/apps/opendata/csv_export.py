"""CSV exports written by the database: each row's CSV line is one SQL expression, batches joined in SQL.

Python's ``csv.writer`` capped the export of a 1,000,000-row table at about 8 MB/s here
(docs/performance.md). Instead the database formats every cell, quotes it (RFC 4180: a field
with a comma, a quote, CR or LF is quoted and its quotes doubled), joins the cells of a row and
the rows of a batch of ``LINE_BATCH`` (``group_concat`` / ``string_agg``, keyset pages over
``_rownum``); Python only encodes and streams one string per batch, so memory stays flat.

The bytes are those ``csv.writer`` wrote before, on both backends (tests compare them): CRLF line
ends, NULL as an empty field (a lone empty field as ``""``), booleans ``True``/``False``, numbers
as Python's ``repr`` of the float (shortest round-trip digits, ``.0`` on integral values,
exponent form below 1e-4 and from 1e16 on). PostgreSQL's ``float8`` text is already the shortest
round-trip form and needs only reshaping; SQLite's own text (15 digits) is used when it reads back
as the same number, which makes its digits the shortest ones, otherwise Python's ``repr`` is called
through a function registered on the connection. PostgreSQL's ``COPY … (FORMAT csv)`` was not used: it ends lines with LF only and
quotes empty strings, so its bytes would differ from SQLite's.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Float, Numeric, String, Text, and_, case, cast, func, literal, or_, select
from sqlalchemy.engine import Connection

from gelsencloud.apps.opendata.models import Distribution
from gelsencloud.apps.opendata.tables import Store, pinned_store, where

LOGGER = logging.getLogger(__name__)
LINE_BATCH = 20_000
SQLITE_REPR = "gelsencloud_float_repr"  # Python's repr(float), registered on the export's connection


def _lit(text: str):
    return literal(text, String)


def _string_cell(col, dialect: str, alone: bool):
    """A text cell, quoted when it holds a comma, quote, CR or LF (csv.QUOTE_MINIMAL)."""
    position = func.strpos if dialect == "postgresql" else func.instr
    special = or_(*(position(col, _lit(ch)) > 0 for ch in (",", '"', "\r", "\n")))
    quoted = _lit('"') + func.replace(col, _lit('"'), _lit('""'), type_=Text) + _lit('"')
    empty = _lit('""') if alone else _lit("")  # csv.writer quotes a row's only field when empty
    return case((col.is_(None), empty), (col == _lit(""), empty), (special, quoted), else_=col)


def _float_cell_sqlite(col):
    """repr(float) in SQLite: its own text when those 15 digits read back exactly, else Python's repr.

    SQLite writes a REAL as ``%!.15g`` (``100.0``, ``0.1``); when that text reads back as the same
    number its digits are the shortest ones, as Python's; below 1e-4 and from 1e15 on the two
    differ in form, so those values (rare) take Python's repr too.
    """
    text = cast(col, Text)
    magnitude = func.abs(col)
    fast = and_(cast(text, Float) == col, or_(col == 0, and_(magnitude >= 1e-4, magnitude < 1e15)))
    return case((col.is_(None), _lit("")), (fast, text), else_=getattr(func, SQLITE_REPR)(col, type_=Text))


def _float_cell_postgresql(col):
    """repr(float) in PostgreSQL: float8 text (shortest round-trip digits) reshaped as Python prints it."""
    t = cast(col, Text)
    mantissa = func.split_part(func.ltrim(t, _lit("-")), _lit("e"), 1, type_=Text)
    digits = func.replace(mantissa, _lit("."), _lit(""), type_=Text)
    sign = case((col < 0, _lit("-")), else_=_lit(""))
    # PostgreSQL writes exponent form from 1e15 on, Python from 1e16 on: 16 integer digits
    sixteen = case(
        (func.length(digits) <= 16, func.rpad(digits, 16, _lit("0"), type_=Text) + _lit(".0")),
        else_=func.substr(digits, 1, 16, type_=Text) + _lit(".") + func.substr(digits, 17, type_=Text),
    )
    # From 1e16 on PostgreSQL may print an integral value with more digits than the shortest
    # (7.0669031325152096e+16 where Python prints 7.06690313251521e+16): take the shortest of
    # 15, 16 or 17 significant digits that reads back as the same float.
    exact = func.abs(cast(t, Numeric))
    exponent = func.length(cast(func.trunc(exact), Text)) - 1
    c15, c16 = (func.round(exact, n - 1 - exponent) for n in (15, 16))
    top = literal(Decimal(int(sys.float_info.max)), Numeric)  # exact; rounded above it is no float

    def reads_back(candidate):
        return and_(candidate <= top, cast(func.least(candidate, top), Float) == func.abs(col))

    shortest = case((reads_back(c15), c15), (reads_back(c16), c16), else_=exact)
    big_digits = func.rtrim(cast(func.trunc(shortest), Text), _lit("0"), type_=Text)
    big = (
        sign
        + func.substr(big_digits, 1, 1, type_=Text)
        + case(
            (func.length(big_digits) > 1, _lit(".") + func.substr(big_digits, 2, type_=Text)), else_=_lit("")
        )
        + _lit("e+")
        + cast(exponent, Text)  # >= 16: two digits or more, as Python writes it
    )
    magnitude = func.abs(col)
    usual = and_(magnitude >= 1e-4, magnitude < 1e15)  # positional in both; one float8out only
    return case(
        (col.is_(None), _lit("")),
        (usual, t + case((col == func.trunc(col), _lit(".0")), else_=_lit(""))),
        (t == _lit("NaN"), _lit("nan")),
        (and_(func.abs(col) >= 1e16, t.op("!~")(_lit("Infinity"))), big),
        (t == _lit("Infinity"), _lit("inf")),
        (t == _lit("-Infinity"), _lit("-inf")),
        (func.right(t, 4) == _lit("e+15"), sign + sixteen),
        # integral below 1e15: PostgreSQL writes "100", Python "100.0"
        (and_(func.strpos(t, _lit(".")) == 0, func.strpos(t, _lit("e")) == 0), t + _lit(".0")),
        else_=t,
    )


def _cell(store: Store, name: str, dialect: str, alone: bool):
    col = store.col(name)
    kind = store.types[name]
    if kind == "string":
        return _string_cell(col, dialect, alone)
    if kind == "number":
        return _float_cell_postgresql(col) if dialect == "postgresql" else _float_cell_sqlite(col)
    empty = _lit('""') if alone else _lit("")
    if kind == "boolean":
        return case((col.is_(None), empty), (col, _lit("True")), else_=_lit("False"))
    return case((col.is_(None), empty), else_=cast(col, Text))  # integer


PRINTF_ARGS = 100  # SQLite functions take at most 127 arguments


def line_expression(store: Store, dialect: str):
    """One SQL expression giving a row's CSV line (without the line end)."""
    alone = len(store.names) == 1
    cells = [_cell(store, name, dialect, alone) for name in store.names]
    if dialect == "sqlite":
        # one printf per 100 cells allocates the line once instead of once per "||" (measured -30 %)
        parts = []
        for start in range(0, len(cells), PRINTF_ARGS):
            chunk = cells[start : start + PRINTF_ARGS]
            parts.append(func.printf(_lit(",".join(["%s"] * len(chunk))), *chunk, type_=Text))
        cells = parts
    line = cells[0]
    for cell in cells[1:]:
        line = line + _lit(",") + cell
    return line


def header(names: list[str]) -> str:
    """The header line, quoted like the cells."""
    fields = []
    for name in names:
        special = any(ch in name for ch in ',"\r\n') or (name == "" and len(names) == 1)
        fields.append('"' + name.replace('"', '""') + '"' if special else name)
    return ",".join(fields) + "\r\n"


# --- whole-table exports are kept as files ----------------------------------------------------------
#
# A version's typed table never changes after import (a new upload or live run is a new version),
# so the unfiltered CSV of a version is rendered once, written beside the response as it streams,
# and later downloads send that file (``FileResponse``: 64 KiB reads, memory flat). The file's name
# carries the distribution, version and modification time; a new one replaces the others of its
# distribution, and deleting the distribution deletes them. Filtered exports are always rendered.


def cache_root(settings) -> Path:
    """The folder of rendered whole-table CSV exports."""
    root = Path(settings.var_dir) / "opendata" / "exports"
    root.mkdir(parents=True, exist_ok=True)
    return root


def cache_path(root: Path, dist: Distribution) -> Path:
    """Where the whole CSV of ``dist``'s current version is kept."""
    stamp = int(dist.modified.timestamp() * 1_000_000) if dist.modified else 0
    return root / f"{int(dist.id)}_v{int(dist.version)}_{stamp}.csv"


def forget(root: Path, dist_id: int, keep: Path | None = None) -> None:
    """Delete the kept CSV files of a distribution (all, or all but ``keep``)."""
    for path in root.glob(f"{int(dist_id)}_v*.csv"):
        if path != keep:
            path.unlink(missing_ok=True)


def stream_and_keep(chunks: Iterator[str], path: Path) -> Iterator[bytes]:
    """Pass the chunks on as bytes and write them to ``path``, which appears only when complete."""
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    complete = False
    try:
        with temp.open("wb") as handle:
            for chunk in chunks:
                data = chunk.encode()
                handle.write(data)
                yield data
        complete = True
    finally:
        if complete:
            temp.replace(path)  # atomic: a reader sees the whole file or none
            forget(path.parent, int(path.name.split("_", 1)[0]), keep=path)
        else:
            temp.unlink(missing_ok=True)  # the client went away or the query failed


def render_missing(db, settings) -> str:
    """Render the kept whole-table CSV of every tabular distribution that has none (the exports job).

    So that a version's first download is already a file: the database writes CSV at 20–30 MB/s on
    this machine (docs/performance.md), a kept file is sent at hundreds of MB/s. Runs as the system
    principal; the download route still checks who may read the distribution before sending the file.
    """
    from gelsencloud.core.principal import SYSTEM

    root = cache_root(settings)
    rendered = failed = 0
    with db.session(SYSTEM) as session:
        dists = list(session.scalars(select(Distribution).where(Distribution.tabular.is_(True))))
    for dist in dists:
        path = cache_path(root, dist)
        if path.is_file():
            continue
        try:
            for _ in stream_and_keep(stream(db, SYSTEM, int(dist.id), int(dist.version)), path):
                pass
            rendered += 1
        except Exception:  # noqa: BLE001 - one broken table must not stop the others; the route renders it
            LOGGER.exception("could not render the CSV export of distribution %s", dist.id)
            failed += 1
    return f"{rendered} CSV exports rendered, {failed} failed"


def stream(db, principal, dist_id: int, version: int, filters=(), search: str = "") -> Iterator[str]:
    """Yield the CSV of all matching rows (header first), with a session of its own (``pinned_store``)."""
    with pinned_store(db, principal, dist_id, version) as opened:
        if opened is None:
            return
        session, store = opened
        yield header(store.names)
        yield from batches(session.connection(), store, where(store, filters, search))


def batches(conn: Connection, store: Store, clauses: list) -> Iterator[str]:
    """Yield the CSV text of all matching rows, ``LINE_BATCH`` lines per string (keyset over _rownum)."""
    dialect = conn.dialect.name
    if dialect == "sqlite":
        conn.connection.driver_connection.create_function(SQLITE_REPR, 1, _repr, deterministic=True)
    t = store.table
    line = line_expression(store, dialect).label("line")
    after = -1
    while True:
        page = (
            select(t.c._rownum, line)
            .where(*clauses, t.c._rownum > after)
            .order_by(t.c._rownum)
            .limit(LINE_BATCH)
            .subquery()
        )
        stmt = select(func.max(page.c._rownum), func.count(), _joined(page, dialect))
        last, count, text = conn.execute(stmt).one()
        if not count:
            return
        yield text + "\r\n"
        if count < LINE_BATCH:
            return
        after = last


def _joined(page, dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import aggregate_order_by

        return func.string_agg(page.c.line, aggregate_order_by(_lit("\r\n"), page.c._rownum), type_=Text)
    # SQLite (3.40 has no ORDER BY inside aggregates) concatenates in the order the ordered
    # subquery delivers its rows
    return func.group_concat(page.c.line, _lit("\r\n"), type_=Text)


def _repr(value):
    return "" if value is None else repr(float(value))
