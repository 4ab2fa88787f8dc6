"""店铺档案: what each figure of the shop's public record means, in one place. The page, the API
and the code that computes the figures (``services_record``, ``selectors_record``) read the same
settings (kadun/settings/record.py), so the definition shown is the rule applied."""
from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

# The figures in the order the page lists them.
FIGURES = ("age", "confirmed", "bad_rate", "refund_rate", "dispute_rate", "intervention_rate", "response")


def numbers() -> dict:
    s = settings
    return {"days": s.KADUN_RECORD_WINDOW_DAYS, "short": s.KADUN_RECORD_SHORT_DAYS, "bad": s.KADUN_RECORD_BAD_STARS,
            "months": s.KADUN_RECORD_RATING_MONTHS, "delay": s.KADUN_CREDIT_REFRESH_DELAY_SECONDS,
            "hour": (s.KADUN_CREDIT_NIGHTLY_HOUR_UTC + 8) % 24}


def labels() -> dict[str, str]:
    return {
        "age": _("经营时长"), "confirmed": _("成交量"), "bad_rate": _("差评率"), "refund_rate": _("退款率"),
        "dispute_rate": _("纠纷率"), "intervention_rate": _("介入率"), "response": _("商家首次响应"),
    }


def definitions() -> dict[str, str]:
    """Each figure's rule as the page states it (numbers from settings)."""
    n = numbers()
    return {
        "age": _("自开店（店铺创建）之日起的天数，与信用分的经营时长相同。"),
        "confirmed": _("近 %(short)s 天 / 近 %(days)s 天内确认收货的订单数。") % n,
        "bad_rate": _("近 %(days)s 天的评价中 %(bad)s 星及以下的占比（被隐藏的评价也计入：隐藏的是文字，不是评分）。") % n,
        "refund_rate": _("近 %(days)s 天付款的订单中，有任何退款（全额或部分）的订单占比。") % n,
        "dispute_rate": _("近 %(days)s 天发起的售后纠纷涉及的订单数 ÷ 近 %(days)s 天付款的订单数。") % n,
        "intervention_rate": _("近 %(days)s 天发起的纠纷中升级到平台介入的件数 ÷ 近 %(days)s 天付款的订单数。") % n,
        "response": _("近 %(days)s 天的纠纷中，商家第一次回复所用时间的中位数 / P90（从未回复的纠纷不算作快）。") % n,
        "ratings": _("近 %(months)s 个月每月评价的平均星级与条数。") % n,
        "freshness": _(
            "数据在订单确认、全额退款、纠纷结案后约 %(delay)s 秒内更新；"
            "其余变化（新纠纷、部分退款、新评价）最迟在每天 %(hour)s:00（北京时间）的全部重算时计入。"
        ) % n,
    }


def rate(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide by (shown as "—", never as 0 %)."""
    return round(part / whole, 4) if whole else None


def percent_text(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def duration_text(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 3600:
        return _("%(m)s 分钟") % {"m": max(1, round(seconds / 60))}
    return _("%(h)s 小时") % {"h": f"{seconds / 3600:.1f}"}
