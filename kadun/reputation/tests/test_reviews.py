"""评价 writes: who may review which order, once; the follow-up window; one reply each; staff
hide / unhide with its audit; the score reads the stars."""
import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.core import clock
from kadun.evidence.check import evidence_check
from kadun.orders.release import order_confirm
from kadun.orders.selectors import Viewer, order_access
from kadun.reputation import selectors_reviews as reads
from kadun.reputation import services_reviews as reviews
from kadun.reputation.errors import (
    AlreadyReplied, AlreadyReviewed, FollowupClosed, InvalidReview, InvalidReviewImage, NotReviewable, NotReviewStaff,
    NotTheBuyer, NotTheMerchant,
)
from kadun.reputation.models import ScoreDirty
from kadun.reputation.models_reviews import Review, ReviewAudit
from kadun.reputation.services import review_ratings

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def confirmed_order(product=None, *, buyer=None):
    product = product or make_product(keys=3)
    order = pay(buy(product, buyer=buyer)[0])
    order_confirm(order_id=order.pk, actor="buyer" if buyer else "guest", user=buyer)
    order.refresh_from_db()
    assert order.status == "confirmed"
    return order


def role_of(order, user=None, token=None):
    return order_access(order_no=order.order_no, viewer=Viewer(user=user, token=token))[1]


def test_registered_buyer_reviews_a_confirmed_order_once():
    buyer = make_user()
    order = confirmed_order(buyer=buyer)
    review = reviews.review_create(order=order, role=role_of(order, buyer), rating=5, text="发货很快，卡密可用")
    assert (review.rating, review.buyer_id, review.shop_id) == (5, buyer.pk, order.shop_id)
    with pytest.raises(AlreadyReviewed):
        reviews.review_create(order=order, role="buyer", rating=1, text="改成差评")
    assert Review.objects.get(order=order).rating == 5
    assert ScoreDirty.objects.filter(shop_id=order.shop_id).exists()


def test_guest_with_the_orders_token_reviews_it():
    product = make_product(keys=2)
    order, token, _ = buy(product)
    pay(order)
    order_confirm(order_id=order.pk, actor="guest")
    order.refresh_from_db()
    review = reviews.review_create(order=order, role=role_of(order, token=token), rating=4, text="还行")
    assert review.buyer_id is None and review.rating == 4


def test_other_users_and_the_merchant_cannot_review():
    shop = make_shop()
    buyer = make_user()
    order = confirmed_order(make_product(shop, keys=2), buyer=buyer)
    assert role_of(order, shop.owner) == "merchant"
    with pytest.raises(NotTheBuyer):
        reviews.review_create(order=order, role=role_of(order, shop.owner), rating=5, text="自己刷好评")
    with pytest.raises(Exception):  # noqa: B017 — another buyer does not even see the order
        role_of(order, make_user())
    assert not Review.objects.exists()


def test_unconfirmed_order_cannot_be_reviewed():
    order = pay(buy(make_product(keys=2))[0])
    assert order.status == "delivered"
    with pytest.raises(NotReviewable):
        reviews.review_create(order=order, role="buyer", rating=1, text="还没确认")
    assert not Review.objects.exists()


def _refund(order):
    from kadun.orders.services import order_refund

    order_refund(order_id=order.pk, amount=order.amount, reason="merchant_approved", sources=("delivered", "confirmed"), key=f"t-{order.pk}")
    order.refresh_from_db()
    assert order.status == "refunded"


def test_a_refund_after_confirmation_keeps_the_right_to_review():
    order = confirmed_order()
    _refund(order)
    assert reviews.review_create(order=order, role="buyer", rating=1, text="卡密无效，退款后差评").rating == 1


def test_delivered_then_refunded_before_confirmation_may_be_reviewed():
    order = pay(buy(make_product(keys=2))[0])
    _refund(order)
    assert reviews.review_create(order=order, role="buyer", rating=2, text="卡密已被使用").keywords == ["已被使用"]


@pytest.mark.parametrize("rating,text", [(0, "x"), (6, "x"), ("五", "x"), (3, "a\x00b"), (3, "a\x07b"), (3, "长" * 1001)])
def test_bad_input_is_refused_and_changes_nothing(rating, text):
    order = confirmed_order()
    with pytest.raises(InvalidReview):
        reviews.review_create(order=order, role="buyer", rating=rating, text=text)
    assert not Review.objects.exists()


def test_a_picture_is_checked_by_content():
    order = confirmed_order()
    with pytest.raises(InvalidReviewImage):
        reviews.review_create(order=order, role="buyer", rating=3, text="图", image=SimpleUploadedFile("a.png", b"not a png"))
    review = reviews.review_create(order=order, role="buyer", rating=3, text="图", image=SimpleUploadedFile("a.png", PNG))
    assert review.image.startswith("reviews/") and len(review.image_sha256) == 64


def test_one_followup_within_the_window():
    order = confirmed_order()
    reviews.review_create(order=order, role="buyer", rating=4, text="能用")
    review = reviews.review_followup(order=order, role="buyer", text="用了三天卡密失效了")
    assert review.followup_text == "用了三天卡密失效了" and review.keywords == ["卡密无效"]
    with pytest.raises(FollowupClosed):
        reviews.review_followup(order=order, role="buyer", text="再追一次")
    assert Review.objects.get(pk=review.pk).followup_text == "用了三天卡密失效了"


def test_followup_after_the_window_is_refused():
    order = confirmed_order()
    reviews.review_create(order=order, role="buyer", rating=4, text="能用")
    clock.advance(dt.timedelta(days=31))
    with pytest.raises(FollowupClosed):
        reviews.review_followup(order=order, role="buyer", text="晚了")
    assert Review.objects.get(order=order).followup_at is None


def test_merchant_replies_once_to_each():
    shop = make_shop()
    order = confirmed_order(make_product(shop, keys=2))
    review = reviews.review_create(order=order, role="buyer", rating=2, text="慢")
    with pytest.raises(AlreadyReplied):  # no follow-up yet
        reviews.review_reply(review_id=review.pk, shop=shop, text="谢谢", to_followup=True)
    reviews.review_reply(review_id=review.pk, shop=shop, text="抱歉，已改进")
    with pytest.raises(AlreadyReplied):
        reviews.review_reply(review_id=review.pk, shop=shop, text="改口")
    reviews.review_followup(order=order, role="buyer", text="后来好了")
    reviews.review_reply(review_id=review.pk, shop=shop, text="感谢追评", to_followup=True)
    with pytest.raises(NotTheMerchant):
        reviews.review_reply(review_id=review.pk, shop=make_shop(), text="别家")
    review.refresh_from_db()
    assert (review.reply_text, review.followup_reply_text) == ("抱歉，已改进", "感谢追评")


def test_staff_hide_keeps_the_row_and_writes_an_audit():
    order = confirmed_order()
    review = reviews.review_create(order=order, role="buyer", rating=1, text="商家电话13800000000")
    risk = make_user(staff_role="risk")
    with pytest.raises(NotReviewStaff):
        reviews.review_hide(review_id=review.pk, staff=make_user(staff_role="arbitrator"), reason="personal_data")
    reviews.review_hide(review_id=review.pk, staff=risk, reason="personal_data", note="手机号")
    review.refresh_from_db()
    assert review.hidden_reason == "personal_data" and review.text == "商家电话13800000000"
    assert [r.pk for r in reads.shop_reviews_page(order.shop_id)[0]] == [review.pk]
    reviews.review_unhide(review_id=review.pk, staff=risk, note="误判")
    assert list(ReviewAudit.objects.filter(review=review).values_list("action", "reason")) == [("hide", "personal_data"), ("unhide", "personal_data")]
    assert evidence_check().ok


def test_hidden_reviews_still_count_in_the_rating_unless_unrelated():
    shop = make_shop()
    risk = make_user(staff_role="risk")
    a = reviews.review_create(order=confirmed_order(make_product(shop, keys=1)), role="buyer", rating=1, text="骗子")
    b = reviews.review_create(order=confirmed_order(make_product(shop, keys=1)), role="buyer", rating=5, text="广告")
    reviews.review_hide(review_id=a.pk, staff=risk, reason="insult")
    reviews.review_hide(review_id=b.pk, staff=risk, reason="unrelated")
    assert review_ratings(shop.pk, since=clock.now() - dt.timedelta(days=1)) == [1]
