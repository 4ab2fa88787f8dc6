from django.urls import path

from kadun.report import views

app_name = "report"
urlpatterns = [path("", views.report_page, name="report")]
