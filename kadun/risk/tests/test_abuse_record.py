"""The buyer abuse record: the threshold crosses exactly where the rules page says, linking
across accounts that share a device (and not through a shared IP or a shared terminal), the
facts the refund and case hooks record."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import override_settings

from conftest import make_product, make_user
from kadun.core import clock
from kadun.evidence import services as evidence_log
from kadun.inventory.models import VerificationReport
from kadun.risk.selectors_abuse import record_of, record_of_order
from kadun.risk.states import AbuseFactKind as K
from kadun.risk.tests.abuse_helpers import claim_after_reveal, facts, key_of, paid

pytestmark = pytest.mark.django_db


@override_settings(KADUN_ABUSE_MIN_REQUESTS=5, KADUN_ABUSE_BAD_SHARE_PCT=50)
def test_requests_flag_at_n_not_at_n_minus_one():
    order = paid(buyer=make_user())
    facts(order, K.REQUEST, 4)
    facts(order, K.AGAINST, 4)
    assert record_of_order(order).flagged is False  # 4 requests < 5, though 100% refused
    facts(order, K.REQUEST, 1, prefix="fifth")
    record = record_of_order(order)
    assert (record.requests, record.against, record.flagged) == (5, 4, True)


@override_settings(KADUN_ABUSE_MIN_REQUESTS=5, KADUN_ABUSE_BAD_SHARE_PCT=50)
def test_bad_share_flags_at_exactly_the_published_percent():
    order = paid(buyer=make_user())
    facts(order, K.REQUEST, 6)
    facts(order, K.AGAINST, 2)
    assert record_of_order(order).flagged is False  # 2/6 = 33%
    facts(order, K.INVALID_ON_VALID, 1)
    record = record_of_order(order)
    assert record.bad_share_pct == 50 and record.flagged is True  # 3/6 = 50%


@override_settings(KADUN_ABUSE_UNREPORTED_CLAIMS=3)
def test_unreported_claims_flag_at_k():
    order = paid(buyer=make_user())
    facts(order, K.UNREPORTED, 2)
    assert record_of_order(order).flagged is False
    facts(order, K.UNREPORTED, 1, prefix="third")
    assert record_of_order(order).flagged is True


@override_settings(KADUN_ABUSE_UNREPORTED_CLAIMS=3)
def test_facts_older_than_the_window_do_not_count():
    order = paid(buyer=make_user())
    facts(order, K.UNREPORTED, 3)
    clock.advance(dt.timedelta(days=91))
    assert record_of_order(order).flagged is False


@override_settings(KADUN_ABUSE_UNREPORTED_CLAIMS=3)
def test_accounts_sharing_a_device_share_one_record():
    alice, bob = make_user(), make_user()
    for _ in range(2):
        claim_after_reveal(paid(buyer=alice, product=make_product(keys=2)), device="dev-1", ip="203.0.113.9")
    claim_after_reveal(paid(buyer=bob, product=make_product(keys=2)), device="dev-1", ip="203.0.113.9")
    assert record_of(f"user:{alice.pk}").unreported == 3
    assert record_of(f"user:{bob.pk}").flagged is True
    assert f"user:{alice.pk}" in record_of(f"user:{bob.pk}").keys


@override_settings(KADUN_ABUSE_UNREPORTED_CLAIMS=2)
def test_a_shared_ip_alone_does_not_link():
    alice, bob = make_user(), make_user()
    claim_after_reveal(paid(buyer=alice, product=make_product(keys=2)), device="dev-a", ip="203.0.113.9")
    claim_after_reveal(paid(buyer=alice, product=make_product(keys=2)), device="dev-a", ip="203.0.113.9")
    claim_after_reveal(paid(buyer=bob, product=make_product(keys=2)), device="dev-b", ip="203.0.113.9")
    assert record_of(f"user:{alice.pk}").flagged is True
    bob_record = record_of(f"user:{bob.pk}")
    assert bob_record.keys == (f"user:{bob.pk}",) and bob_record.flagged is False


@override_settings(KADUN_ABUSE_LINK_MAX_KEYS=2, KADUN_ABUSE_UNREPORTED_CLAIMS=2)
def test_a_device_shared_by_more_buyers_than_the_limit_links_nobody():
    users = [make_user() for _ in range(3)]
    for u in users:
        claim_after_reveal(paid(buyer=u, product=make_product(keys=2)), device="cafe-pc")
    assert record_of(f"user:{users[0].pk}").keys == (f"user:{users[0].pk}",)


def test_a_guest_and_an_account_with_the_same_contact_are_linked():
    user = make_user(contact="same@example.com")
    claim_after_reveal(paid(buyer=user, product=make_product(keys=2)))
    guest_order = paid(product=make_product(keys=2), contact="Same@Example.com")
    claim_after_reveal(guest_order)
    assert f"user:{user.pk}" in record_of_order(guest_order).keys


def test_claim_after_reveal_on_a_product_nobody_else_reported_is_counted():
    order = paid(buyer=make_user())
    claim_after_reveal(order)
    record = record_of_order(order)
    assert (record.requests, record.unreported, record.invalid_on_valid) == (1, 1, 0)


def test_claim_on_a_product_others_reported_is_not_unreported():
    product = make_product(keys=5)
    claim_after_reveal(paid(buyer=make_user(), product=product))
    second = paid(buyer=make_user(), product=product)
    claim_after_reveal(second)
    assert record_of_order(second).unreported == 0


def test_invalid_claim_on_a_key_a_checker_confirmed_valid_is_counted():
    order = paid(buyer=make_user())
    with transaction.atomic():
        report = VerificationReport.objects.create(order=order, key=key_of(order), checker="http", result="valid", raw="{}",
                                                   checked_at=clock.now(), before_first_reveal=True)
        evidence_log.record("inventory.verification", report)
    claim_after_reveal(order)
    record = record_of_order(order)
    assert (record.invalid_on_valid, record.unreported) == (1, 0)


def test_a_case_decided_against_the_buyer_is_counted():
    from kadun.cases import review, services
    from kadun.cases.models import Case
    from kadun.cases.tests.helpers import later, staff

    order = paid(buyer=make_user())
    case = services.case_open(order=order, kind="refund_dispute", statement="与描述不符，申请全额退款", remedy="full_refund")
    later(hours=48, seconds=1)
    review.case_decide(case=Case.objects.get(pk=case.pk), arbitrator=staff("arbitrator"), remedy="rejected", fault="buyer",
                       reasons="卡密经验货有效，买家已使用", clauses=[1])
    assert record_of_order(order).against == 0  # not yet: the appeal window is open
    later(days=3, seconds=1)
    assert record_of_order(order).against == 1


def test_reading_a_record_is_two_queries_however_many_facts_and_links(django_assert_num_queries):
    alice, bob = make_user(), make_user()
    for u in (alice, bob):
        claim_after_reveal(paid(buyer=u, product=make_product(keys=2)), device="dev-shared", ip="203.0.113.9")
    order = paid(buyer=alice)
    facts(order, K.REQUEST, 20)
    with django_assert_num_queries(2):
        record = record_of(f"user:{alice.pk}")
    assert record.requests == 22 and len(record.keys) == 2
