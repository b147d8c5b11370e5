"""Tables of the strategy cockpit.

Child tables refer to measures and KPIs by their catalogue keys (measure number, KPI code)
instead of database foreign keys: the keys are stable, come from the versioned files, appear
in CSV files as they are, and every record stays self-contained (the isolation test builds
each model's sample on its own). The service layer checks that referenced keys exist.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gelsencloud.core.db import Base
from gelsencloud.core.models import Classified, Timestamp, utcnow

MEASURE_STATUSES = ("planned", "running", "done", "paused", "dropped")


class Measure(Classified, Base):
    """A measure of the strategy, imported from data/measures.yaml and tracked by staff."""

    __tablename__ = "cockpit_measures"
    __table_args__ = (UniqueConstraint("number", name="uq_cockpit_measures_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), nullable=False)
    title: Mapped[str] = mapped_column(String(500), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    leitthema: Mapped[str] = mapped_column(String(16), default="", nullable=False)
    leitthema_title: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    handlungsfeld: Mapped[str] = mapped_column(String(16), default="", nullable=False)
    handlungsfeld_title: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    period_text: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    financing: Mapped[str] = mapped_column(Text, default="", nullable=False)
    sdgs: Mapped[list[int]] = mapped_column(JSON, default=list, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="planned", nullable=False)
    responsible_unit: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    platform_module: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    datasets: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    catalog_version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Measure:
        """Build a measure carrying ``marker`` for the isolation test."""
        return cls(
            tenant_id=tenant_id,
            classification=classification,
            number=marker[:32],
            title=marker,
            description=marker,
            sdgs=[],
            datasets=[],
        )


class MeasureChange(Classified, Base):
    """History of a measure: who changed which field when, from what to what."""

    __tablename__ = "cockpit_measure_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_number: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    field: Mapped[str] = mapped_column(String(64), nullable=False)
    old_value: Mapped[str] = mapped_column(Text, default="", nullable=False)
    new_value: Mapped[str] = mapped_column(Text, default="", nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> MeasureChange:
        """Build a history entry carrying ``marker``."""
        return cls(
            tenant_id=tenant_id,
            classification=classification,
            measure_number=marker[:32],
            actor=marker,
            field="status",
            old_value=marker,
            new_value=marker,
        )


class Kpi(Classified, Base):
    """A KPI of section 8.2 (kind "catalog") or one computed by a plugin only (kind "platform")."""

    __tablename__ = "cockpit_kpis"
    __table_args__ = (UniqueConstraint("code", name="uq_cockpit_kpis_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), default="catalog", nullable=False)
    name_de: Mapped[str] = mapped_column(Text, nullable=False)
    leitthema: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    handlungsfeld: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    definition_de: Mapped[str] = mapped_column(Text, default="", nullable=False)
    numerator: Mapped[str] = mapped_column(Text, default="", nullable=False)
    denominator: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    normalisation: Mapped[str | None] = mapped_column(String(200))
    direction: Mapped[str] = mapped_column(String(16), default="increase", nullable=False)
    period: Mapped[str] = mapped_column(String(16), default="annual", nullable=False)
    data_source: Mapped[str] = mapped_column(Text, default="", nullable=False)
    frameworks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, nullable=False)
    also_listed_as: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)
    catalog_version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    spatial: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Kpi:
        """Build a KPI carrying ``marker``."""
        return cls(
            tenant_id=tenant_id,
            classification=classification,
            code=marker.lower(),
            name_de=marker,
            definition_de=marker,
            frameworks=[],
            also_listed_as=[],
        )


class Finding(Classified, Base):
    """A data-quality finding, e.g. a KPI the strategy lists twice."""

    __tablename__ = "cockpit_findings"
    __table_args__ = (UniqueConstraint("key", name="uq_cockpit_findings_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    message_de: Mapped[str] = mapped_column(Text, nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    detected_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Finding:
        """Build a finding carrying ``marker``."""
        return cls(
            tenant_id=tenant_id,
            classification=classification,
            key=marker,
            kind="sample",
            subject=marker,
            message_de=marker,
            details={},
        )


class KpiValue(Classified, Base):
    """An IST value of a KPI for a period, city-wide (district_code None) or for one district.

    Public = published, internal = draft. ``origin`` says how it arrived: manual, csv, live
    (computed by a KPI provider) or demo (synthetic).
    """

    __tablename__ = "cockpit_kpi_values"
    __table_args__ = (Index("ix_cockpit_kpi_values_kpi_period", "kpi_code", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kpi_code: Mapped[str] = mapped_column(String(100), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    district_code: Mapped[str | None] = mapped_column(String(32))
    value: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text, default="", nullable=False)
    method: Mapped[str] = mapped_column(Text, default="", nullable=False)
    data_quality: Mapped[int | None] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(16), default="manual", nullable=False)
    entered_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    entered_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> KpiValue:
        """Build a value carrying ``marker``."""
        return cls(
            tenant_id=tenant_id,
            classification=classification,
            kpi_code=marker.lower(),
            period_start=date(2024, 1, 1),
            period_end=date(2024, 12, 31),
            value=1.0,
            source=marker,
            method=marker,
            entered_by=marker,
            details={},
        )


class KpiTarget(Classified, Base):
    """A SOLL value of a KPI for a year; ``value_upper`` makes it a corridor (target_range KPIs)."""

    __tablename__ = "cockpit_kpi_targets"
    __table_args__ = (Index("ix_cockpit_kpi_targets_kpi_year", "kpi_code", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kpi_code: Mapped[str] = mapped_column(String(100), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    district_code: Mapped[str | None] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Float, nullable=False)
    value_upper: Mapped[float | None] = mapped_column(Float)
    basis: Mapped[str] = mapped_column(Text, default="", nullable=False)
    entered_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    entered_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> KpiTarget:
        """Build a target carrying ``marker``."""
        return cls(
            tenant_id=tenant_id,
            classification=classification,
            kpi_code=marker.lower(),
            year=2030,
            value=1.0,
            basis=marker,
            entered_by=marker,
        )


class MeasureKpi(Classified, Base):
    """Link of a measure to a KPI it is expected to move, with the expected contribution."""

    __tablename__ = "cockpit_measure_kpis"
    __table_args__ = (
        UniqueConstraint("measure_number", "kpi_code", name="uq_cockpit_measure_kpis_measure_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_number: Mapped[str] = mapped_column(String(32), nullable=False)
    kpi_code: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    expected_contribution: Mapped[str] = mapped_column(Text, default="", nullable=False)
    expected_delta: Mapped[float | None] = mapped_column(Float)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> MeasureKpi:
        """Build a link carrying ``marker``."""
        return cls(
            tenant_id=tenant_id,
            classification=classification,
            measure_number=marker[:32],
            kpi_code=marker.lower(),
            expected_contribution=marker,
        )


class Criterion(Classified, Base):
    """A criterion of the evaluation matrix with its point scale and weight."""

    __tablename__ = "cockpit_criteria"
    __table_args__ = (UniqueConstraint("key", name="uq_cockpit_criteria_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    name_de: Mapped[str] = mapped_column(String(200), nullable=False)
    description_de: Mapped[str] = mapped_column(Text, default="", nullable=False)
    min_points: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    max_points: Mapped[int] = mapped_column(Integer, default=5, nullable=False)
    weight: Mapped[float] = mapped_column(Float, default=1.0, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Criterion:
        """Build a criterion carrying ``marker``."""
        return cls(tenant_id=tenant_id, classification=classification, key=marker, name_de=marker)


class MeasureScore(Classified, Base):
    """Points a measure got on one criterion of the evaluation matrix (internal by default)."""

    __tablename__ = "cockpit_measure_scores"
    __table_args__ = (
        UniqueConstraint("measure_number", "criterion_key", name="uq_cockpit_measure_scores_measure_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_number: Mapped[str] = mapped_column(String(32), nullable=False)
    criterion_key: Mapped[str] = mapped_column(String(64), nullable=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    scored_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    scored_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> MeasureScore:
        """Build a score carrying ``marker``."""
        return cls(
            tenant_id=tenant_id,
            classification=classification,
            measure_number=marker[:32],
            criterion_key=marker,
            points=1,
            note=marker,
            scored_by=marker,
        )
