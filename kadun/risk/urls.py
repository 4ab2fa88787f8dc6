from django.urls import path

from kadun.risk import views_runaway

app_name = "risk"

urlpatterns = [
    path("staff/runaway/", views_runaway.runaway_home, name="runaway_home"),
    path("staff/runaway/shops/<int:shop_id>/", views_runaway.runaway_shop, name="runaway_shop"),
    path("staff/runaway/shops/<int:shop_id>/freeze/", views_runaway.runaway_freeze, name="runaway_freeze"),
    path("staff/runaway/shops/<int:shop_id>/unfreeze/", views_runaway.runaway_unfreeze, name="runaway_unfreeze"),
    path("staff/runaway/shops/<int:shop_id>/declare/", views_runaway.runaway_declare, name="runaway_declare"),
    path("staff/runaway/shops/<int:shop_id>/report.csv", views_runaway.runaway_report_csv, name="runaway_report_csv"),
]
