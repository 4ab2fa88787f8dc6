"""Two workers writing the day's report at once (PostgreSQL): one row, and both finish."""
import pytest

from conftest import together
from kadun.report.models import DailyReport
from kadun.report.services import report_build

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]


def test_two_workers_building_the_same_day_write_one_row():
    for _ in range(5):
        DailyReport.objects.all().delete()

        results = together(report_build, report_build, report_build)

        assert not [r for r in results if isinstance(r, Exception)], results
        assert DailyReport.objects.count() == 1
