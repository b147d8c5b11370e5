"""Strategy cockpit in Chromium: overview, KPI page, measure page and the new views pass axe-core
(WCAG 2.1 A/AA) at desktop and phone width; the KPI chart draws; the council report PDF renders."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from .test_browser import AXE, AXE_RUN, DESKTOP, WCAG_TAGS, check_page, log_in, open_page

PUBLIC = [
    "/cockpit",
    "/cockpit/kennzahlen/ti-fixed-broadband",
    "/cockpit/massnahmen/1.4.1",
    "/cockpit/massnahmen/4.3.4a",
    "/cockpit/zeitplan",
    "/cockpit/sdg",
    "/cockpit/transparenz",
    "/cockpit/bericht",
]
STAFF = ["/cockpit/massnahmen/1.4.1", "/cockpit/kennzahlen/ti-fixed-broadband", "/cockpit/bewertung/gewichte"]


def _cockpit_served(live_server) -> None:
    assert "cockpit" in {p.name for p in live_server.registry.plugins}, live_server.fallback_reason


@pytest.mark.parametrize("viewport_name", ["desktop", "mobile"])
def test_cockpit_pages_pass_axe(page, live_server, viewport_name):
    _cockpit_served(live_server)
    problems = [p for path in PUBLIC for p in check_page(page, live_server, path, viewport_name)]
    assert not problems, "\n".join(problems)


def test_staff_views_pass_axe(page, live_server):
    _cockpit_served(live_server)
    log_in(page, live_server)
    problems = [p for path in STAFF for p in check_page(page, live_server, path, "desktop")]
    assert not problems, "\n".join(problems)
    open_page(page, live_server, "/cockpit/bewertung/gewichte?weight_zielgenauigkeit=4", DESKTOP)
    assert page.locator("table caption").first.inner_text().startswith("Rangliste mit Veränderung")
    assert page.locator("#w-zielgenauigkeit").input_value() == "4"


def test_kpi_chart_is_drawn_and_report_pdf_renders(page, live_server):
    _cockpit_served(live_server)
    open_page(page, live_server, "/cockpit/kennzahlen/ti-fixed-broadband", DESKTOP)
    page.wait_for_selector("#kpi-chart svg")
    assert page.locator("#kpi-chart svg path, #kpi-chart svg .mark-symbol path").count() > 0
    open_page(page, live_server, "/cockpit/bericht", DESKTOP)
    assert page.locator("main svg[role=img] title").count() >= 2  # report charts are inline SVG
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(AXE_RUN, WCAG_TAGS) == []
    response = page.request.get(live_server.url("/cockpit/bericht.pdf"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.body()))
    assert len(reader.pages) >= 2
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
    assert "Fortschrittsbericht für den Rat" in text and "4.3.4a" in text and "1.4.1" in text
    assert "Anteil von Haushalten mit Breitband-Internetzugang (kabelgebunden)" in text  # demo values
