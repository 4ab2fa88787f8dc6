from django.urls import path

from kadun.aftersales import views_buyer, views_merchant

app_name = "aftersales"
urlpatterns = [
    # buyer (on the order page)
    path("orders/<str:order_no>/refund/", views_buyer.request_create, name="request_create"),
    path("orders/<str:order_no>/refund/instant/", views_buyer.instant_refund, name="instant_refund"),
    path("orders/<str:order_no>/keys/<int:key_id>/verify/", views_buyer.verify_key, name="verify_key"),
    path("refunds/<str:request_no>/withdraw/", views_buyer.request_withdraw, name="request_withdraw"),
    path("refunds/<str:request_no>/evidence/<int:evidence_id>/", views_buyer.evidence_file, name="evidence_file"),
    # merchant
    path("merchant/refunds/", views_merchant.queue, name="merchant_queue"),
    path("merchant/refunds/<str:request_no>/", views_merchant.request_detail, name="merchant_request"),
    path("merchant/products/<int:product_id>/refund-policy/", views_merchant.policy_edit, name="policy_edit"),
    path("merchant/products/<int:product_id>/checker/", views_merchant.checker_edit, name="checker_edit"),
]
