"""The formula on fixed figures gives the numbers docs/merchants.md documents."""
import pytest

from kadun.reputation.score import Figures, rating_bayesian, score_of

# The worked example of docs/merchants.md, "Credit score (信用分)".
EXAMPLE = Figures(days_open=200, orders=400, confirmed=300, services_due=50, services_on_time=48, seller_fault=2, escalated=8,
                  response_p90_seconds=3 * 3600, warnings=0, breaches=1)


def test_worked_example_gives_the_documented_numbers():
    score, provisional, b = score_of(EXAMPLE)
    points = {k: v["points"] for k, v in b["components"].items()}
    assert points == {"on_time": 192.0, "seller_fault": 187.5, "intervention": 90.0, "first_response": 137.0, "rating": 131.2,
                      "tenure": 57.4}
    assert b["base"] == 795.1
    assert b["deductions"] == {"warnings": 0, "warning_points": 0, "breaches": 1, "breach_points": 10}
    assert (score, provisional) == (785, False)


def test_the_best_record_scores_one_thousand_less_the_rating_prior():
    best = Figures(days_open=400, orders=600, confirmed=600, services_due=10, services_on_time=10, response_p90_seconds=600)
    score, provisional, b = score_of(best)
    assert b["components"]["rating"]["value"] == 0.875  # the prior 4.5 of 5 without reviews
    assert (score, provisional) == (981, False)


@pytest.mark.parametrize("change, delta", [
    ({"services_on_time": 38}, -40),  # 10 of 50 more late: −0.2 × 200
    ({"seller_fault": 4}, -62),  # 0.5 % → 1 % seller fault: 0.75 → 0.5 of 250 (2 % is 0)
    ({"escalated": 12}, -30),  # 介入率 2 % → 3 %: 0.6 → 0.4 of 150
    ({"response_p90_seconds": 24 * 3600}, -137),  # p90 at 24 h: the component is 0
    ({"response_p90_seconds": 3600}, 13),  # p90 at 1 h: full
    ({"ratings": (1,) * 10}, -66),  # ten 1-star reviews: (45 + 10) / 20 = 2.75 → 0.4375 of 150
    ({"confirmed": 500}, 20),  # the volume half full
    ({"warnings": 1}, -100),
    ({"breaches": 3}, -20),
])
def test_each_component_moves_the_score_as_documented(change, delta):
    base, _, _ = score_of(EXAMPLE)
    moved, _, _ = score_of(Figures(**{**EXAMPLE.__dict__, **change}))
    assert moved - base == delta


def test_a_new_shop_is_provisional_and_capped_at_the_new_shop_score(settings):
    score, provisional, b = score_of(Figures(days_open=3))
    assert provisional and b["computed"] == 882 and score == settings.KADUN_CREDIT_NEW_SHOP_SCORE == 700
    _, provisional, _ = score_of(Figures(days_open=100, confirmed=19))
    assert provisional  # fewer than 20 confirmed orders in the window


def test_no_services_is_neutral_and_the_score_is_clamped():
    _, _, b = score_of(Figures(days_open=100, confirmed=50))
    assert b["components"]["on_time"]["value"] == 1.0 and b["components"]["on_time"]["raw"] is None
    score, _, _ = score_of(Figures(days_open=100, confirmed=50, warnings=9))
    assert score == 0


def test_rating_bayesian_over_no_reviews_is_the_prior_and_moves_with_ratings(settings):
    assert rating_bayesian([]) == settings.KADUN_CREDIT_RATING_PRIOR
    assert rating_bayesian([5] * 10) == 4.75
