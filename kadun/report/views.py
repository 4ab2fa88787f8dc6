"""/report/: the platform's public transparency report (平台透明度报告), one row read."""
import datetime as dt

from django.http import Http404
from django.shortcuts import render

from kadun.report.figures import PATHS
from kadun.report.selectors import report_of


def report_page(request):
    day = None
    if request.GET.get("day"):
        try:
            day = dt.date.fromisoformat(request.GET["day"][:10])
        except ValueError:
            raise Http404 from None
    row = report_of(day)
    if row is None and day is not None:
        raise Http404
    windows = []
    if row is not None:
        for key in ("last_30_days", "all_time"):
            data = row.figures[key]
            refunds = [{"path": p, **data["refunds"][p]} for p in PATHS if data["refunds"][p]["count"] or p != "other"]
            windows.append({"key": key, "refunds": refunds, **{k: data[k] for k in ("case_outcomes", "sla", "decisions")},
                            "insurance": data.get("insurance")})  # rows computed before insurance landed have none
    previous = row.day - dt.timedelta(days=1) if row else None
    return render(request, "report/report.html", {"row": row, "windows": windows, "previous": previous})
