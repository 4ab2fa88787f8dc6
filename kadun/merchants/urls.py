from django.urls import path

from kadun.merchants import views

app_name = "merchants"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("orders/<str:order_no>/", views.order_detail, name="order"),
]
