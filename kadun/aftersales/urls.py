from django.urls import path

from kadun.aftersales import views_evidence, views_merchant, views_rules

app_name = "aftersales"
urlpatterns = [
    # the buyer's refund actions are on the order page: kadun.web.views_refunds
    path("refunds/<str:request_no>/evidence/<int:evidence_id>/", views_evidence.evidence_file, name="evidence_file"),
    # merchant
    path("merchant/refunds/", views_merchant.queue, name="merchant_queue"),
    path("merchant/refunds/<str:request_no>/", views_merchant.request_detail, name="merchant_request"),
    path("merchant/products/<int:product_id>/refund-policy/", views_rules.policy_edit, name="policy_edit"),
    path("merchant/products/<int:product_id>/checker/", views_rules.checker_edit, name="checker_edit"),
]
