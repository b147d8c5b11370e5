"""Database engine and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from gelsencloud.core.sqlite_wal import WalCheckpointer, WriterLock, defer_checkpoints

# Stable constraint names so Alembic migrations behave identically on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table, core and plugins alike."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the web server read while ingestion writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Statement journals (kept for every write to a table with triggers, e.g. the Observations' stored
    # hourly aggregates) and temporary sort b-trees stay in memory instead of temporary files: this cut
    # the trigger's cost on inserts from 2x to 1.3x. The database file's durability is unchanged.
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def _sqlite_savepoint(connection, _name) -> None:
    # pysqlite opens a transaction only before INSERT/UPDATE/DELETE. A SAVEPOINT issued before the first
    # write therefore started the transaction itself, and its RELEASE committed everything so far, beyond
    # the reach of a later rollback. Open the real transaction first; reads before the first write stay
    # outside it, as pysqlite keeps them, so a reader never has to be upgraded to a writer (which SQLite
    # refuses at once instead of waiting when another connection has written meanwhile).
    dbapi = connection.connection.dbapi_connection
    if not dbapi.in_transaction:
        dbapi.execute("BEGIN")


def sqlite_file(url) -> str | None:
    """Return the database file of a SQLite URL; None for PostgreSQL and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database


def make_engine(url: str) -> Engine:
    """Create an engine with the settings each backend needs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if path := sqlite_file(parsed):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "savepoint", _sqlite_savepoint)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """An engine plus the session factory bound to it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.checkpointer: WalCheckpointer | None = None

    @property
    def backend(self) -> str:
        """Return 'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    def session(self, principal=None) -> Session:
        """Open a session acting for ``principal`` (anonymous when None)."""
        session = self.session_factory()
        session.info["principal"] = principal
        return session

    @contextmanager
    def transaction(self, principal=None) -> Iterator[Session]:
        """Run a unit of work: commit on success, roll back everything on error."""
        session = self.session(principal)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self, principal=None) -> Iterator[Session]:
        """A session for reads only, without a transaction of its own (each statement autocommits).

        Each statement still reads a consistent snapshot (as in PostgreSQL's default READ COMMITTED),
        but no BEGIN and COMMIT travel to the server: two round trips fewer per request. A flush fails.
        """
        with self.transaction(principal) as session:
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            yield session

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def writer_lock(self) -> WriterLock | None:
        """A cross-process lock for a SQLite file's writers (``sqlite_wal.WriterLock``); None otherwise."""
        path = sqlite_file(self.engine.url)
        return WriterLock(path) if path else None

    def start_wal_checkpointer(self, interval: float = 0.25) -> bool:
        """Checkpoint a SQLite file's log in a background thread (``sqlite_wal``); False if not SQLite."""
        path = sqlite_file(self.engine.url)
        if not path or self.checkpointer:
            return False
        event.listen(self.engine, "connect", defer_checkpoints)
        self.engine.dispose()  # connections opened before would go on checkpointing in their commits
        self.checkpointer = WalCheckpointer(path, interval)
        self.checkpointer.start()
        return True

    def dispose(self) -> None:
        """Stop the checkpointer, if any, and close all pooled connections."""
        if self.checkpointer is not None:
            self.checkpointer.stop()
            self.checkpointer = None
            event.remove(self.engine, "connect", defer_checkpoints)
        self.engine.dispose()
