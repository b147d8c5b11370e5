"""CSV exports of the measure and KPI catalogues (values: csv_io.export_values).

Comma separated, UTF-8, ISO dates, dot decimals, one header row; list fields are joined
with "; " (SDGs with a space) so every file opens in a spreadsheet without extra steps.
"""

from __future__ import annotations

import csv
import io

from gelsencloud.apps.cockpit import scoring
from gelsencloud.apps.cockpit.models import Kpi, Measure

MEASURE_COLUMNS = (
    "number",
    "title",
    "leitthema",
    "leitthema_title",
    "handlungsfeld",
    "handlungsfeld_title",
    "status",
    "period_text",
    "period_start",
    "period_end",
    "financing",
    "sdgs",
    "responsible_unit",
    "platform_module",
    "datasets",
    "description",
)
KPI_COLUMNS = (
    "code",
    "kind",
    "name_de",
    "leitthema",
    "handlungsfeld",
    "definition_de",
    "numerator",
    "denominator",
    "unit",
    "normalisation",
    "direction",
    "period",
    "data_source",
    "frameworks",
    "also_listed_as",
    "status",
    "ist",
    "ist_year",
    "soll",
    "u4ssc_points",
)


def _iso(value) -> str:
    return value.isoformat() if value is not None else ""


def measures_csv(measures: list[Measure]) -> str:
    """The measures as CSV, in the order given."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MEASURE_COLUMNS)
    for m in measures:
        writer.writerow(
            [
                m.number,
                m.title,
                m.leitthema,
                m.leitthema_title,
                m.handlungsfeld,
                m.handlungsfeld_title,
                m.status,
                m.period_text,
                _iso(m.period_start),
                _iso(m.period_end),
                m.financing,
                " ".join(str(s) for s in m.sdgs or []),
                m.responsible_unit,
                m.platform_module,
                "; ".join(m.datasets or []),
                m.description,
            ]
        )
    return out.getvalue()


def _number(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def kpis_csv(rows: list[tuple[Kpi, scoring.Comparison]]) -> str:
    """KPIs with their current IST/SOLL comparison as CSV."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(KPI_COLUMNS)
    for k, c in rows:
        frameworks = "; ".join(
            f"{f.get('framework')} {f.get('code') or ''}".strip() for f in k.frameworks or []
        )
        writer.writerow(
            [
                k.code,
                k.kind,
                k.name_de,
                k.leitthema,
                k.handlungsfeld,
                k.definition_de,
                k.numerator,
                k.denominator or "",
                k.unit,
                k.normalisation or "",
                k.direction,
                k.period,
                k.data_source,
                frameworks,
                "; ".join(k.also_listed_as or []),
                c.status,
                _number(c.ist),
                c.ist_year or "",
                _number(c.soll),
                c.points or "",
            ]
        )
    return out.getvalue()
