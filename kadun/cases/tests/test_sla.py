"""The platform's own SLA (普通咨询 10 分钟内回复, 售后纠纷 30 分钟内介入, 复杂问题 24 小时内给出处理方案):
breaches recorded once by the sweeper, pauses while a party is asked for evidence, support hours,
and the share met over 7 and 30 days as the SLA page shows it."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from kadun.cases import review, selectors, services, sla, thread
from kadun.cases.models import CaseEvent, SlaClock
from kadun.cases.states import Party
from kadun.cases.tests.helpers import delivered_order, later, staff
from kadun.core import clock

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def inquiry(priority="normal"):
    order = delivered_order()
    return services.case_open(order=order, kind="inquiry", statement="请问这张卡怎么兑换？", author=order.buyer, priority=priority)


def breaches(case, target):
    return CaseEvent.objects.filter(case=case, kind="sla_breach", data__target=target).count()


def test_a_breach_is_recorded_once_when_the_clock_passes_the_target():
    case = inquiry()
    later(minutes=9, seconds=59)
    assert breaches(case, "first_response") == 0
    later(seconds=2)
    assert breaches(case, "first_response") == 1
    later(minutes=30)
    later(hours=1)
    assert breaches(case, "first_response") == 1
    clock_row = SlaClock.objects.get(case=case, target="first_response")
    assert clock_row.breached_at is not None and clock_row.met_at is None
    event = CaseEvent.objects.get(case=case, kind="sla_breach")
    assert event.staff_only
    assert event not in selectors.timeline(case, role=selectors.BUYER)


def test_a_high_priority_case_breaches_at_half_the_target():
    case = inquiry(priority="high")
    later(minutes=5, seconds=1)
    assert breaches(case, "first_response") == 1


def test_a_staff_reply_in_time_meets_the_target_and_nothing_is_breached():
    case = inquiry()
    later(minutes=8)
    thread.message_post(order=case.order, party=Party.STAFF, author=staff("support"), body="您好，请在官网兑换")
    later(minutes=30)
    assert breaches(case, "first_response") == 0
    assert SlaClock.objects.get(case=case, target="first_response").met_at is not None


def test_a_clock_paused_for_evidence_does_not_breach_and_resumes_with_the_time_left():
    case = inquiry()
    later(hours=1)
    review.evidence_request(case=case, staff=staff("support"), party=Party.BUYER, text="请提供兑换失败的截图", hours=72)
    resolution = SlaClock.objects.get(case=case, target="resolution")
    assert resolution.paused_since is not None and resolution.remaining_seconds == pytest.approx(23 * 3600, abs=2)
    later(hours=30)  # the original due time (24 h) passes while paused
    assert breaches(case, "resolution") == 0
    thread.message_post(order=case.order, party=Party.BUYER, author=case.order.buyer, body="截图已上传，提示兑换码无效")
    resolution.refresh_from_db()
    assert resolution.paused_since is None
    assert (resolution.due_at - clock.now()).total_seconds() == pytest.approx(23 * 3600, abs=2)
    later(hours=22, minutes=59)
    assert breaches(case, "resolution") == 0
    later(minutes=2)
    assert breaches(case, "resolution") == 1


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("start", "minutes", "due"), [
    (_at(2, 12), 10, _at(2, 12, 10)),          # inside the hours
    (_at(2, 20, 50), 10, _at(2, 21)),          # ends exactly at closing
    (_at(2, 20, 55), 10, _at(3, 9, 5)),        # 5 minutes tonight, 5 tomorrow morning
    (_at(2, 3), 10, _at(2, 9, 10)),            # before opening: counts from 09:00
    (_at(2, 22), 30, _at(3, 9, 30)),           # after closing: counts from tomorrow 09:00
    (_at(2, 12), 24 * 60, _at(4, 12)),         # 24 h of support time: 9 h + 12 h + 3 h
])
def test_support_hours_move_due_times_across_the_night(settings, start, minutes, due):
    settings.KADUN_SUPPORT_HOURS = "09:00-21:00"
    settings.KADUN_SUPPORT_TZ = "Asia/Shanghai"
    assert sla.support_add(start, minutes * 60) == due
    assert sla.support_seconds(start, due) == minutes * 60


@pytest.mark.parametrize(("start", "end", "seconds"), [
    (_at(2, 20), _at(3, 10), 2 * 3600),        # 20:00–21:00 and 09:00–10:00
    (_at(2, 21, 30), _at(3, 8, 59), 0),        # the night counts nothing
    (_at(3, 10), _at(2, 10), 0),               # end before start
])
def test_support_seconds_count_only_the_hours(settings, start, end, seconds):
    settings.KADUN_SUPPORT_HOURS = "09:00-21:00"
    settings.KADUN_SUPPORT_TZ = "Asia/Shanghai"
    assert sla.support_seconds(start, end) == seconds


def test_without_support_hours_the_clock_runs_around_the_clock(settings):
    settings.KADUN_SUPPORT_HOURS = ""
    assert sla.support_add(_at(2, 23), 600) == _at(2, 23, 10)


def test_a_case_reaching_the_platform_at_night_is_due_the_next_morning(settings):
    settings.KADUN_SUPPORT_HOURS = "09:00-21:00"
    settings.KADUN_SUPPORT_TZ = "Asia/Shanghai"
    now = clock.now().astimezone(SHANGHAI)
    evening = now.replace(hour=20, minute=55, second=0, microsecond=0)
    clock.advance(evening - now if evening > now else evening + dt.timedelta(days=1) - now)
    case = inquiry()
    due = SlaClock.objects.get(case=case, target="first_response").due_at.astimezone(SHANGHAI)
    assert due.date() == clock.now().astimezone(SHANGHAI).date() + dt.timedelta(days=1)
    assert (due.hour, due.minute) == (9, 5)


def _share(body: str, target: str, kind: str) -> list[str]:
    row = re.search(rf'<tr data-target="{target}" data-kind="{kind}".*?</tr>', body, re.S).group(0)
    return [re.sub(r"\s+", " ", cell).strip() for cell in re.findall(r'data-days="\d+">(.*?)</td>', row, re.S)]


def test_the_sla_page_shows_the_share_met_over_7_and_30_days(client):
    support = staff("support")
    old = inquiry()  # 10 days ago, answered in time
    thread.message_post(order=old.order, party=Party.STAFF, author=support, body="您好，请在官网兑换")
    later(days=10)
    answered = [inquiry(), inquiry()]
    missed = inquiry()
    later(minutes=5)
    for case in answered:
        thread.message_post(order=case.order, party=Party.STAFF, author=support, body="您好，请在官网兑换")
    later(minutes=6)  # the third one's 10 minutes pass
    assert breaches(missed, "first_response") == 1
    client.force_login(staff("risk"), backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("cases:staff_sla"))
    assert response.status_code == 200
    body = response.content.decode()
    assert _share(body, "first_response", "inquiry") == ["2 / 3（66.7 %）", "3 / 4（75.0 %）"]
    assert _share(body, "first_response", "all") == ["2 / 3（66.7 %）", "3 / 4（75.0 %）"]
    assert missed.case_no in body.split('id="sla-breaches"')[1]
    targets = body.split('id="sla-targets"')[1].split("</table>")[0]
    assert "10 分钟（紧急 5 分钟）" in targets and "30 分钟（紧急 15 分钟）" in targets and "24 小时（紧急 12 小时）" in targets
    assert "全天 24 小时" in body


def test_the_sla_page_names_the_support_hours(client, settings):
    settings.KADUN_SUPPORT_HOURS = "09:00-21:00"
    client.force_login(staff("support"), backend="django.contrib.auth.backends.ModelBackend")
    body = client.get(reverse("cases:staff_sla")).content.decode()
    assert "每天 09:00-21:00（Asia/Shanghai），时段外不计时" in body


def test_the_stored_due_time_follows_the_running_clocks():
    import datetime as dt

    from kadun.cases import review, services, thread
    from kadun.cases.models import Case
    from kadun.cases.tests.helpers import delivered_order, staff
    from kadun.core import clock

    order = delivered_order()
    case = services.case_open(order=order, kind="complaint", statement="商家态度恶劣，辱骂买家")
    opened = Case.objects.get(pk=case.pk).platform_since

    def due_in(expected):  # the wall clock runs on under the test clock's offset: to the second
        return abs((Case.objects.get(pk=case.pk).sla_due_at - opened) - expected) < dt.timedelta(seconds=2)

    assert due_in(dt.timedelta(minutes=30))  # first response
    support = staff("support")
    thread.message_post(order=order, party="staff", author=support, body="您好，平台已介入")
    assert due_in(dt.timedelta(hours=24))  # resolution
    review.evidence_request(case=Case.objects.get(pk=case.pk), staff=support, party="merchant", text="请提供聊天记录原文")
    assert Case.objects.get(pk=case.pk).sla_due_at is None  # paused while the merchant is asked
    clock.advance(dt.timedelta(hours=2))
    thread.message_post(order=order, party="merchant", author=order.shop.owner, body="聊天记录截图如下")
    assert due_in(dt.timedelta(hours=26))  # resumed with the time left
