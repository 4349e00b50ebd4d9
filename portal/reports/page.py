"""What the reports page shows for a period: the report, its charts and when it was worked out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .charts import Chart, report_charts
from .ranges import DateRange
from .services import Report, cached_report


@dataclass
class ReportPage:
    """No report (dates to correct) unless `report_page` found one."""

    report: Report | None = None
    charts: dict[str, Chart] = field(default_factory=dict)
    computed_at: datetime | None = None

    def context(self) -> dict[str, Any]:
        return {"report": self.report, "charts": self.charts, "computed_at": self.computed_at}


def report_page(period: DateRange, refresh: bool = False) -> ReportPage:
    """The report for `period` from the cache (worked out again when `refresh`), with charts."""
    found = cached_report(period, refresh=refresh)
    return ReportPage(found.report, report_charts(found.report), found.computed_at)
