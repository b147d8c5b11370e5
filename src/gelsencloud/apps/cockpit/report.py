"""Progress report for the city council, as HTML and as PDF (WeasyPrint), with SVG charts.

The report is a public document: it is built from published values and targets and public
measures only, whoever asks for it, so the page, the PDF and the CLI give the same content.
Evaluation scores (internal working data) are not part of it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from gelsencloud.apps.cockpit import scoring, service, svgchart
from gelsencloud.apps.cockpit.models import MEASURE_STATUSES
from gelsencloud.apps.cockpit.translations import TRANSLATIONS_EN
from gelsencloud.core import i18n
from gelsencloud.core.models import utcnow

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATUS_ORDER = ("done", "running", "planned", "paused", "dropped")
LIGHT_ORDER = ("on_track", "at_risk", "off_track", "no_data")


def _t(lang: str):
    return i18n.translator(TRANSLATIONS_EN, lang)


def build_report(session: Session, lang: str = "de", today: date | None = None) -> dict[str, Any]:
    """Everything the report shows, from public data only."""
    _ = _t(lang)
    today = today or utcnow().date()
    measures = service.public_measures(session)
    by_theme: dict[tuple[str, str], dict[str, int]] = {}
    for m in measures:
        counts = by_theme.setdefault((m.leitthema, m.leitthema_title), {s: 0 for s in MEASURE_STATUSES})
        counts[m.status] += 1
    totals = {s: sum(c[s] for c in by_theme.values()) for s in MEASURE_STATUSES}
    status_labels = {s: _(service.STATUS_LABELS_DE[s]) for s in MEASURE_STATUSES}
    light_labels = {s: _(label) for s, label in scoring.STATUS_LABELS_DE.items()}
    rows = service.comparisons(session, public_only=True)
    lights = {s: 0 for s in LIGHT_ORDER}
    for _kpi, comp in rows:
        lights[comp.status] += 1
    hf_groups = service._group(rows, lambda k: f"{k.leitthema} / {k.handlungsfeld}" if k.leitthema else None)
    values = service._values_by_kpi(session, public_only=True)
    targets = service._targets_by_kpi(session, public_only=True)
    kpi_rows = []
    for kpi, comp in rows:
        if comp.status == "no_data" and not values[kpi.code]:
            continue
        series = service.annual_series(values[kpi.code])
        goal = {year: value for year, (value, _upper) in targets[kpi.code].items()}
        chart = svgchart.line_chart(
            series,
            goal,
            title=f"{kpi.name_de}: {_('IST')} / {_('SOLL')}",
            desc=_(
                "Jahreswerte (IST) als Linie, Zielwerte (SOLL) als Rauten; die Tabelle nennt dieselben Werte."
            ),
            chart_id=f"chart-kpi-{kpi.id}",
            unit=kpi.unit,
            labels=(_("IST"), _("SOLL")),
        )
        ist = dict(series)
        table = [(year, ist.get(year), goal.get(year)) for year in sorted(set(ist) | set(goal))]
        kpi_rows.append({"kpi": kpi, "comparison": comp, "table": table, "chart": chart})
    progress_chart = svgchart.stacked_bars(
        [(title, counts) for (_num, title), counts in by_theme.items()],
        STATUS_ORDER,
        status_labels,
        svgchart.STATUS_COLOURS,
        chart_id="chart-progress",
        title=_("Maßnahmen je Leitthema nach Status"),
        desc=_(
            "Gestapelte Balken: Anzahl der Maßnahmen je Status und Leitthema; die Tabelle nennt dieselben Zahlen."
        ),
    )
    lights_chart = svgchart.stacked_bars(
        [(_("Kennzahlen"), lights)],
        LIGHT_ORDER,
        light_labels,
        svgchart.LIGHT_COLOURS,
        chart_id="chart-lights",
        title=_("Kennzahlen nach Ampelstatus"),
        desc=_("Anzahl der Kennzahlen je Ampelstatus; die Tabelle nennt dieselben Zahlen."),
    )
    return {
        "today": today,
        "measures": measures,
        "by_theme": by_theme,
        "totals": totals,
        "measure_count": len(measures),
        "status_order": STATUS_ORDER,
        "status_labels": status_labels,
        "light_order": LIGHT_ORDER,
        "light_labels": light_labels,
        "lights": lights,
        "kpi_count": len(rows),
        "hf_groups": hf_groups,
        "kpi_rows": kpi_rows,
        "progress_chart": progress_chart,
        "lights_chart": lights_chart,
        "findings": len(service.list_findings(session, include_resolved=False)),
    }


def _fmt(value: float | None, lang: str = "de", digits: int = 2) -> str:
    from gelsencloud.apps.cockpit.pages import fmt

    return fmt(value, lang, digits)


_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_print_html(data: dict[str, Any], lang: str = "de", city: str = "Gelsenkirchen") -> str:
    """A standalone HTML document of the report (for PDF and saving), with print styles inline."""
    return _env.get_template("cockpit/report_print.html").render(
        {**data, "_": _t(lang), "lang": lang, "fmt": _fmt, "city_name": city}
    )


_pdf_cache: OrderedDict[str, bytes] = OrderedDict()
_pdf_lock = threading.Lock()
PDF_CACHE_SIZE = 4


def render_pdf(html: str) -> bytes:
    """The PDF of a report HTML; identical HTML is rendered once (kept for the last few reports).

    Rendering takes seconds while the HTML takes milliseconds, and the PDF is public: without
    the cache every anonymous request would cost a full layout run.
    """
    key = hashlib.sha256(html.encode("utf-8")).hexdigest()
    with _pdf_lock:
        if key in _pdf_cache:
            _pdf_cache.move_to_end(key)
            return _pdf_cache[key]
    pdf = _render_pdf(html)
    with _pdf_lock:
        _pdf_cache[key] = pdf
        while len(_pdf_cache) > PDF_CACHE_SIZE:
            _pdf_cache.popitem(last=False)
    return pdf


def _render_pdf(html: str) -> bytes:
    """Render the standalone report HTML to PDF (WeasyPrint, no network access)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # Everything is inline; a server-side renderer must never fetch URLs named in content.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()


def report_filename(today: date | datetime) -> str:
    """File name of the PDF, e.g. fortschrittsbericht-vernetzte-stadt-2026-11-27.pdf."""
    return f"fortschrittsbericht-vernetzte-stadt-{today.isoformat()[:10]}.pdf"
