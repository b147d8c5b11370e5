"""Pre-encoded row inserts on the raw SQLite cursor, for the uplink hot path.

An ``executemany`` through SQLAlchemy Core runs its parameter processing per row and column (dict
lookups, type processors, a JSON encoding for every JSON value); for the 7 rows of an uplink that was
about a fifth of the webhook's CPU time. Here the caller hands in tuples whose values are already in
the form the column stores, encoded with SQLAlchemy's own bind processors (``bulk.column_encoder``), so what is
stored - and read back through the ORM - is exactly what the Core path would have stored. Values the
rows of an uplink share (its time, its signal-quality parameters) are encoded once instead of once per
row. SQLite only: PostgreSQL keeps the COPY path of ``sensorthings.service.bulk``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from gelsencloud.apis.sensorthings.service.bulk import sqlite_inserted_ids


class Memo(dict):
    """Encode equal values once (a batch's rows share times and parameter objects)."""

    def __init__(self, encode: Callable[[Any], Any], key: Callable[[Any], Any] = id) -> None:
        super().__init__()
        self.encode = encode
        self.key = key
        self._keep: list[Any] = []  # keeps objects alive while their id() is a key

    def __call__(self, value: Any) -> Any:
        if value is None:
            return None
        key = self.key(value)
        found = self.get(key)
        if found is None:
            found = self[key] = self.encode(value)
            self._keep.append(value)
        return found


def insert_rows(connection: Connection, table: Table, columns: Sequence[str], rows: list[tuple]) -> list[int]:
    """Insert pre-encoded rows with one ``executemany`` on the SQLite cursor; return their ids in order.

    Runs inside the connection's transaction; the ids come from ``bulk.sqlite_inserted_ids``. A
    constraint violation raises ``sqlite3.IntegrityError``; rows inserted before it stay in the
    transaction, so the caller must roll it back.
    """
    if not rows:
        return []
    if connection.dialect.name != "sqlite":
        raise RuntimeError("insert_rows writes on SQLite only")
    names = ", ".join(f'"{name}"' for name in columns)
    marks = ", ".join("?" * len(columns))
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)
    finally:
        cursor.close()
    return sqlite_inserted_ids(connection, table, len(rows))
