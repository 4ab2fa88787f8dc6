from django.urls import path

from kadun.risk import views_abuse

app_name = "abuse"

urlpatterns = [
    path("rules/buyers/", views_abuse.rules, name="rules"),
    path("account/record/", views_abuse.account_record, name="account_record"),
    path("staff/buyers/contests/", views_abuse.staff_contests, name="staff_contests"),
    path("staff/buyers/contests/<int:contest_id>/answer/", views_abuse.staff_contest_answer, name="staff_contest_answer"),
    path("staff/buyers/<str:buyer_key>/", views_abuse.staff_buyer, name="staff_buyer"),
]
