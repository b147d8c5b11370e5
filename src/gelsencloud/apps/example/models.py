"""Tables of the example application."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gelsencloud.core.db import Base
from gelsencloud.core.models import Classified, Timestamp, utcnow


class Notice(Classified, Base):
    """A notice from a tenant to the public or to its own staff."""

    __tablename__ = "example_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)
    valid_until: Mapped[datetime | None] = mapped_column(Timestamp)
    archived: Mapped[bool] = mapped_column(default=False, nullable=False)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Notice:
        """Build a notice carrying ``marker`` for the isolation test."""
        return cls(tenant_id=tenant_id, classification=classification, title=marker, body=marker)
