from django.urls import path

from kadun.reputation import views, views_reviews

app_name = "reputation"
urlpatterns = [
    path("s/<int:shop_id>/credit/", views.shop_credit_page, name="shop_credit"),
    path("merchant/credit/", views.merchant_credit, name="merchant_credit"),
    path("merchant/credit/contests/", views.contest_new, name="contest_new"),
    path("staff/credit/contests/<int:contest_id>/", views.contest_answer, name="contest_answer"),
    # 评价 (reviews)
    path("orders/<str:order_no>/review/", views_reviews.review_new, name="review_new"),
    path("orders/<str:order_no>/review/followup/", views_reviews.review_followup, name="review_followup"),
    path("reviews/<int:review_id>/image/", views_reviews.review_image, name="review_image"),
    path("merchant/reviews/", views_reviews.merchant_reviews, name="merchant_reviews"),
    path("merchant/reviews/<int:review_id>/reply/", views_reviews.merchant_reply, name="merchant_reply"),
    path("staff/reviews/", views_reviews.staff_reviews, name="staff_reviews"),
    path("staff/reviews/<int:review_id>/", views_reviews.staff_review, name="staff_review"),
    path("staff/reviews/<int:review_id>/hide/", views_reviews.staff_hide, name="staff_hide"),
]
