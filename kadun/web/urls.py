from django.urls import path

from kadun.web import views, views_account, views_api_keys, views_keys, views_lookup, views_paid, views_pay, views_refunds

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("p/<int:product_id>/", views.product_page, name="product"),
    path("p/<int:product_id>/buy/", views.checkout, name="checkout"),
    path("o/<str:token>/", views.order_open, name="order_open"),
    path("orders/lookup/", views_lookup.lookup, name="lookup"),
    path("orders/mine/", views.my_orders, name="my_orders"),
    path("orders/<str:order_no>/", views.order_page, name="order"),
    path("orders/<str:order_no>/created/", views.order_created, name="order_created"),
    path("orders/<str:order_no>/status/", views.order_status, name="order_status"),
    path("orders/<str:order_no>/keys/<int:key_id>/reveal/", views.reveal, name="reveal"),
    path("orders/<str:order_no>/keys/reveal-all/", views_keys.reveal_all, name="reveal_all"),
    path("orders/<str:order_no>/keys/export/", views_keys.keys_export, name="keys_export"),
    path("orders/<str:order_no>/confirm/", views.confirm, name="confirm"),
    path("orders/<str:order_no>/pay/wallet/", views.pay_wallet, name="pay_wallet"),
    path("orders/<str:order_no>/pay/switch/", views_pay.pay_switch, name="pay_switch"),
    path("orders/<str:order_no>/paid/", views_paid.buyer_says_paid, name="buyer_says_paid"),  # 我已支付
    path("orders/<str:order_no>/leave/", views.order_leave, name="order_leave"),
    path("orders/<str:order_no>/image/", views.delivery_image, name="delivery_image"),
    # refund requests, posted from the order page (the rules and decisions are aftersales')
    path("orders/<str:order_no>/refund/", views_refunds.request_create, name="refund_request"),
    path("orders/<str:order_no>/refund/instant/", views_refunds.instant_refund, name="instant_refund"),
    path("orders/<str:order_no>/keys/<int:key_id>/verify/", views_refunds.verify_key, name="verify_key"),
    path("refunds/<str:request_no>/withdraw/", views_refunds.request_withdraw, name="refund_withdraw"),
    path("messages/", views.inbox, name="inbox"),
    path("account/api-keys/", views_api_keys.api_keys, name="api_keys"),
    path("account/api-keys/<int:key_id>/revoke/", views_api_keys.api_key_revoke, name="api_key_revoke"),
    path("account/close/", views_account.account_close, name="account_close"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("signup/", views.signup, name="signup"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
]
