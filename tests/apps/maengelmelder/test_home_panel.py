"""GE-meldet on the start page: reports of the last week, how many were fixed, the newest ones."""

from __future__ import annotations

import re

import pytest

from gelsencloud.apps.maengelmelder import service as svc
from gelsencloud.core.principal import SYSTEM

pytestmark = pytest.mark.usefixtures("backend")
DUMPING = {
    "service_code": "ablagerung",
    "lat": "51.5160",
    "long": "7.0950",
    "attribute[menge]": "mittel",
    "attribute[art][]": ["hausmuell"],
    "description": "Startseite: Säcke am Wegrand",
}


def _panel(html: str) -> str:
    start = html.index('id="mm-panel-title"')
    return re.sub(r"\s+", " ", html[start : html.index("</section>", start)])


def test_start_page_counts_the_last_week_and_lists_the_newest(client, city_id, db):
    assert "In den letzten 7 Tagen: 0 Meldungen, davon 0 erledigt." in _panel(client.get("/").text)
    ids = []
    for _ in range(3):
        response = client.post("/open311/v2/requests.json", data=DUMPING)
        assert response.status_code == 201, response.text
        ids.append(int(response.json()[0]["service_request_id"]))
    with db.transaction(SYSTEM) as session:
        report = svc.get_report(session, ids[0])
        svc.change_status(session, report, "fixed", note="Abgeholt.", author="Test")
    panel = _panel(client.get("/").text)
    assert "In den letzten 7 Tagen: 3 Meldungen, davon 1 erledigt." in panel
    assert panel.count('href="/meldungen/') == 3 and "Erledigt" in panel
    assert "In the last 7 days: 3 reports, 1 of them fixed." in _panel(client.get("/?lang=en").text)
