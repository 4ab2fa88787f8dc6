from django.urls import path

from kadun.insurance import views

app_name = "insurance"

urlpatterns = [
    path("staff/insurance/", views.pool, name="staff_pool"),
]
