"""The open data portal on the start page: the number of open datasets and the recently updated ones."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from gelsencloud.apps.opendata.models import Dataset
from gelsencloud.core.principal import SYSTEM

pytestmark = pytest.mark.usefixtures("backend")


def test_start_page_shows_open_datasets_and_never_internal_ones(client, catalog, db):
    with db.transaction(SYSTEM) as session:
        public = session.scalar(
            select(func.count()).select_from(Dataset).where(Dataset.classification == "public")
        )
        internal = session.scalars(select(Dataset.title).where(Dataset.classification != "public")).all()
        newest = session.scalars(
            select(Dataset.name)
            .where(Dataset.classification == "public")
            .order_by(Dataset.modified.desc(), Dataset.id.desc())
        ).first()
    html = client.get("/").text
    start = html.index('id="od-panel-title"')
    panel = re.sub(r"\s+", " ", html[start : html.index("</section>", start)])
    assert f"{public} Datensätze unter offener Lizenz" in panel
    assert panel.count('href="/daten/') == 5 and f'href="/daten/{newest}"' in panel
    assert internal and not any(title in panel for title in internal)
    assert "datasets under an open licence" in client.get("/?lang=en").text
