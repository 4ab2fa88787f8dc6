"""`kadun evidence-check`: clean on an honest history — also after the buyer closed their account
— and loud (exit 1, the row named) when a fact was edited, an entry deleted, a row deleted, an
attachment's file changed, or the tree no longer matches the signed head."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from conftest import buy, make_product, make_user, pay
from kadun.core import clock
from kadun.deadlines.services import deadlines_sweep_all
from kadun.evidence import canonical, check, merkle, privacy
from kadun.evidence.models import Entry
from kadun.evidence.tests.test_sources import media, png  # noqa: F401  (fixture)
from kadun.inventory.models import CardKey, Reveal
from kadun.inventory.services import key_reveal

pytestmark = [pytest.mark.django_db, pytest.mark.evidence_tampered]  # these tests tamper on purpose, and check themselves


def evidence_check() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("evidence_check", stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def history():
    """A buyer who bought, paid, revealed, and had a case decided with a refund."""
    from kadun.cases import review, services
    from kadun.cases.models import Case

    buyer = make_user(email="buyer@example.com", contact="QQ 123456")
    order = pay(buy(make_product(keys=2, price=1000), buyer=buyer, quantity=2)[0])
    key = CardKey.objects.filter(order=order).first()
    key_reveal(order=order, key_id=key.pk, actor="buyer", user=buyer, ip="203.0.113.9", user_agent="Mozilla/5.0 test")
    case = services.case_open(order=order, kind="refund_dispute", statement="与描述不符，申请全额退款", remedy="full_refund", author=buyer)
    clock.advance(dt.timedelta(hours=48, seconds=1))
    deadlines_sweep_all()
    review.case_decide(case=Case.objects.get(pk=case.pk), arbitrator=make_user(staff_role="arbitrator"), remedy="partial_refund",
                       amount=600, fault="merchant", reasons="两个卡密中一个与描述不符，按比例部分退款", clauses=[3])
    return order, buyer, key


def test_an_honest_history_checks_clean(history):
    code, out, err = evidence_check()

    assert code == 0, err
    assert "evidence-check: OK" in out and "checked 1 inventory.reveal" in out and "checked 1 cases.decision" in out


def test_a_reveal_time_edited_in_the_database_is_reported(history):
    order, _, _ = history
    Reveal.objects.filter(order=order).update(at=clock.now() - dt.timedelta(days=3))

    code, _, err = evidence_check()

    reveal = Reveal.objects.get(order=order)
    assert code == 1
    assert f"CHANGED inventory.reveal #{reveal.pk}" in err and "body (at)" in err
    assert "1 finding(s) (1 changed)" in err


def test_a_decision_amount_edited_in_the_database_is_reported(history):
    from kadun.cases.models import CaseDecision

    CaseDecision.objects.all().update(amount=1)  # WriteOnce.save refuses it; a queryset update does not

    code, _, err = evidence_check()

    assert code == 1 and f"CHANGED cases.decision #{CaseDecision.objects.get().pk}" in err and "(amount)" in err


def test_a_deleted_entry_leaves_its_fact_missing(history):
    order, _, _ = history
    entry = Entry.objects.get(kind="key.revealed")
    entry.delete()

    code, _, err = evidence_check()

    assert code == 1 and f"MISSING inventory.reveal #{entry.source_id}" in err


def test_a_deleted_row_leaves_its_entry_without_a_fact(history):
    order, _, _ = history
    reveal = Reveal.objects.get(order=order)
    pk = reveal.pk
    reveal.delete()

    code, _, err = evidence_check()

    assert code == 1 and f"DELETED inventory.reveal #{pk}" in err


def test_an_entry_body_edited_is_reported(history):
    Entry.objects.filter(kind="order.placed").update(body='{"amount":1}')

    code, _, err = evidence_check()

    # The row still matches the logged content hash; the body stored beside it no longer does.
    assert code == 1 and "ENTRY orders.order" in err and "the body no longer hashes to its content hash" in err


def test_an_attachment_file_replaced_is_reported(media):  # noqa: F811
    from kadun.cases import services, thread

    order = pay(buy(make_product(keys=1), buyer=make_user())[0])
    services.case_open(order=order, kind="refund_dispute", statement="与描述不符，申请全额退款", remedy="full_refund", author=order.buyer)
    thread.message_post(order=order, party="buyer", author=order.buyer, body="截图", images=[png()])
    assert evidence_check()[0] == 0
    from kadun.cases.attachments import STAGING
    from kadun.cases.models import CaseAttachment
    from kadun.core import staged_files

    attachment = CaseAttachment.objects.get()
    for name in (attachment.file.name, staged_files.staging_name(attachment.file.name, STAGING)):
        if default_storage.exists(name):
            with default_storage.open(name, "wb") as fh:
                fh.write(b"something else")

    code, _, err = evidence_check()

    assert code == 1 and f"FILE cases.attachment #{attachment.pk}" in err and "no longer hashes" in err


def test_a_closed_account_still_checks_and_its_identity_is_gone(history):
    from kadun.accounts.services import account_anonymise
    from kadun.orders.models import Order

    order, buyer, _ = history
    logged = Entry.objects.get(kind="key.revealed").body

    account_anonymise(user=buyer, actor=buyer)

    buyer.refresh_from_db()
    assert buyer.username == f"已注销用户#{buyer.pk}" and buyer.email == buyer.contact == "" and not buyer.is_active
    assert not buyer.has_usable_password()
    reveal = Reveal.objects.get(order=order)
    assert reveal.ip is None and reveal.user_agent == ""
    assert Order.objects.get(pk=order.pk).amount == 2000  # the transaction record stays
    assert Entry.objects.get(kind="key.revealed").body == logged and privacy.ip("203.0.113.9") in logged
    assert Entry.objects.filter(kind="account.anonymised", subject_id=buyer.pk).exists()
    code, out, err = evidence_check()
    assert code == 0, err


def test_a_closed_account_still_reports_a_tampered_row(history):
    from kadun.accounts.services import account_anonymise

    order, buyer, _ = history
    account_anonymise(user=buyer, actor=buyer)
    Reveal.objects.filter(order=order).update(at=clock.now())

    code, _, err = evidence_check()

    assert code == 1 and "CHANGED inventory.reveal" in err


def test_a_merchant_account_is_not_closed():
    from kadun.accounts.services import account_anonymise
    from kadun.core.errors import DomainError

    product = make_product(keys=1)
    owner = product.shop.owner
    with pytest.raises(DomainError) as refused:
        account_anonymise(user=owner, actor=owner)

    owner.refresh_from_db()
    assert refused.value.code == "merchant_account_not_closable" and owner.is_active and not owner.username.startswith("已注销")


# --- the tree, against a signed head (evtree's sequencer builds them; here, by hand) ------------


def _integrate_all() -> dict:
    leaves = []
    for n, entry in enumerate(Entry.objects.order_by("id")):
        leaf = merkle.leaf_hash(canonical.dumps(entry.leaf_document()))
        Entry.objects.filter(pk=entry.pk).update(leaf_index=n, leaf_hash=leaf.hex(), integrated_at=clock.now())
        leaves.append(leaf)
    return {"tree_size": len(leaves), "root_hash": merkle.InMemoryTree(leaves).root().hex()}


def test_the_tree_over_integrated_entries_matches_the_signed_head(history, monkeypatch):
    head = _integrate_all()
    monkeypatch.setattr(check, "latest_head", lambda: head)

    report = check.evidence_check(chunk=3)  # small chunks: the streamed root is the tree's root

    assert report.ok, report.findings
    assert report.checked["tree"] == head["tree_size"] > 10


def test_an_integrated_entry_edited_breaks_the_tree(history, monkeypatch):
    head = _integrate_all()
    monkeypatch.setattr(check, "latest_head", lambda: head)
    Entry.objects.filter(kind="case.decision").update(kind="case.appeal_decision")

    report = check.evidence_check()

    problems = {f.problem for f in report.findings}
    assert "tree" in problems and "changed" in problems  # the leaf no longer hashes; the row no longer matches


def test_every_size_of_tree_streams_to_the_same_root():
    for n in range(1, 40):
        leaves = [merkle.leaf_hash(bytes([i])) for i in range(n)]
        streamed = check._Root()
        for leaf in leaves:
            streamed.add(leaf)
        assert streamed.root() == merkle.root_of(leaves) == merkle.InMemoryTree(leaves).root()
