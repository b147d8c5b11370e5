"""GE-meldet pages in a real browser: axe-core (WCAG 2.1 A/AA) at desktop and mobile size, and the pin."""

from __future__ import annotations

from pathlib import Path

import pytest

from gelsencloud.apps.maengelmelder import citizen_gateway as gateway
from gelsencloud.apps.maengelmelder import service as svc
from gelsencloud.apps.maengelmelder.config import catalogue
from gelsencloud.core.principal import SYSTEM
from helpers import PASSWORD, launched_chromium

AXE = Path(__file__).resolve().parents[3] / "src/gelsencloud/web/static/vendor/axe-core/axe.min.js"
AXE_RUN = """async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
  return r.violations.map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}"""
SIZES = {"desktop": {"width": 1280, "height": 800}, "mobile": {"width": 390, "height": 844}}


@pytest.fixture
def chromium():
    with launched_chromium() as browser:
        yield browser


def _problems(page, base: str, path: str, size: str) -> list[str]:
    page.set_viewport_size(SIZES[size])
    response = page.goto(base + path)
    assert response.status == 200, (path, response.status)
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    found = [f"{path} [{size}] {v}" for v in page.evaluate(AXE_RUN)]
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > SIZES[size]["width"]:
        found.append(f"{path} [{size}] page is {width}px wide")
    return found


def test_report_pages_pass_axe_and_the_pin_fills_the_coordinates(chromium, live, db, city_id):
    base = live.removesuffix("/open311/v2")
    sub = gateway.Submission(
        jurisdiction=catalogue().jurisdiction(None),
        service_code="ablagerung",
        lat="51.516",
        long="7.095",
        attributes={"menge": ["klein"]},
        description="Demo: Säcke",
    )
    result = gateway.submit_report_as_city(db, "s", (6.9, 51.4, 7.2, 51.7), sub)
    with db.transaction(SYSTEM) as session:
        svc.change_status(session, svc.get_report(session, result.report_id), "fixed", author="t")
    page = chromium.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    public = ["/melden/ablagerung", "/melden/sperrmuell", f"/meldungen/{result.report_id}"]
    public.append(f"/meldungen/status/{result.token}")
    problems = [p for size in SIZES for path in public for p in _problems(page, base, path, size)]
    # the map picker: a click sets the marker and fills lat/lon
    page.set_viewport_size(SIZES["desktop"])
    page.goto(base + "/melden/ablagerung")
    page.wait_for_load_state("networkidle")
    page.click("#mm-picker", position={"x": 200, "y": 150})
    assert page.input_value("#lat") and page.input_value("#lon")
    assert 51.4 < float(page.input_value("#lat")) < 51.7
    # staff pages, logged in as an editor through the form
    page.goto(base + "/anmelden")
    page.fill("#username", "city.editor")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    staff = [f"/maengelmelder/buero/{result.report_id}", "/maengelmelder/statistik"]
    problems += [p for size in SIZES for path in staff for p in _problems(page, base, path, size)]
    assert not problems, "\n".join(problems)
    assert not errors, errors
