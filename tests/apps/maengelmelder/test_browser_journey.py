"""A citizen reports on a phone and follows the report while staff work it through to "fixed".

Real Chromium (Debian's, through Playwright) at 390×844, everything served by the local test
server (any request leaving it is refused and fails the test), axe-core on every page visited.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from helpers import PASSWORD, launched_chromium

PHONE = {"width": 390, "height": 844}
AXE = Path(__file__).resolve().parents[3] / "src/gelsencloud/web/static/vendor/axe-core/axe.min.js"
AXE_RUN = """async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
  return r.violations.map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}"""
FIX_NOTE = "Die Säcke wurden abgeholt und die Fläche gereinigt."


def phone_photo_with_gps() -> bytes:
    """A JPEG as a phone writes it: camera make/model and a GPS position in the EXIF block."""
    image = Image.new("RGB", (640, 480), (90, 120, 60))
    for x in range(100, 300):
        for y in range(200, 320):
            image.putpixel((x, y), (40, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "DemoCam"
    exif[0x0110] = "Demo Phone 1"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 57.0)
    gps[3], gps[4] = "E", (7.0, 5.0, 42.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    assert Image.open(io.BytesIO(out.getvalue())).getexif().get_ifd(0x8825), "fixture must carry GPS EXIF"
    return out.getvalue()


@pytest.fixture
def browser():
    with launched_chromium() as chromium:
        yield chromium


class Phone:
    """A phone-sized browser context that records page errors, outside requests and axe findings."""

    def __init__(self, browser, base: str) -> None:
        self.base = base
        self.context = browser.new_context(viewport=PHONE, locale="de-DE", has_touch=True, is_mobile=True)
        self.context.set_default_timeout(15_000)
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.problems: list[str] = []
        self.context.route("**/*", self._only_local)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _only_local(self, route) -> None:
        if route.request.url.startswith((self.base, "data:", "blob:")):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def check(self) -> None:
        """Run axe-core on the current page and check it fits the phone's width."""
        page = self.page
        page.wait_for_load_state("networkidle")
        path = page.url.removeprefix(self.base)
        page.add_script_tag(path=str(AXE))
        self.problems += [f"{path}: {v}" for v in page.evaluate(AXE_RUN)]
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            self.problems.append(f"{path}: page is {width}px wide on a {PHONE['width']}px phone")

    def goto(self, path: str) -> None:
        """Open a page of the test server and check it."""
        response = self.page.goto(self.base + path)
        assert response.status == 200, (path, response.status)
        self.check()


def test_citizen_reports_on_a_phone_and_staff_work_it_to_fixed(browser, live, tmp_path):
    base = live.removesuffix("/open311/v2")
    photo = tmp_path / "IMG_20261127_101500.jpg"
    photo.write_bytes(phone_photo_with_gps())

    # --- the citizen files the report -----------------------------------------------------------
    citizen = Phone(browser, base)
    page = citizen.page
    citizen.goto("/melden")
    page.click("a[href='/melden/ablagerung']")
    page.wait_for_url(base + "/melden/ablagerung")
    citizen.check()
    page.locator("#mm-picker").scroll_into_view_if_needed()
    box = page.locator("#mm-picker").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # a tap in the map's middle
    lat, lon = float(page.input_value("#lat")), float(page.input_value("#lon"))
    assert 51.48 < lat < 51.63 and 6.99 < lon < 7.15, (lat, lon)
    assert "Markierung gesetzt" in page.text_content("#mm-location-status")
    page.select_option("#attr-menge", "mittel")
    page.check("#attr-art-hausmuell")
    page.fill("#description", "Etwa zehn Müllsäcke neben dem Glascontainer.")
    page.set_input_files("#fotos", str(photo))
    page.click("form.mm-form button[type=submit]")
    page.wait_for_url(f"{base}/meldungen/status/*")
    citizen.check()
    tracking = page.url
    assert page.text_content("#mm-current-status").strip() == "Neu"
    follow = page.get_attribute("a:text('Meldung verfolgen')", "href")
    report_id = int(follow.rsplit("/", 1)[1])
    citizen.goto(f"/meldungen/{report_id}")
    assert "Etwa zehn Müllsäcke" in page.text_content("main")
    assert page.locator("main img").count() == 0  # the photo waits for moderation

    # --- staff work the report on their phone ---------------------------------------------------
    staff = Phone(browser, base)
    office = staff.page
    staff.goto("/anmelden")
    office.fill("#username", "city.editor")
    office.fill("#password", PASSWORD)
    office.click("main button[type=submit]")
    office.wait_for_load_state("networkidle")
    staff.goto("/maengelmelder/buero")
    office.click(f"a[href='/maengelmelder/buero/{report_id}']")
    office.wait_for_url(f"{base}/maengelmelder/buero/{report_id}")
    staff.check()
    # the stored photo is a re-encoded JPEG: no EXIF at all, GPS included
    src = office.get_attribute("figure.mm-photos img", "src")
    stored = office.request.get(base + src)
    assert stored.status == 200
    image = Image.open(io.BytesIO(stored.body()))
    assert image.format == "JPEG" and not image.getexif() and "exif" not in image.info
    assert b"DemoCam" not in stored.body() and b"GPS" not in stored.body()
    office.click("figure.mm-photos button[value=ja]")  # approve the photo
    office.wait_for_url(f"{base}/maengelmelder/buero/{report_id}?hinweis=gespeichert")
    for status, text in (("acknowledged", ""), ("in_progress", ""), ("fixed", FIX_NOTE)):
        office.select_option("#status", status)
        office.fill("#status-text", text)
        office.click("text=Status speichern")
        office.wait_for_url(f"{base}/maengelmelder/buero/{report_id}?hinweis=gespeichert")
        staff.check()
    assert "Erledigt (Open311: closed)" in office.text_content("main")

    # --- the citizen opens the tracking link again ----------------------------------------------
    page.goto(tracking)
    citizen.check()
    assert page.text_content("#mm-current-status").strip() == "Erledigt"
    assert FIX_NOTE in page.text_content("#mm-latest-note")
    citizen.goto(f"/meldungen/{report_id}")
    main = page.text_content("main")
    assert (
        "Erledigt" in main and FIX_NOTE in main and "Die zuständige Stelle bearbeitet Ihre Meldung." in main
    )
    assert page.locator("main img").count() == 1  # the approved photo is public now
    assert "Ist der Mangel behoben?" in main

    assert not citizen.problems + staff.problems, "\n".join(citizen.problems + staff.problems)
    assert not citizen.errors + staff.errors, citizen.errors + staff.errors
    assert not citizen.outside + staff.outside, citizen.outside + staff.outside
    for phone in (citizen, staff):
        phone.context.close()
