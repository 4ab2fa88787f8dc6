from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffRole(models.TextChoices):
    NONE = "", _("—")
    SUPPORT = "support", _("客服")
    ARBITRATOR = "arbitrator", _("仲裁员")
    RISK = "risk", _("风控")
    ADMIN = "admin", _("管理员")


class ApiScope(models.TextChoices):
    """What an API key may do. A ``:read`` scope allows only the reading (GET) endpoints of its
    side. Keys made before scopes existed were migrated to ``merchant``."""

    BUYER = "buyer", _("买家（下单、查看订单与卡密、申请退款）")
    BUYER_READ = "buyer:read", _("买家（只读）")
    MERCHANT = "merchant", _("商家（店铺、商品、卡密导入、订单、余额、退款处理）")
    MERCHANT_READ = "merchant:read", _("商家（只读）")


BUYER_SCOPES = (ApiScope.BUYER.value, ApiScope.BUYER_READ.value)
MERCHANT_SCOPES = (ApiScope.MERCHANT.value, ApiScope.MERCHANT_READ.value)

# Short names for lists (the key list on the merchant page).
SCOPE_SHORT = {"buyer": _("买家"), "buyer:read": _("买家（只读）"), "merchant": _("商家"), "merchant:read": _("商家（只读）")}
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def scope_roles(scopes) -> frozenset[str]:
    """The roles a key with ``scopes`` may act in on an order: ``buyer`` (buyer / buyer:read)
    and ``merchant`` (merchant / merchant:read). Never staff: staff work on the website."""
    return frozenset(s.split(":", 1)[0] for s in scopes or () if s.split(":", 1)[0] in ("buyer", "merchant"))


def scopes_allow(scopes, needed: str, method: str) -> bool:
    """Does a key with ``scopes`` pass an endpoint of side ``needed`` (buyer / merchant) called
    with ``method``? The full scope allows everything on its side, ``:read`` only safe methods."""
    return needed in scopes or (method.upper() in SAFE_METHODS and f"{needed}:read" in scopes)
