"""Nobody edits or deletes a review: the model, the queryset and the database (triggers on SQLite
and PostgreSQL) refuse, and the row is as the buyer wrote it afterwards."""
import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from kadun.reputation import services_reviews as reviews
from kadun.reputation.models_reviews import Review, ReviewAudit
from kadun.reputation.tests.test_reviews import confirmed_order

pytestmark = pytest.mark.django_db
REFUSED = (DatabaseError, IntegrityError)


def _review():
    order = confirmed_order()
    return reviews.review_create(order=order, role="buyer", rating=1, text="卡密无效，退款被拒"), order


def _unchanged(review):
    row = Review.objects.get(pk=review.pk)
    assert (row.rating, row.text, row.order_id, row.shop_id, row.buyer_id, row.created_at) == (
        review.rating, review.text, review.order_id, review.shop_id, review.buyer_id, review.created_at)


@pytest.mark.parametrize("field,value", [("rating", 5), ("text", "好评"), ("image", "x"), ("shop_id", None), ("product_id", None),
                                         ("created_at", None), ("buyer_id", None), ("order_id", None)])
def test_the_database_refuses_editing_a_frozen_column(field, value):
    review, order = _review()
    if value is None:
        value = {"shop_id": confirmed_order().shop_id, "product_id": confirmed_order().product_id, "order_id": confirmed_order().pk,
                 "buyer_id": confirmed_order().shop.owner_id, "created_at": review.created_at.replace(year=2020)}[field]
    with pytest.raises(REFUSED), transaction.atomic():
        Review.objects.filter(pk=review.pk).update(**{field: value})
    _unchanged(review)


def test_a_followup_and_a_reply_once_set_cannot_be_changed_or_cleared():
    review, order = _review()
    reviews.review_followup(order=order, role="buyer", text="追评：还是不行")
    reviews.review_reply(review_id=review.pk, shop=order.shop, text="已处理")
    for change in ({"followup_text": "改了"}, {"followup_at": None}, {"reply_text": "换个说法"}, {"reply_at": None}):
        with pytest.raises(REFUSED), transaction.atomic():
            Review.objects.filter(pk=review.pk).update(**change)
    row = Review.objects.get(pk=review.pk)
    assert (row.followup_text, row.reply_text) == ("追评：还是不行", "已处理")


def test_save_and_delete_are_refused_by_the_model_and_the_queryset():
    review, _ = _review()
    review.rating = 5
    with pytest.raises(RuntimeError):
        review.save()
    with pytest.raises(RuntimeError):
        review.delete()
    with pytest.raises(RuntimeError):
        Review.objects.filter(pk=review.pk).delete()
    _unchanged(Review.objects.get(pk=review.pk))


def test_the_database_refuses_delete_on_postgresql_and_audit_edits_everywhere():
    review, _ = _review()
    from conftest import make_user

    audit = reviews.review_hide(review_id=review.pk, staff=make_user(staff_role="admin"), reason="insult", note="x")
    with pytest.raises(REFUSED), transaction.atomic():
        ReviewAudit.objects.filter(pk=audit.pk).update(reason="illegal")
    if connection.vendor == "postgresql":
        with pytest.raises(REFUSED), transaction.atomic(), connection.cursor() as cur:
            cur.execute("DELETE FROM reputation_review WHERE id = %s", [review.pk])
    assert Review.objects.filter(pk=review.pk).exists()
    assert ReviewAudit.objects.get(pk=audit.pk).reason == "insult"


def test_hide_and_unhide_and_keywords_are_the_columns_that_may_change():
    review, order = _review()
    Review.objects.filter(pk=review.pk).update(hidden_reason="illegal")  # through services in real life
    Review.objects.filter(pk=review.pk).update(hidden_reason="")
    _unchanged(review)
