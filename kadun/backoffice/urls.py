from django.urls import path

from kadun.backoffice import views, views_alerts, views_reconcile, views_refunds, views_risk

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    path("orders/<str:order_no>/", views.order_detail, name="order"),
    path("ledger-check/", views.ledger_check, name="ledger_check"),
    path("gateway-refunds/", views_refunds.gateway_refunds, name="gateway_refunds"),
    path("gateway-refunds/<int:refund_id>/<str:action>/", views_refunds.gateway_refund_action, name="gateway_refund_action"),
    path("reconcile/", views_reconcile.runs, name="reconcile_runs"),
    path("reconcile/<int:run_id>/", views_reconcile.run_detail, name="reconcile_run"),
    path("risk/", views_risk.alerts, name="risk"),
    path("risk/<int:alert_id>/", views_risk.alert_detail, name="risk_alert"),
    path("risk/<int:alert_id>/resolve/", views_risk.alert_resolve, name="risk_alert_resolve"),
    path("risk/alerts/", views_alerts.queue, name="risk_alerts"),
    path("risk/<int:alert_id>/assign/", views_alerts.assign, name="risk_alert_assign"),
    path("risk/lures/<int:flag_id>/review/", views_risk.lure_review, name="risk_lure_review"),
]
