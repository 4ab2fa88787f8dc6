from django.conf import settings


def site(request):
    user = getattr(request, "user", None)
    shop = None
    if user is not None and user.is_authenticated:
        shop = getattr(user, "shop", None) if hasattr(user, "shop") else None
    return {"site_name": "卡盾 kadun", "current_shop": shop, "sandbox_enabled": True, "SITE_URL": settings.SITE_URL}
