from django.urls import path

from kadun.evidence import views_bundles

app_name = "evidence"

urlpatterns = [
    path("orders/<str:order_no>/evidence.zip", views_bundles.order_bundle, name="order_bundle"),
    path("orders/<str:order_no>/dossier.pdf", views_bundles.order_dossier, name="order_dossier"),
    path("cases/<str:case_no>/evidence.zip", views_bundles.case_bundle, name="case_bundle"),
    path("evidence/verify.py", views_bundles.verify_script, name="verify_script"),
]
