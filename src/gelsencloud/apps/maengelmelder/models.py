"""Tables of GE-meldet: services (categories), reports, and the records that hang off a report.

Classification (see the README of the plugin in ``__init__``):

* ``Service``: public (the catalogue of what can be reported).
* ``Report``: ``public`` once it passed moderation, ``internal`` while it waits for it or after
  staff hid it. It never holds personal data: contact data lives in ``ReportContact``.
* ``ReportContact`` and ``Subscription``: ``personal`` (e-mail, name, phone, IP hash).
* ``ReportNote``: ``public`` for status notes shown to citizens, ``internal`` for staff notes.
* ``ReportPhoto``: ``internal`` until a moderator approves it, then ``public``.

Child tables reference their report with a nullable foreign key only so that ``sample()`` can
build a stand-alone record for the platform's isolation test; the service always sets it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gelsencloud.core.db import Base
from gelsencloud.core.models import Classified, Timestamp, utcnow
from gelsencloud.core.principal import Role

# Case workers (editors) need the reporter's contact to ask back; viewers never see it.
CASEWORKER_ROLES = frozenset({Role.TENANT_ADMIN, Role.EDITOR})


class Service(Classified, Base):
    """A category citizens can report or request (an Open311 service)."""

    __tablename__ = "mm_services"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    group: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    keywords: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    service_type: Mapped[str] = mapped_column(String(16), default="realtime", nullable=False)
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, nullable=False)
    department: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    sla_days: Mapped[int] = mapped_column(Integer, default=14, nullable=False)
    duplicate_radius_m: Mapped[int] = mapped_column(Integer, default=50, nullable=False)
    duplicate_days: Mapped[int] = mapped_column(Integer, default=14, nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=100, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Service:
        """Build a service carrying ``marker`` for the isolation test."""
        return cls(
            tenant_id=tenant_id,
            classification=classification,
            code=marker,
            name=marker,
            description=marker,
            attributes=[],
        )


class Report(Classified, Base):
    """A citizen's report (an Open311 service request); no personal data in here."""

    __tablename__ = "mm_reports"
    # Open311 GET requests.json: a time window walked newest first, filtered by bbox, service and
    # status. All filter columns are in the index, so candidates are rejected without reading rows.
    __table_args__ = (
        Index(
            "ix_mm_reports_open311",
            "tenant_id",
            "classification",
            "requested_at",
            "id",  # the tie-break of the newest-first order, so the index delivers rows in order
            "lon",
            "lat",
            "service_code",
            "status",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    service_code: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    service_name: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(32), default="new", nullable=False, index=True)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    address_id: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    zipcode: Mapped[str] = mapped_column(String(10), default="", nullable=False)
    district_code: Mapped[str | None] = mapped_column(String(32), index=True)
    quarter_code: Mapped[str | None] = mapped_column(String(32))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    media_url: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    department: Mapped[str] = mapped_column(String(100), default="", nullable=False, index=True)
    agency_responsible: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    priority: Mapped[str] = mapped_column(String(16), default="normal", nullable=False)
    assigned_to: Mapped[str | None] = mapped_column(String(100))
    moderation: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)
    moderation_reason: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("mm_reports.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(32), default="web", nullable=False)
    # Where lat/lon and address came from: "pin" | "geocoder" | "" and "citizen" | "geocoder" | "".
    location_source: Mapped[str] = mapped_column(String(16), default="", server_default="", nullable=False)
    address_source: Mapped[str] = mapped_column(String(16), default="", server_default="", nullable=False)
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    requested_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False, index=True)
    expected_at: Mapped[datetime | None] = mapped_column(Timestamp)
    closed_at: Mapped[datetime | None] = mapped_column(Timestamp)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Report:
        """Build a report carrying ``marker`` for the isolation test."""
        return cls(
            tenant_id=tenant_id,
            classification=classification,
            token=f"sample-{classification}-{marker}",
            service_code="sample",
            service_name=marker,
            description=marker,
            address=marker,
            lat=51.5177,
            lon=7.0857,
            moderation="approved" if classification == "public" else "pending",
        )


class ReportContact(Classified, Base):
    """The reporter's contact data (personal); deleted by the retention job."""

    __tablename__ = "mm_report_contacts"
    personal_roles: ClassVar[frozenset[Role]] = CASEWORKER_ROLES

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("mm_reports.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), default="", nullable=False, index=True)
    first_name: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    last_name: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    phone: Mapped[str] = mapped_column(String(50), default="", nullable=False)
    device_id: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    account_id: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    ip_hash: Mapped[str] = mapped_column(String(64), default="", nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False, index=True)

    __audit_exclude__: ClassVar[set[str]] = {"email", "first_name", "last_name", "phone", "ip_hash"}

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> ReportContact:
        """Build a contact carrying ``marker`` for the isolation test."""
        return cls(
            tenant_id=tenant_id,
            classification=classification,
            email=f"{marker}@example.org",
            first_name=marker,
            last_name=marker,
            phone=marker,
        )


class ReportNote(Classified, Base):
    """A status note (public) or an internal staff note (internal) on a report."""

    __tablename__ = "mm_report_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("mm_reports.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="status", nullable=False)
    status: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="", nullable=False)
    author: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> ReportNote:
        """Build a note carrying ``marker`` for the isolation test."""
        return cls(tenant_id=tenant_id, classification=classification, text=marker, author=marker)


class ReportPhoto(Classified, Base):
    """A re-encoded photo without metadata; internal until a moderator approves it."""

    __tablename__ = "mm_report_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("mm_reports.id", ondelete="CASCADE"), index=True)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    content_type: Mapped[str] = mapped_column(String(50), default="image/jpeg", nullable=False)
    width: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    height: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)

    __audit_exclude__: ClassVar[set[str]] = {"content"}

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> ReportPhoto:
        """Build a photo whose bytes carry ``marker`` for the isolation test."""
        return cls(tenant_id=tenant_id, classification=classification, content=marker.encode())


class Subscription(Classified, Base):
    """An e-mail subscription to a report's updates (personal, double opt-in)."""

    __tablename__ = "mm_subscriptions"
    personal_roles: ClassVar[frozenset[Role]] = CASEWORKER_ROLES  # incl. the intake principal

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("mm_reports.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)

    __audit_exclude__: ClassVar[set[str]] = {"email"}

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Subscription:
        """Build a subscription carrying ``marker`` for the isolation test."""
        return cls(
            tenant_id=tenant_id,
            classification=classification,
            email=f"{marker}@example.org",
            token=f"sub-{classification}-{marker}",
        )
