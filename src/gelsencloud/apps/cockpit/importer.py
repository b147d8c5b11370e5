"""Import the versioned measure and KPI files into the database, idempotently.

Catalogue fields (titles, definitions, frameworks…) follow the files; what staff maintain
(status, responsible unit, links) is never overwritten. KPIs the strategy lists twice are
not copied: the canonical KPI remembers the other ids, and a data-quality finding says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gelsencloud.apps.cockpit.catalog_file import MeasureCatalog, load_measures
from gelsencloud.apps.cockpit.kpi_catalog_file import KpiCatalog, canonical_ids, find_duplicates, load_kpis
from gelsencloud.apps.cockpit.models import Finding, Kpi, Measure, MeasureChange
from gelsencloud.core import audit
from gelsencloud.core.classification import PermissionDenied, principal_of
from gelsencloud.core.identity import get_tenant
from gelsencloud.core.models import utcnow

CITY_TENANT = "stadt-gelsenkirchen"


@dataclass
class ImportReport:
    """What one import run did."""

    measures_created: int = 0
    measures_updated: int = 0
    measures_unchanged: int = 0
    kpis_created: int = 0
    kpis_updated: int = 0
    kpis_unchanged: int = 0
    duplicates_not_imported: list[str] = field(default_factory=list)
    findings_created: int = 0
    findings_total: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON and the audit log."""
        return dict(self.__dict__)


def city_tenant_id(session: Session) -> int:
    """Id of the city tenant that owns the strategy catalogues."""
    return get_tenant(session, CITY_TENANT).id


def _require_city_writer(session: Session) -> int:
    tenant_id = city_tenant_id(session)
    if not principal_of(session).can_write(tenant_id):
        raise PermissionDenied("only staff of the city may import the strategy catalogues")
    return tenant_id


def _measure_fields(catalog: MeasureCatalog, number: str) -> dict[str, Any]:
    m = catalog.get(number)
    theme = catalog.leitthema(m.leitthema)
    hf = catalog.handlungsfeld(m.handlungsfeld)
    period = m.period
    return {
        "title": m.title,
        "description": m.description,
        "leitthema": m.leitthema,
        "leitthema_title": theme.title,
        "handlungsfeld": m.handlungsfeld,
        "handlungsfeld_title": hf.title,
        "period_text": m.period_text,
        "period_start": period.start,
        "period_end": period.end,
        "financing": m.financing,
        "sdgs": list(m.sdgs),
        "catalog_version": catalog.version,
    }


def import_measures(session: Session, catalog: MeasureCatalog, report: ImportReport) -> None:
    """Create or update every measure of the file; staff-maintained fields stay untouched."""
    tenant_id = _require_city_writer(session)
    actor = principal_of(session).name
    existing = {m.number: m for m in session.scalars(select(Measure))}
    for item in catalog:
        values = _measure_fields(catalog, item.number)
        record = existing.get(item.number)
        if record is None:
            session.add(Measure(tenant_id=tenant_id, classification="public", number=item.number, **values))
            report.measures_created += 1
            continue
        changed = [key for key, value in values.items() if getattr(record, key) != value]
        if not changed:
            report.measures_unchanged += 1
            continue
        for key in changed:
            session.add(
                MeasureChange(
                    tenant_id=record.tenant_id,
                    classification="internal",  # names staff: not for the public
                    measure_number=record.number,
                    actor=actor,
                    field=key,
                    old_value=str(getattr(record, key)),
                    new_value=str(values[key]),
                    note=f"Katalogimport Version {catalog.version}",
                )
            )
            setattr(record, key, values[key])
        record.updated_at = utcnow()
        report.measures_updated += 1
    session.flush()


def _kpi_fields(kpi, catalog: KpiCatalog, also: list[str]) -> dict[str, Any]:
    return {
        "kind": "catalog",
        "name_de": kpi.name_de,
        "leitthema": kpi.leitthema,
        "handlungsfeld": kpi.handlungsfeld,
        "definition_de": kpi.definition_de,
        "numerator": kpi.formula.numerator,
        "denominator": kpi.formula.denominator,
        "unit": kpi.unit,
        "normalisation": kpi.normalisation,
        "direction": kpi.direction,
        "period": kpi.period,
        "data_source": kpi.data_source,
        "frameworks": [
            {
                "framework": f.framework,
                "code": f.code,
                "name": f.name,
                "confidence": f.confidence,
                "note": f.note,
            }
            for f in kpi.frameworks
        ],
        "also_listed_as": also,
        "notes": kpi.notes,
        "catalog_version": catalog.version,
    }


def import_kpis(session: Session, catalog: KpiCatalog, report: ImportReport) -> None:
    """Create or update the canonical KPIs and record every duplicate as a finding."""
    tenant_id = _require_city_writer(session)
    canonical = canonical_ids(catalog)
    duplicates = find_duplicates(catalog)
    also: dict[str, list[str]] = {f.canonical_id: list(f.duplicate_ids) for f in duplicates}
    existing = {k.code: k for k in session.scalars(select(Kpi))}
    for kpi in catalog:
        if canonical[kpi.id] != kpi.id:
            report.duplicates_not_imported.append(kpi.id)
            continue
        values = _kpi_fields(kpi, catalog, also.get(kpi.id, []))
        record = existing.get(kpi.id)
        if record is None:
            session.add(Kpi(tenant_id=tenant_id, classification="public", code=kpi.id, **values))
            report.kpis_created += 1
        elif any(getattr(record, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(record, key, value)
            report.kpis_updated += 1
        else:
            report.kpis_unchanged += 1
    known = {f.key: f for f in session.scalars(select(Finding))}
    for dup in duplicates:
        key = f"duplicate_kpi:{dup.canonical_id}"
        details = {
            "canonical_id": dup.canonical_id,
            "duplicate_ids": list(dup.duplicate_ids),
            "locations": [{"id": kid, "leitthema": lt, "handlungsfeld": hf} for kid, lt, hf in dup.locations],
            "catalog_version": catalog.version,
        }
        finding = known.get(key)
        if finding is None:
            session.add(
                Finding(
                    tenant_id=tenant_id,
                    classification="public",
                    key=key,
                    kind="duplicate_kpi",
                    subject=dup.canonical_id,
                    message_de=dup.message_de,
                    details=details,
                )
            )
            report.findings_created += 1
        elif finding.message_de != dup.message_de or finding.details != details:
            finding.message_de, finding.details = dup.message_de, details
    session.flush()
    report.findings_total = len(duplicates)


def import_catalogs(
    session: Session, *, measures_path: str | Path | None = None, kpis_path: str | Path | None = None
) -> ImportReport:
    """Import both files (the packaged ones by default); running it twice changes nothing."""
    report = ImportReport()
    import_measures(session, load_measures(measures_path), report)
    import_kpis(session, load_kpis(kpis_path), report)
    from gelsencloud.apps.cockpit.evaluation import ensure_default_criteria  # evaluation imports service

    ensure_default_criteria(session)  # the three criteria of section 8.1.2, if none exist yet
    audit.record(session, "cockpit_import", "cockpit_catalogs", None, **report.as_dict())
    return report
