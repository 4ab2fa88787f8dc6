from django.urls import path
from django.views.generic import RedirectView

from kadun.merchants import views, views_funds, views_onboarding, views_orders

app_name = "merchants"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("open/", views.shop_open, name="open"),
    path("onboarding/", views_onboarding.apply, name="onboarding"),
    path("products/", views.product_list, name="products"),
    path("products/new/", views.product_new, name="product_new"),
    path("products/<int:product_id>/edit/", views.product_edit, name="product_edit"),
    path("products/<int:product_id>/active/", views.product_active, name="product_active"),
    path("products/<int:product_id>/keys/", views.key_import, name="key_import"),
    path("imports/", views.import_batches, name="imports"),
    path("orders/", views_orders.order_list, name="orders"),
    path("orders/<str:order_no>/", views_orders.order_detail, name="order"),
    path("orders/<str:order_no>/accept/", views_orders.order_accept, name="order_accept"),
    path("orders/<str:order_no>/deliver/", views_orders.order_deliver, name="order_deliver"),
    path("orders/<str:order_no>/milestone/", views_orders.order_milestone, name="order_milestone"),
    path("funds/", views_funds.funds, name="funds"),
    path("funds/<str:action>/", views_funds.funds_action, name="funds_action"),
    path("rules/deposit/", views_funds.rules_deposit, name="rules_deposit"),
    path("staff/withdrawals/", views_funds.staff_withdrawals, name="staff_withdrawals"),
    path("staff/withdrawals/<int:withdrawal_id>/<str:action>/", views_funds.staff_withdrawal_action, name="staff_withdrawal_action"),
    path("staff/deposits/", views_funds.staff_deposits, name="staff_deposits"),
    # API keys are the account's, on one page for buyers and merchants alike.
    path("api-keys/", RedirectView.as_view(pattern_name="web:api_keys"), name="api_keys"),
]
