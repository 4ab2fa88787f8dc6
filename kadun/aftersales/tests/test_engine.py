"""The refund engine as a pure function: same facts, same decision, citing the frozen clause."""
import datetime as dt

from kadun.aftersales import engine
from kadun.catalog import policies

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


def _service_facts(*, no_reason_7days: bool, waived: bool, reason: str = "other", days_after_delivery: int = 2) -> engine.Facts:
    rules = policies.validate({"no_reason_7days": no_reason_7days, "refund_window_hours": 24 * 14}, delivery="manual")
    snapshot, _ = policies.snapshot(rules, delivery="manual", policy_version=1)
    return engine.Facts(
        reason=reason, snapshot=snapshot, delivery="manual", status="delivered", amount=5000, refunded=0, unit_price=5000,
        paid_at=NOW - dt.timedelta(days=days_after_delivery, hours=5), delivered_at=NOW - dt.timedelta(days=days_after_delivery),
        no_reason_waived=waived, milestone=0, now=NOW,
    )


def _no(facts: engine.Facts, clause_id: str) -> int:
    return policies.clause_no(facts.snapshot, clause_id)


def test_a_delivered_service_offering_7_days_is_refunded_for_no_reason_as_its_clause_says():
    facts = _service_facts(no_reason_7days=True, waived=False)

    decision = engine.decide(facts)

    assert decision.outcome == "approve" and decision.amount == 5000
    assert decision.clauses == (_no(facts, "no_reason"),)


def test_a_delivered_service_whose_buyer_confirmed_the_exclusion_goes_to_the_merchant():
    facts = _service_facts(no_reason_7days=False, waived=True)

    decision = engine.decide(facts)

    assert decision.outcome == "ask_merchant" and _no(facts, "no_reason") not in decision.clauses


def test_7_days_after_delivery_a_service_goes_to_the_merchant_again():
    decision = engine.decide(_service_facts(no_reason_7days=True, waived=False, days_after_delivery=8))

    assert decision.outcome == "ask_merchant"


def test_not_as_described_on_a_service_offering_7_days_is_still_the_merchants():
    decision = engine.decide(_service_facts(no_reason_7days=True, waived=False, reason="not_as_described"))

    assert decision.outcome == "ask_merchant"


def _key_facts(*, revealed_at: dt.datetime | None, used_checked_at: dt.datetime) -> engine.Facts:
    rules = policies.validate({}, delivery="auto")
    snapshot, _ = policies.snapshot(rules, delivery="auto", policy_version=1)
    return engine.Facts(
        reason="invalid_key", snapshot=snapshot, delivery="auto", status="delivered", amount=800, refunded=0, unit_price=800,
        paid_at=NOW - dt.timedelta(hours=2), delivered_at=NOW - dt.timedelta(hours=2), no_reason_waived=True, milestone=0,
        keys=[engine.KeyFact(id=7, first_revealed_at=revealed_at, active=True)], used_before_reveal={7: used_checked_at},
        evidence_count=1, now=NOW,
    )


def test_a_used_answer_checked_before_the_first_reveal_is_refunded_at_once():
    facts = _key_facts(revealed_at=NOW - dt.timedelta(minutes=30), used_checked_at=NOW - dt.timedelta(minutes=31))

    decision = engine.decide(facts)

    assert decision.outcome == "approve" and decision.amount == 800 and "验货" in decision.explanation


def test_a_used_answer_checked_after_the_first_reveal_is_not_trusted_whatever_the_report_says():
    facts = _key_facts(revealed_at=NOW - dt.timedelta(minutes=30), used_checked_at=NOW - dt.timedelta(minutes=29, seconds=59))

    decision = engine.decide(facts)

    assert decision.outcome == "ask_merchant" and "验货" not in decision.explanation
