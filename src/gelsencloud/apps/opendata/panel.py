"""The open data portal's part of the start page: how many datasets are open and which changed last."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gelsencloud.apps.opendata.models import Dataset
from gelsencloud.core.principal import Classification


def home_context(session: Session) -> dict[str, Any]:
    """Count of public datasets and the five most recently updated ones."""
    public = Dataset.classification == Classification.PUBLIC.value
    newest = session.scalars(
        select(Dataset).where(public).order_by(Dataset.modified.desc(), Dataset.id.desc()).limit(5)
    )
    return {
        "count": session.scalar(select(func.count()).select_from(Dataset).where(public)) or 0,
        "newest": [
            {"name": d.name, "title": d.title, "title_en": d.title_en or d.title, "modified": d.modified}
            for d in newest
        ],
    }
