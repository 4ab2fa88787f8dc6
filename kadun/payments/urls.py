from django.urls import path

from kadun.payments import views

app_name = "payments"
urlpatterns = [
    path("notify/<str:provider>/", views.notify, name="notify"),
    path("payout-notify/<str:provider>/", views.payout_notify, name="payout_notify"),
    path("wechat/<str:out_trade_no>/", views.wechat_native, name="wechat_native"),
    path("sandbox/<str:out_trade_no>/", views.sandbox_pay, name="sandbox_pay"),
]
