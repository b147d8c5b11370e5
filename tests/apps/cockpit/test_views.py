"""Cockpit pages added for issue 5: SDG view, timeline, transparency, what-if weights, council report."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from gelsencloud.apps.cockpit import service
from gelsencloud.core.principal import SYSTEM

from .test_pages import csrf_of, unlabeled, web_login


def _seed(db, editor):
    """One published and one draft value of a KPI with a target; a status change."""
    with db.transaction(editor) as session:
        for year, value, published in ((2023, 80.0, True), (2024, 91.5, False)):
            service.add_value(
                session,
                service.ValueInput(
                    kpi_code="ti-fixed-broadband",
                    period_start=__import__("datetime").date(year, 1, 1),
                    period_end=__import__("datetime").date(year, 12, 31),
                    value=value,
                    source="Breitbandatlas",
                    published=published,
                ),
            )
        service.set_target(session, "ti-fixed-broadband", 2030, 95.0, basis="Gigabitstrategie")
        service.update_measure(session, "1.1.1", status="done")
        service.link_measure_kpi(session, "1.1.1", "ti-fixed-broadband", expected_contribution="Glasfaser")


def _headings(html: str) -> list[int]:
    main = html.split('<main id="main"', 1)[1]
    return [int(level) for level in re.findall(r"<h([1-6])\b", main)]


def _no_skipped_heading_levels(html: str) -> bool:
    levels = _headings(html)
    return levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False))


def test_sdg_view_groups_measures_under_17_goals(client, imported):
    page = client.get("/cockpit/sdg")
    assert page.status_code == 200 and _no_skipped_heading_levels(page.text)
    assert page.text.count('class="sdg sdg-') == 17
    assert "Ziel 11: Nachhaltige Städte und Gemeinden" in page.text
    assert "Ziel 14: Leben unter Wasser" in page.text
    section = page.text.split('id="sdg-9"', 1)[1].split("</section>", 1)[0]
    assert 'href="/cockpit/massnahmen/4.3.4a"' in section
    english = client.get("/cockpit/sdg", params={"lang": "en"}).text
    assert "Goal 11: Sustainable cities and communities" in english and '<html lang="en">' in english


def test_timeline_lists_every_measure_with_parsed_dates(client, imported):
    page = client.get("/cockpit/zeitplan")
    assert page.status_code == 200 and _no_skipped_heading_levels(page.text)
    assert "107 Maßnahmen nach Beginn" in page.text and "<caption>" in page.text
    rows = re.findall(r"<tr><td>([^<]+)</td><th scope=\"row\">", page.text)
    assert len(rows) == 107 and "4.3.4a" in rows
    assert re.search(r'<time datetime="\d{4}-\d{2}-\d{2}">\d{2}/\d{4}</time>', page.text)
    assert 'class="gantt" aria-hidden="true"' in page.text
    assert "Schedule of all measures" in client.get("/cockpit/zeitplan", params={"lang": "en"}).text


def test_measure_page_shows_timeline_status_kpis_and_sdgs(client, imported, editor):
    _seed(imported, editor)
    page = client.get("/cockpit/massnahmen/1.1.1").text
    assert "abgeschlossen" in page and "Zeitplan" in page
    assert (
        re.search(r"„2021-2022“.\s+Gelesen als: 01/2021 – 12/2022.", page) and 'class="gantt-bar done' in page
    )
    assert 'href="/cockpit/sdg#sdg-16">Ziel 16: Frieden, Gerechtigkeit und starke Institutionen</a>' in page
    assert 'href="/cockpit/kennzahlen/ti-fixed-broadband"' in page
    assert _no_skipped_heading_levels(page)
    undated = client.get("/cockpit/massnahmen/4.3.4a").text
    assert "Der Text nennt keine Daten." in undated and 'class="gantt-bar' not in undated
    ongoing = client.get("/cockpit/massnahmen/1.3.1").text  # "laufend": running, but no dates
    assert re.search(r"„laufend“.\s+Der Text nennt keine Daten.", ongoing)


@pytest.mark.usefixtures("backend")
def test_transparency_page_shows_only_published_data_even_to_staff(client, imported, editor):
    _seed(imported, editor)
    anonymous = client.get("/cockpit/transparenz").text
    assert "80" in anonymous and "91,5" not in anonymous
    web_login(client, "city.editor")
    staff = client.get("/cockpit/transparenz").text
    assert "91,5" not in staff and "Breitband" in staff
    assert "91,5" in client.get("/cockpit/kennzahlen/ti-fixed-broadband").text  # drafts live elsewhere
    assert _no_skipped_heading_levels(staff) and not unlabeled(staff)


def test_what_if_page_needs_login_and_validates(client, imported, editor):
    assert client.get("/cockpit/bewertung/gewichte", follow_redirects=False).status_code == 303
    web_login(client, "city.editor")
    token = csrf_of(client.get("/cockpit/bewertung").text)
    for number, points in (("1.4.1", ("5", "1", "3")), ("2.2.1", ("1", "5", "3"))):
        client.post(
            f"/cockpit/massnahmen/{number}/bewertung",
            data={
                "csrf": token,
                "points_machbarkeit": points[0],
                "points_wirtschaftlichkeit": points[1],
                "points_zielgenauigkeit": points[2],
            },
        )
    page = client.get("/cockpit/bewertung/gewichte", params={"weight_wirtschaftlichkeit": "3"})
    assert page.status_code == 200 and not unlabeled(page.text)
    assert "1 Plätze hoch" in page.text and "1 Plätze runter" in page.text
    bad = client.get("/cockpit/bewertung/gewichte", params={"weight_machbarkeit": "viel"})
    assert bad.status_code == 400 and 'role="alert"' in bad.text


@pytest.mark.usefixtures("backend")
def test_council_report_as_html_and_pdf(client, imported, editor):
    _seed(imported, editor)
    page = client.get("/cockpit/bericht")
    assert page.status_code == 200 and _no_skipped_heading_levels(page.text)
    assert "<svg" in page.text and 'role="img"' in page.text and "<title id=" in page.text
    assert "91,5" not in page.text and "80" in page.text  # the draft is not in a public report
    pdf = client.get("/cockpit/bericht.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) > 1
    text = "\n".join(p.extract_text() for p in reader.pages)
    squashed = re.sub(r"\s+", " ", text)
    assert "Fortschrittsbericht für den Rat" in squashed
    assert "4.3.4a" in squashed and "1.1.1" in squashed
    assert "Anteil der Haushalte" in squashed or "Breitband" in squashed  # the KPI with values
    assert "91,5" not in squashed
    api_pdf = client.get("/api/v1/strategy/report.pdf")
    assert api_pdf.status_code == 200 and len(PdfReader(io.BytesIO(api_pdf.content)).pages) == len(
        reader.pages
    )


def test_report_in_english(client, imported):
    with imported.transaction(SYSTEM) as session:
        assert service.list_measures(session)
    page = client.get("/cockpit/bericht", params={"lang": "en"}).text
    assert "Progress report for the council" in page and "Download the report as PDF" in page
