"""Public shop pages and rules, and the staff console's 资质审核 (mounted at the site's root)."""
from django.urls import path

from kadun.merchants import views_onboarding, views_public

app_name = "onboarding"
urlpatterns = [
    path("s/<int:shop_id>/", views_public.shop_page, name="shop"),
    path("rules/merchants/", views_public.rules_page, name="rules"),
    path("staff/onboarding/", views_onboarding.queue, name="staff_queue"),
    path("staff/onboarding/<int:application_id>/", views_onboarding.detail, name="staff_detail"),
    path("staff/onboarding/<int:application_id>/approve/", views_onboarding.approve, name="staff_approve"),
    path("staff/onboarding/<int:application_id>/reject/", views_onboarding.reject, name="staff_reject"),
    path("staff/onboarding/<int:application_id>/official/", views_onboarding.official_grant, name="staff_official_grant"),
    path("staff/onboarding/<int:application_id>/official/<int:authorisation_id>/revoke/", views_onboarding.official_revoke,
         name="staff_official_revoke"),
    path("staff/onboarding/files/<int:file_id>/", views_onboarding.file, name="staff_file"),
    path("staff/onboarding/official-files/<int:authorisation_id>/", views_onboarding.official_file, name="staff_official_file"),
]
