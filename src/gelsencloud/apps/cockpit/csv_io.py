"""CSV import and export of IST values: all rows or none, with an error per faulty row.

Columns (header required, order free): kpi, period_start, period_end, value, and optionally
district, source, method, data_quality (1–6), published (ja/nein, true/false, 1/0).
Comma or semicolon separated; with semicolons a decimal comma is accepted ("12,5").
Dates are ISO (2024-12-31); a bare year (2024) in period_start means the whole year.
The export's extra columns (id, origin, entered_by, entered_at) are ignored on import.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlalchemy.orm import Session

from gelsencloud.apps.cockpit import service
from gelsencloud.apps.cockpit.models import KpiValue
from gelsencloud.core import audit
from gelsencloud.core.identity import InvalidInput, NotFound

REQUIRED = ("kpi", "period_start", "value")
OPTIONAL = ("period_end", "district", "source", "method", "data_quality", "published")
EXPORT_COLUMNS = (
    "id",
    "kpi",
    "period_start",
    "period_end",
    "district",
    "value",
    "source",
    "method",
    "data_quality",
    "published",
    "origin",
    "entered_by",
    "entered_at",
)
MAX_ROWS = 50_000
_TRUE = {"ja", "yes", "true", "1", "j", "x"}
_FALSE = {"nein", "no", "false", "0", "n", ""}


class CsvImportError(InvalidInput):
    """The CSV file was refused; ``errors`` lists every faulty row (nothing was imported)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        shown = "; ".join(errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__(f"CSV not imported, {len(errors)} error(s): {shown}{more}")


def _number(text: str, decimal_comma: bool) -> float | None:
    text = text.strip()
    if text == "":
        return None
    if decimal_comma:
        text = text.replace(".", "").replace(",", ".") if "," in text else text
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return value


def _period(start_text: str, end_text: str) -> tuple[date, date]:
    start_text, end_text = start_text.strip(), end_text.strip()
    if start_text.isdigit() and len(start_text) == 4 and not end_text:
        year = int(start_text)
        return date(year, 1, 1), date(year, 12, 31)
    start = date.fromisoformat(start_text)
    end = date.fromisoformat(end_text) if end_text else start
    return start, end


def parse_values(session: Session, text: str) -> list[service.ValueInput]:
    """Parse and validate every row; raise CsvImportError listing all faulty rows."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise CsvImportError(["the file is empty"])
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CsvImportError([f"header: missing column(s) {', '.join(missing)}"])
    # Export-only columns (id, origin…) are ignored, so an exported file can be re-imported.
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL + EXPORT_COLUMNS]
    if unknown:
        raise CsvImportError([f"header: unknown column(s) {', '.join(unknown)}"])
    reader.fieldnames = header
    districts = service.district_codes(session)
    items: list[service.ValueInput] = []
    errors: list[str] = []
    for line, row in enumerate(reader, start=2):
        if len(items) + len(errors) >= MAX_ROWS:
            errors.append(f"more than {MAX_ROWS} rows; split the file")
            break
        if None in row:
            errors.append(f"row {line}: more fields than columns")
            continue
        row = {k: (v or "").strip() for k, v in row.items()}
        if not any(row.values()):
            continue
        try:
            start, end = _period(row["period_start"], row.get("period_end", ""))
            quality = row.get("data_quality", "")
            published = row.get("published", "").lower()
            if published not in _TRUE | _FALSE:
                raise InvalidInput(f"published must be ja/nein, got {row['published']!r}")
            item = service.ValueInput(
                kpi_code=row["kpi"],
                period_start=start,
                period_end=end,
                value=_number(row["value"], delimiter == ";"),
                district_code=row.get("district") or None,
                source=row.get("source", ""),
                method=row.get("method", ""),
                data_quality=int(quality) if quality else None,
                published=published in _TRUE,
            )
            if item.value is None:
                raise InvalidInput("value is empty")
            service.validate_value(session, item, districts)
        except (ValueError, NotFound) as exc:  # InvalidInput is a ValueError
            errors.append(f"row {line}: {exc}")
            continue
        items.append(item)
    if errors:
        raise CsvImportError(errors)
    if not items:
        raise CsvImportError(["no data rows"])
    return items


def import_values(session: Session, text: str) -> list[KpiValue]:
    """Import a CSV of IST values; nothing is stored unless every row is valid."""
    items = parse_values(session, text)
    districts = service.district_codes(session)
    records = [service.add_value(session, item, origin="csv", districts=districts) for item in items]
    audit.record(session, "cockpit_csv_import", "cockpit_kpi_values", None, rows=len(records))
    return records


def export_values(values: list[KpiValue], staff_names: bool = True) -> str:
    """Write IST values as CSV (comma separated, UTF-8, ISO dates, dot decimals)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for v in values:
        writer.writerow(
            [
                v.id,
                v.kpi_code,
                v.period_start.isoformat(),
                v.period_end.isoformat(),
                v.district_code or "",
                "" if v.value is None else repr(float(v.value)),
                v.source,
                v.method,
                v.data_quality or "",
                "ja" if v.classification == "public" else "nein",
                v.origin,
                v.entered_by if staff_names else service.PUBLIC_AUTHOR,
                v.entered_at.isoformat() if v.entered_at else "",
            ]
        )
    return out.getvalue()
