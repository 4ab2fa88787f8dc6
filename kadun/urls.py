from django.contrib import admin
from django.urls import include, path

from kadun.api import api

urlpatterns = [
    path("", include("kadun.aftersales.urls")),
    path("", include("kadun.web.urls")),
    path("merchant/", include("kadun.merchants.urls")),
    path("staff/", include("kadun.backoffice.urls")),
    path("pay/", include("kadun.payments.urls")),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
]
