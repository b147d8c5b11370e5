"""Storage behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from gelsencloud.apps.example.models import Notice
from gelsencloud.core import identity
from gelsencloud.core.models import AuditEntry, Tenant, User
from gelsencloud.core.principal import SYSTEM

pytestmark = pytest.mark.usefixtures("backend")


def test_timestamps_come_back_aware_and_in_utc(db, world):
    berlin = timezone(timedelta(hours=1))
    stamp = datetime(2026, 3, 29, 2, 30, tzinfo=berlin)
    with db.transaction(SYSTEM) as session:
        notice = Notice(tenant_id=world.tenants["gelsen-net"], title="t", valid_until=stamp)
        session.add(notice)
        session.flush()
        notice_id = notice.id
    with db.transaction(SYSTEM) as session:
        loaded = session.get(Notice, notice_id).valid_until
    assert loaded.tzinfo is not None and loaded.utcoffset() == timedelta(0)
    assert loaded == stamp


def test_naive_datetimes_are_refused(db, world):
    with pytest.raises(Exception, match="naive datetime"):
        with db.transaction(SYSTEM) as session:
            session.add(
                Notice(tenant_id=world.tenants["gelsen-net"], title="t", valid_until=datetime(2026, 1, 1))
            )


def test_failed_unit_of_work_leaves_nothing_half_written(db, world):
    with pytest.raises(identity.InvalidInput):
        with db.transaction(SYSTEM) as session:
            identity.create_tenant(session, slug="neu-gmbh", name="Neu GmbH")
            identity.create_tenant(session, slug="neu-gmbh", name="Doppelt")
    with db.transaction(SYSTEM) as session:
        assert session.scalar(select(func.count()).select_from(Tenant).where(Tenant.slug == "neu-gmbh")) == 0
        assert (
            session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "tenants"))
            == 4
        )


def test_work_inside_a_savepoint_is_undone_with_its_transaction(db, world):
    """A savepoint that holds the transaction's first write must not commit it (pysqlite's trap)."""
    with pytest.raises(RuntimeError):
        with db.transaction(SYSTEM) as session:
            session.scalar(select(func.count()).select_from(Tenant))  # a read first, as services do
            with session.begin_nested():
                identity.create_tenant(session, slug="zwischen-gmbh", name="Zwischen GmbH")
            identity.create_tenant(session, slug="danach-gmbh", name="Danach GmbH")
            raise RuntimeError("the unit of work fails after the savepoint was released")
    with db.transaction(SYSTEM) as session:
        slugs = set(session.scalars(select(Tenant.slug)))
    assert not {"zwischen-gmbh", "danach-gmbh"} & slugs


def test_unique_and_foreign_keys_are_enforced(db, world):
    with pytest.raises(IntegrityError):
        with db.transaction(SYSTEM) as session:
            session.add(Tenant(slug="gelsen-net", name="copy"))
    with pytest.raises(IntegrityError):
        with db.transaction(SYSTEM) as session:
            session.add(User(username="ghost", password_hash="x", tenant_id=9999, role="viewer"))


def test_json_and_unicode_round_trip(db, world):
    with db.transaction(SYSTEM) as session:
        session.add(
            Notice(tenant_id=world.tenants["gelsen-net"], title="Ückendorf – Straße gesperrt ✓", body="ß")
        )
    with db.transaction(SYSTEM) as session:
        assert session.scalar(select(Notice.title)) == "Ückendorf – Straße gesperrt ✓"


def test_concurrent_sessions_see_committed_data_only(db, world):
    writer = db.session(SYSTEM)
    reader = db.session(SYSTEM)
    try:
        writer.add(Notice(tenant_id=world.tenants["gelsen-net"], title="pending"))
        writer.flush()
        assert reader.scalar(select(func.count()).select_from(Notice)) == 0
        writer.commit()
        reader.rollback()  # end the reader's snapshot
        assert reader.scalar(select(func.count()).select_from(Notice)) == 1
    finally:
        writer.close()
        reader.close()


def test_audit_timestamps_are_recent(db, world):
    with db.transaction(SYSTEM) as session:
        newest = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    assert datetime.now(UTC) - newest.at < timedelta(minutes=5)
