"""Labels and durations for the transparency report page."""
from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

PATH_LABELS = {
    "one_click": _("一键退款（按规则即时）"), "by_rule": _("按规则自动退款（商家逾期等）"), "by_merchant": _("商家同意退款"),
    "by_decision": _("平台裁决退款"), "runaway": _("跑路处置退款"), "other": _("其他"),
}


@register.filter
def path_label(code):
    return PATH_LABELS.get(code, code)


@register.filter
def duration(seconds):
    """Seconds as 分钟 / 小时 / 天, or — when there is none."""
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 3600:
        return _("%(n)s 分钟") % {"n": max(0, seconds // 60)}
    if seconds < 86400:
        return _("%(n)s 小时") % {"n": f"{seconds / 3600:.1f}"}
    return _("%(n)s 天") % {"n": f"{seconds / 86400:.1f}"}


@register.filter
def bps_pct(bps):
    return "—" if bps is None else f"{bps / 100:.1f}%"


@register.filter
def case_kind(code):
    from kadun.cases.states import CaseKind

    try:
        return CaseKind(code).label
    except ValueError:
        return code


@register.filter
def case_outcome(code):
    from kadun.cases.states import Outcome

    try:
        return Outcome(code).label
    except ValueError:
        return code


SLA_LABELS = {"first_response": _("首次响应"), "resolution": _("处理完成"), "appeal": _("申诉复核")}


@register.filter
def sla_label(target):
    return SLA_LABELS.get(target, target)
