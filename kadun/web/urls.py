from django.urls import path

from kadun.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("orders/<str:order_no>/", views.order_page, name="order"),
    path("login/", views.home, name="login"),
]
