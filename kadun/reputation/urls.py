from django.urls import path

from kadun.reputation import views

app_name = "reputation"
urlpatterns = [
    path("s/<int:shop_id>/credit/", views.shop_credit_page, name="shop_credit"),
    path("merchant/credit/", views.merchant_credit, name="merchant_credit"),
    path("merchant/credit/contests/", views.contest_new, name="contest_new"),
    path("staff/credit/contests/<int:contest_id>/", views.contest_answer, name="contest_answer"),
]
