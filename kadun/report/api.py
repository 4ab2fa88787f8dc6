"""GET /api/report: the platform's public transparency report (docs/report.md)."""
import datetime as dt
from typing import Optional

from ninja import Field, Router, Schema

from kadun.accounts.api_auth import OPTIONAL_AUTH, PUBLIC_AUTH
from kadun.core.api_errors import errors
from kadun.core.errors import NotFound
from kadun.report.selectors import report_of

router = Router(tags=["report"], auth=PUBLIC_AUTH)


class PlatformReportOut(Schema):
    day: dt.date = Field(description="北京时间日期")
    computed_at: dt.datetime
    figures: dict = Field(description="last_30_days / all_time：refunds（按路径：count、amount 分、median_seconds、p90_seconds）、"
                                      "case_outcomes、sla、decisions、insurance；见 docs/report.md")


class ReportNotFound(NotFound):
    code = "report_not_found"
    message = "该日没有透明度报告。"


@router.get("/report", response={200: PlatformReportOut, **errors(401, 404, 422)}, openapi_extra=OPTIONAL_AUTH, summary="平台透明度报告",
            description="每日生成一次；不带 day 为最新一期。")
def report(request, day: Optional[dt.date] = None):
    row = report_of(day)
    if row is None:
        raise ReportNotFound()
    return {"day": row.day, "computed_at": row.computed_at, "figures": row.figures}
