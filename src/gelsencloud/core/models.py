"""Core tables: tenants, users, API keys, sessions, audit log, job runs, city areas."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

from gelsencloud.core.db import Base
from gelsencloud.core.principal import DEFAULT_PERSONAL_ROLES, Classification, Role


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class Timestamp(TypeDecorator):
    """Aware UTC datetime on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Classified:
    """Mixin for every data-bearing record: an owning tenant and a classification.

    A mapped class that is not classified must say why in ``__unclassified__``; a test checks it.

    The visibility rule is enforced once, in :mod:`gelsencloud.core.classification`,
    for every ORM query; models only declare which roles may read personal records.
    """

    personal_roles: ClassVar[frozenset[Role]] = DEFAULT_PERSONAL_ROLES

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True, nullable=False)

    @declared_attr
    def classification(cls) -> Mapped[str]:  # noqa: N805
        return mapped_column(String(16), default=Classification.INTERNAL.value, nullable=False, index=True)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Classified:
        """Build a minimal valid record carrying ``marker`` (used by the isolation test)."""
        raise NotImplementedError(f"{cls.__name__} must implement sample() for the isolation test")


class Tenant(Base):
    """An organisation using the platform: the city or one of its companies."""

    __tablename__ = "tenants"
    __unclassified__: ClassVar[str] = (
        "organisation directory: names of the city and its companies are public by design"
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    website: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)


class User(Base):
    """A person who logs in; belongs to one tenant and holds one role there."""

    __tablename__ = "users"
    __unclassified__: ClassVar[str] = (
        "identity table: only reachable through the identity service, which checks admin rights"
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True)
    role: Mapped[str] = mapped_column(String(32), default=Role.VIEWER.value, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    locked_until: Mapped[datetime | None] = mapped_column(Timestamp)
    last_login_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)

    # Values never logged (changes still are); ignored fields are bookkeeping, audited separately.
    __audit_exclude__: ClassVar[set[str]] = {"password_hash"}
    __audit_ignore__: ClassVar[set[str]] = {"failed_logins", "last_login_at", "locked_until"}


class ApiKey(Base):
    """A machine credential scoped to one tenant and role; only its hash is stored."""

    __tablename__ = "api_keys"
    __unclassified__: ClassVar[str] = (
        "credential table: only hashes, only reachable through the identity service"
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_used_at: Mapped[datetime | None] = mapped_column(Timestamp)

    __audit_exclude__: ClassVar[set[str]] = {"key_hash"}
    __audit_ignore__: ClassVar[set[str]] = {"last_used_at"}


class AuthSession(Base):
    """A log-in: a web session (cookie) or an API bearer token; only the token hash is stored."""

    __tablename__ = "auth_sessions"
    __unclassified__: ClassVar[str] = "credential table: only token hashes, never exposed"
    __audit__: ClassVar[bool] = False  # log-ins are audited explicitly, not as row changes

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # "web" | "api"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)


class AuditEntry(Base):
    """One write: who did what to which record, when, for which tenant."""

    __tablename__ = "audit_log"
    __unclassified__: ClassVar[str] = "access-controlled by audit.query (administrators only)"
    __audit__: ClassVar[bool] = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False, index=True)
    actor_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_name: Mapped[str] = mapped_column(String(200), nullable=False)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    tenant_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    entity: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    entity_id: Mapped[str | None] = mapped_column(String(100))
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))


class JobRun(Base):
    """One execution of a scheduled job, with its outcome."""

    __tablename__ = "job_runs"
    __unclassified__: ClassVar[str] = "operational bookkeeping without city data"
    __audit__: ClassVar[bool] = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    started_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)
    status: Mapped[str] = mapped_column(String(16), default="running", nullable=False)
    message: Mapped[str] = mapped_column(Text, default="", nullable=False)
    lease_until: Mapped[datetime | None] = mapped_column(Timestamp)


class CityArea(Base):
    """A district (Stadtbezirk) or quarter (Stadtteil) of the configured city; public reference data."""

    __tablename__ = "city_areas"
    __unclassified__: ClassVar[str] = "public reference geometry of the city"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(32), nullable=False)  # "stadtbezirk" | "stadtteil"
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    parent_code: Mapped[str | None] = mapped_column(String(32))
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # GeoJSON geometry, EPSG:4326
    geometry_source: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    approximate: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    area_km2: Mapped[float | None] = mapped_column(Float)
