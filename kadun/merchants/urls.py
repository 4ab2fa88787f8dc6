from django.urls import path
from django.views.generic import RedirectView

from kadun.merchants import views, views_onboarding, views_orders

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
    # API keys are the account's, on one page for buyers and merchants alike.
    path("api-keys/", RedirectView.as_view(pattern_name="web:api_keys"), name="api_keys"),
]
