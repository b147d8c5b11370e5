"""Pure parts of the report and the timeline: SVG charts, PDF cache, axis, SDG grouping, what-if."""

from __future__ import annotations

import re
from datetime import date
from xml.etree import ElementTree

from gelsencloud.apps.cockpit import report, svgchart, timeline
from gelsencloud.apps.cockpit.models import Measure
from gelsencloud.apps.cockpit.sdgs import group_by_sdg, sdg_title

SVG = "{http://www.w3.org/2000/svg}"


def test_stacked_bars_are_proportional_and_labelled():
    svg = svgchart.stacked_bars(
        [("Thema A", {"done": 3, "running": 1}), ("Thema B", {"planned": 2})],
        ("done", "running", "planned"),
        {"done": "fertig", "running": "läuft", "planned": "geplant"},
        {"done": "#2e7d32", "running": "#00549f", "planned": "#6b6b6b"},
        title="Titel",
        desc="Beschreibung",
        chart_id="c1",
    )
    root = ElementTree.fromstring(svg)  # well-formed XML
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c1-t c1-d"
    assert root.find(f"{SVG}title").text == "Titel" and root.find(f"{SVG}desc").text == "Beschreibung"
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    widths = {r.find(f"{SVG}title").text: float(r.get("width")) for r in bars}
    assert widths["fertig: 3"] == 3 * widths["läuft: 1"]  # row A: 3 of 4 and 1 of 4
    assert widths["geplant: 2"] == widths["fertig: 3"] + widths["läuft: 1"]  # row B: 2 of 2, full width


def test_line_chart_draws_one_dot_per_value_and_one_diamond_per_target():
    svg = svgchart.line_chart([(2022, 10.0), (2023, 12.5)], {2030: 20.0}, "T", "D", "c2", unit="%")
    root = ElementTree.fromstring(svg)
    dots = [c.find(f"{SVG}title").text for c in root.iter(f"{SVG}circle")]
    assert dots == ["2022: 10", "2023: 12,5"]
    diamonds = [
        p.find(f"{SVG}title").text for p in root.iter(f"{SVG}path") if p.find(f"{SVG}title") is not None
    ]
    assert diamonds == ["SOLL 2030: 20"]
    assert len(list(root.iter(f"{SVG}polyline"))) == 1
    assert "<circle" not in svgchart.line_chart([], {}, "T", "D", "c3")  # nothing to draw: empty frame


def test_pdf_of_identical_html_is_rendered_once(monkeypatch):
    calls = []
    monkeypatch.setattr(report, "_render_pdf", lambda html: calls.append(html) or b"%PDF-" + html.encode())
    monkeypatch.setattr(report, "_pdf_cache", type(report._pdf_cache)())
    assert report.render_pdf("<p>a</p>") == report.render_pdf("<p>a</p>") == b"%PDF-<p>a</p>"
    report.render_pdf("<p>b</p>")
    assert calls == ["<p>a</p>", "<p>b</p>"]
    for i in range(report.PDF_CACHE_SIZE):
        report.render_pdf(f"<p>{i}</p>")
    report.render_pdf("<p>a</p>")  # evicted by then: rendered again
    assert calls.count("<p>a</p>") == 2


def _measure(number: str, start: date | None, end: date | None, text: str, sdgs=()) -> Measure:
    return Measure(
        number=number,
        title=number,
        period_text=text,
        period_start=start,
        period_end=end,
        sdgs=list(sdgs),
        status="planned",
    )


def test_timeline_axis_and_bars():
    measures = [
        _measure("1.1.2", date(2020, 1, 1), date(2021, 12, 31), "2020-2021"),
        _measure("1.1.1", date(2019, 1, 1), None, "2019 - ff."),
        _measure("1.1.3", None, date(2021, 9, 30), "bis Q3. 2021"),
        _measure("1.1.4", None, None, "offen"),
    ]
    axis, rows = timeline.build_timeline(measures, date(2024, 6, 1))
    assert (axis.first_year, axis.last_year) == (2019, 2024)
    assert [r.measure.number for r in rows] == ["1.1.1", "1.1.2", "1.1.3", "1.1.4"]
    open_ended, two_years, until, undated = rows
    assert open_ended.open_ended and open_ended.left == 0.0 and open_ended.left + open_ended.width == 100.0
    assert two_years.left == axis.position(date(2020, 1, 1)) and round(two_years.width) == round(200 / 6)
    assert until.start is None and until.left == 0.0
    assert not undated.placed and undated.width is None
    assert [y for y, _ in timeline.Axis(2013, 2030).ticks()] == [2013, 2016, 2019, 2022, 2025, 2028]


def test_sdg_grouping_keeps_all_17_goals():
    groups = group_by_sdg(
        [_measure("1", None, None, "", sdgs=[11, 13]), _measure("2", None, None, "", sdgs=[11])]
    )
    assert len(groups) == 17 and [m.number for m in groups[10].measures] == ["1", "2"]
    assert groups[12].title_de == "Maßnahmen zum Klimaschutz" and not groups[0].measures
    assert (
        sdg_title(7, "en") == "Affordable and clean energy"
        and sdg_title(7) == "Bezahlbare und saubere Energie"
    )
    assert re.fullmatch(r"[A-ZÄÖÜ].+", groups[16].title_de)
