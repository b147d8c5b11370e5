"""KPI provider of the example application."""

from __future__ import annotations

from gelsencloud.core.plugins import KpiValue


class NoticeKpis:
    """Counts public notices (an example of a KPI computed from platform data)."""

    kpi_ids = ("example-public-notices",)

    def compute(self, session, period_start, period_end) -> list[KpiValue]:
        """Count public notices at the end of the period."""
        from gelsencloud.apps.example.service import count_public

        return [
            KpiValue(
                kpi_id="example-public-notices",
                value=float(count_public(session)),
                period_start=period_start,
                period_end=period_end,
                source="example_notices",
                method="count of public, unarchived notices",
            )
        ]
