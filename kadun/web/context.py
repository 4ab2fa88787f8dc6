from django.conf import settings
from django.utils.functional import SimpleLazyObject


def site(request):
    user = getattr(request, "user", None)
    shop = None
    unread = 0
    if user is not None and user.is_authenticated:
        from kadun.notifications.selectors import unread_count

        shop = getattr(user, "shop", None) if hasattr(user, "shop") else None
        unread = SimpleLazyObject(lambda: unread_count(user=user))  # counted only where a page shows it
    return {"site_name": "卡盾 kadun", "current_shop": shop, "sandbox_enabled": True, "SITE_URL": settings.SITE_URL, "unread_messages": unread}
