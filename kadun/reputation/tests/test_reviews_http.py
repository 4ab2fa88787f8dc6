"""评价 through HTTP: the order page's form, the shop page's list and filters, the merchant's
replies, staff hide / unhide, the API — and no path that edits or deletes a review."""
import pytest
from django.test import Client
from django.urls import reverse

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.orders.release import order_confirm
from kadun.reputation import services_reviews as reviews
from kadun.reputation.models_reviews import Review, ReviewAudit
from kadun.reputation.tests.test_reviews import confirmed_order

pytestmark = pytest.mark.django_db


def _client(user=None):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_registered_buyer_reviews_from_the_order_page():
    buyer = make_user()
    order = confirmed_order(buyer=buyer)
    c = _client(buyer)
    page = c.get(reverse("web:order", args=[order.order_no])).content.decode()
    assert 'id="review-form"' in page
    c.post(reverse("reputation:review_new", args=[order.order_no]), {"rating": "2", "text": "客服不回消息"})
    review = Review.objects.get(order=order)
    assert (review.rating, review.keywords) == (2, ["客服不回"])
    page = c.get(reverse("web:order", args=[order.order_no])).content.decode()
    assert 'id="review-form"' not in page and 'id="followup-form"' in page


def test_guest_reviews_through_the_access_link():
    order, token, _ = buy(make_product(keys=1))
    pay(order)
    order_confirm(order_id=order.pk, actor="guest")
    c = _client()
    c.get(reverse("web:order_open", args=[token]))
    c.post(reverse("reputation:review_new", args=[order.order_no]), {"rating": "5", "text": "好"})
    assert Review.objects.get(order=order).rating == 5


def test_merchant_and_strangers_cannot_review_through_the_page():
    shop = make_shop()
    order = confirmed_order(make_product(shop, keys=1), buyer=make_user())
    assert _client(make_user()).post(reverse("reputation:review_new", args=[order.order_no]), {"rating": "1"}).status_code == 404
    _client(shop.owner).post(reverse("reputation:review_new", args=[order.order_no]), {"rating": "5", "text": "刷"})
    assert not Review.objects.exists()


def test_shop_page_lists_reviews_newest_first_with_filters_and_keyword_counts():
    shop = make_shop()
    product = make_product(shop, keys=4)
    for stars, text in ((5, "很好"), (1, "卡密无效"), (2, "卡密失效"), (4, "不错")):
        reviews.review_create(order=confirmed_order(product), role="buyer", rating=stars, text=text)
    url = reverse("merchants:shop_public", args=[shop.pk]) if _has("merchants:shop_public") else f"/s/{shop.pk}/"
    page = _client().get(url).content.decode()
    assert "近90天评价中「卡密无效」出现 2 次" in page
    at = [page.index(f'class="review-text">{t}<') for t in ("不错", "卡密失效", "卡密无效", "很好")]
    assert at == sorted(at)
    bad = _client().get(url + "?reviews=bad").content.decode()
    assert 'class="review-text">卡密无效<' in bad and 'class="review-text">不错<' not in bad


def _has(name):
    from django.urls import NoReverseMatch

    try:
        reverse(name, args=[1])
        return True
    except NoReverseMatch:
        return False


def test_hidden_review_keeps_its_place_with_the_reason():
    shop = make_shop()
    product = make_product(shop, keys=3)
    a = reviews.review_create(order=confirmed_order(product), role="buyer", rating=3, text="第一条")
    b = reviews.review_create(order=confirmed_order(product), role="buyer", rating=1, text="卖家手机13912345678")
    c = reviews.review_create(order=confirmed_order(product), role="buyer", rating=4, text="第三条")
    staff = _client(make_user(staff_role="support"))
    staff.post(reverse("reputation:staff_hide", args=[b.pk]), {"action": "hide", "reason": "personal_data", "note": "手机号"})
    page = _client().get(f"/s/{shop.pk}/").content.decode()
    assert "13912345678" not in page and "该评价因含个人信息已被隐藏" in page
    assert page.index("第三条") < page.index("该评价因含个人信息已被隐藏") < page.index("第一条")
    assert ReviewAudit.objects.get(review=b).staff.staff_role == "support"
    assert a.pk and c.pk


def test_merchant_replies_once_from_the_merchant_list():
    shop = make_shop()
    review = reviews.review_create(order=confirmed_order(make_product(shop, keys=1)), role="buyer", rating=2, text="慢")
    c = _client(shop.owner)
    assert "慢" in c.get(reverse("reputation:merchant_reviews")).content.decode()
    c.post(reverse("reputation:merchant_reply", args=[review.pk]), {"text": "抱歉"})
    c.post(reverse("reputation:merchant_reply", args=[review.pk]), {"text": "改口"})
    assert Review.objects.get(pk=review.pk).reply_text == "抱歉"


def test_no_page_or_api_path_edits_or_deletes_a_review():
    """Every method on every review URL, by the merchant, staff (admin) and the buyer: the review
    is as written afterwards, and no merchant control to sort, pin or filter exists."""
    shop = make_shop()
    buyer = make_user()
    order = confirmed_order(make_product(shop, keys=1), buyer=buyer)
    review = reviews.review_create(order=order, role="buyer", rating=1, text="卡密无效")
    urls = [f"/api/orders/{order.order_no}/review", f"/api/merchant/reviews/{review.pk}/reply", f"/api/shops/{shop.pk}/reviews",
            f"/api/staff/reviews/{review.pk}/hide", f"/api/staff/reviews/{review.pk}/unhide", f"/api/reviews/{review.pk}",
            f"/api/merchant/reviews/{review.pk}", reverse("reputation:review_new", args=[order.order_no]),
            reverse("reputation:staff_review", args=[review.pk]), reverse("reputation:merchant_reviews")]
    body = {"rating": 5, "text": "改成好评"}
    for user in (shop.owner, make_user(staff_role="admin"), buyer):
        c = _client(user)
        for url in urls:
            for method in ("put", "patch", "delete"):
                getattr(c, method)(url, body, content_type="application/json")
            c.post(url, body, content_type="application/json")
    row = Review.objects.get(pk=review.pk)
    assert (row.rating, row.text) == (1, "卡密无效")
    page = _client(shop.owner).get(reverse("reputation:merchant_reviews")).content.decode()
    assert "sort" not in page and "pin" not in page and "置顶</button>" not in page


def test_api_review_followup_reply_list_and_staff_hide():
    shop = make_shop()
    order, token, _ = buy(make_product(shop, keys=1))
    pay(order)
    order_confirm(order_id=order.pk, actor="guest")
    guest = Client(headers={"X-Order-Token": token})
    r = guest.post(f"/api/orders/{order.order_no}/review", {"rating": 2, "text": "不发货"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["keywords"] == ["不发货"]
    assert guest.post(f"/api/orders/{order.order_no}/review", {"rating": 5}, content_type="application/json").json()["code"] == "already_reviewed"
    assert guest.post(f"/api/orders/{order.order_no}/review/followup", {"text": "后来发了"}, content_type="application/json").status_code == 200
    rid = r.json()["id"]
    m = _client(shop.owner)
    assert m.post(f"/api/merchant/reviews/{rid}/reply", {"text": "抱歉"}, content_type="application/json").status_code == 200
    assert m.post(f"/api/merchant/reviews/{rid}/reply", {"text": "再说"}, content_type="application/json").status_code == 409
    assert m.post(f"/api/staff/reviews/{rid}/hide", {"reason": "insult"}, content_type="application/json").status_code == 403
    s = _client(make_user(staff_role="risk"))
    assert s.post(f"/api/staff/reviews/{rid}/hide", {"reason": "insult"}, content_type="application/json").status_code == 201
    listing = _client().get(f"/api/shops/{shop.pk}/reviews?filter=bad").json()
    item = listing["items"][0]
    assert (item["text"], item["hidden_notice"], item["rating"]) == ("", "该评价因辱骂已被隐藏", 2)
    assert listing["keyword_counts"] == [{"phrase": "不发货", "count": 1}]
