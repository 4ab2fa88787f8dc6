from django.contrib import admin
from django.urls import include, path, re_path

from kadun.api import api, api_not_found

urlpatterns = [
    path("", include("kadun.aftersales.urls")),
    path("", include("kadun.cases.urls")),
    path("", include("kadun.evidence.urls_bundles")),
    path("", include("kadun.risk.urls")),
    path("", include("kadun.risk.urls_abuse")),
    path("", include("kadun.web.urls")),
    path("", include("kadun.evidence.urls_complaints")),
    path("", include("kadun.reputation.urls")),
    path("", include("kadun.merchants.urls_penalties")),
    path("", include("kadun.merchants.urls_onboarding")),
    path("", include("kadun.insurance.urls")),
    path("account/notifications/", include("kadun.notifications.urls")),
    path("merchant/", include("kadun.merchants.urls")),
    path("staff/", include("kadun.backoffice.urls")),
    path("pay/", include("kadun.payments.urls")),
    path("transparency/", include("kadun.evidence.urls")),
    path("report/", include("kadun.report.urls")),  # 平台透明度报告 (not the evidence log above)
    path("api/", api.urls),
    # Anything else under /api/ answers like the API does: JSON {code, message}, not an HTML page.
    re_path(r"^api/", api_not_found),
    path("i18n/", include("django.conf.urls.i18n")),
    path("captcha/", include("captcha.urls")),
    path("django-admin/", admin.site.urls),
]
