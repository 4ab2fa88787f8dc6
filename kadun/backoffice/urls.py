from django.urls import path

from kadun.backoffice import views

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    path("orders/<str:order_no>/", views.order_detail, name="order"),
    path("ledger-check/", views.ledger_check, name="ledger_check"),
]
