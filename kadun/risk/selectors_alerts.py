"""Reads for the abnormal-order alert queue (异常订单预警): alerts filtered by kind, status and
assignee; one alert's facts as rows with links; the published rules (from the same settings the
rules read)."""
from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from kadun.orders.selectors import order_numbers
from kadun.risk.models import RiskAlert
from kadun.risk.states import AlertKind, AlertResolution, AlertStatus

ABNORMAL_KINDS = (AlertKind.ORDER_BURST, AlertKind.INVALID_CLAIMS, AlertKind.INVALID_RATE_JUMP, AlertKind.SALES_SPIKE,
                  AlertKind.PRICE_FLASH, AlertKind.LURE_ACROSS_SHOPS)
QUEUE_SIZE = 100


def alert_queue(*, kind: str = "", status: str = "open", assignee_id: int | None = None, unassigned: bool = False, limit: int = QUEUE_SIZE):
    """Alerts for risk staff, newest first. Unknown filter values filter nothing out (an empty page)."""
    alerts = RiskAlert.objects.select_related("shop", "assigned_to", "resolved_by").order_by("-id")
    if kind:
        alerts = alerts.filter(kind=kind)
    if status:
        alerts = alerts.filter(status=status)
    if unassigned:
        alerts = alerts.filter(assigned_to__isnull=True)
    elif assignee_id is not None:
        alerts = alerts.filter(assigned_to_id=assignee_id)
    return alerts[:limit]


def _link(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def alert_links(alert: RiskAlert) -> dict:
    """The orders, products and shops an alert's facts name, each with where staff look at it."""
    details = alert.details or {}
    numbers = order_numbers(details.get("order_ids", []))
    orders = [{"id": i, "order_no": numbers[i], "url": _link("backoffice:order", numbers[i])} for i in details.get("order_ids", []) if i in numbers]
    product_ids = list(details.get("product_ids", [])) + ([details["product_id"]] if details.get("product_id") else [])
    subject, _sep, ident = alert.subject.partition(":")
    if subject == "product" and ident.isdigit():
        product_ids.append(int(ident))
    products = [{"id": p, "url": _link("web:product", p)} for p in dict.fromkeys(product_ids)]
    shop_ids = list(dict.fromkeys(details.get("shop_ids", []) + ([alert.shop_id] if alert.shop_id else [])))
    shops = [{"id": s, "url": _link("risk:runaway_shop", s)} for s in shop_ids]
    facts = [(k, v) for k, v in details.items() if not k.endswith("_ids")]
    return {"orders": orders, "products": products, "shops": shops, "facts": facts,
            "request_ids": details.get("request_ids", []), "flag_ids": details.get("flag_ids", [])}


def published_rules() -> list[dict]:
    """Each rule with its threshold in words, from the settings the rules read."""
    b, c, s = settings.KADUN_ALERT_BURST, settings.KADUN_ALERT_INVALID_CLAIMS, settings.KADUN_ALERT_INVALID_RATE
    d, e, f = settings.KADUN_ALERT_SALES_SPIKE, settings.KADUN_ALERT_PRICE_FLASH, settings.KADUN_ALERT_LURE_SHOPS
    rows = [
        (AlertKind.ORDER_BURST, _("%(m)s 分钟内：同一买家账号或同一游客联系方式下单 ≥ %(n)s 笔，同一设备 ≥ %(dev)s 笔，或同一 IP 地址 ≥ %(ip)s 笔。")
         % {"m": b["minutes"], "n": b["orders"], "dev": b["device_orders"], "ip": b["address_orders"]}),
        (AlertKind.INVALID_CLAIMS, _("%(d)s 天内购买卡密 ≥ %(k)s 张，其中以「卡密无效」申请退款的 ≥ %(p)s%%。")
         % {"d": c["days"], "k": c["min_keys"], "p": c["share_percent"]}),
        (AlertKind.INVALID_RATE_JUMP, _("近 %(h)s 小时某商品或某导入批次被报无效 ≥ %(n)s 张，且占同期售出 ≥ %(f)s%%，并达到其前 %(d)s 天比例的 %(x)s 倍。")
         % {"h": s["recent_hours"], "n": s["min_reports"], "f": s["floor_percent"], "d": s["baseline_days"], "x": s["factor"]}),
        (AlertKind.SALES_SPIKE, _("店铺近 24 小时订单 ≥ %(n)s 笔且达到前 %(d)s 天日均的 %(x)s 倍，其中 ≥ %(p)s%% 来自上架不足 %(new)s 天且无评价的商品。")
         % {"n": d["min_orders"], "d": d["baseline_days"], "x": d["factor"], "p": d["new_share_percent"], "new": d["new_days"]}),
        (AlertKind.PRICE_FLASH, _("商品改价后 %(m)s 分钟内下单 ≥ %(n)s 笔，且达到改价前同样时长内订单数的 %(x)s 倍。")
         % {"m": e["minutes"], "n": e["orders"], "x": e["factor"]}),
        (AlertKind.LURE_ACROSS_SHOPS, _("同一站外联系方式或同一段引流话术 %(d)s 天内在 ≥ %(n)s 个店铺被标记。") % {"d": f["days"], "n": f["shops"]}),
    ]
    return [{"kind": kind.value, "label": str(kind.label), "rule": text} for kind, text in rows]


def filter_choices() -> dict:
    return {"kinds": [(k.value, str(k.label)) for k in AlertKind], "statuses": [(s.value, str(s.label)) for s in AlertStatus],
            "resolutions": [(r.value, str(r.label)) for r in AlertResolution]}
