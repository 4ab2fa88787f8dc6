"""Contests at once (threads, PostgreSQL): two risk staff answering one contest — one answer
stands, the other is refused; a buyer submitting twice at once — one open contest."""
from __future__ import annotations

import pytest

from conftest import make_user, together
from kadun.risk import abuse
from kadun.risk.models import AbuseContest

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]


def test_two_staff_answering_one_contest_one_answer_stands():
    buyer = make_user()
    contest = abuse.abuse_contest_open(user=buyer, reason="我认为我的退款记录有误，请复核")
    one, two = make_user(staff_role="risk"), make_user(staff_role="risk")
    results = together(
        lambda: abuse.abuse_contest_answer(contest_id=contest.pk, actor=one, accept=True, note="批次确有问题，采纳"),
        lambda: abuse.abuse_contest_answer(contest_id=contest.pk, actor=two, accept=False, note="验货有效，驳回"),
    )
    won = [r for r in results if isinstance(r, AbuseContest)]
    lost = [r for r in results if isinstance(r, abuse.ContestAnswered)]
    assert len(won) == 1 and len(lost) == 1, results
    contest.refresh_from_db()
    assert (contest.status, contest.answered_by_id) == (won[0].status, won[0].answered_by_id)


def test_two_contests_at_once_leave_one_open():
    buyer = make_user()
    results = together(*[lambda: abuse.abuse_contest_open(user=buyer, reason="我认为我的退款记录有误，请复核")] * 2)
    assert sorted(type(r).__name__ for r in results) == ["AbuseContest", "ContestOpen"], results
    assert AbuseContest.objects.filter(buyer_key=f"user:{buyer.pk}", status="open").count() == 1
