"""Real threads against PostgreSQL: two submissions of a review for one order at once — exactly
one review, the other AlreadyReviewed; two replies at once — one reply."""
import pytest

from conftest import make_product, make_shop, together
from kadun.core.errors import DomainError
from kadun.evidence.models import Entry
from kadun.reputation import services_reviews as reviews
from kadun.reputation.models_reviews import Review
from kadun.reputation.tests.test_reviews import confirmed_order

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]
TRIALS = 5


def _code(fn):
    def run():
        try:
            return fn().pk
        except DomainError as exc:
            return exc.code
    return run


def test_two_reviews_of_one_order_at_once_make_one():
    product = make_product(keys=TRIALS)
    for _ in range(TRIALS):
        order = confirmed_order(product)
        results = together(*[_code(lambda s=s, o=order: reviews.review_create(order=o, role="buyer", rating=s, text=f"{s}星")) for s in (1, 5)])
        assert sorted(map(type, results), key=str) == sorted([int, str], key=str), results
        assert "already_reviewed" in results
        assert Review.objects.filter(order=order).count() == 1
        assert Entry.objects.filter(source="reputation.review", source_id=Review.objects.get(order=order).pk).count() == 1


def test_two_replies_at_once_make_one():
    shop = make_shop()
    product = make_product(shop, keys=TRIALS)
    for _ in range(TRIALS):
        review = reviews.review_create(order=confirmed_order(product), role="buyer", rating=2, text="慢")
        results = together(*[_code(lambda t=t, r=review: reviews.review_reply(review_id=r.pk, shop=shop, text=t)) for t in ("甲", "乙")])
        assert results.count("already_replied") == 1, results
        review.refresh_from_db()
        assert review.reply_text in ("甲", "乙")
