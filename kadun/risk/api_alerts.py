"""异常订单预警 for risk staff over the API (the website's session only: an API key never carries
a staff role, so a bearer key is 403 ``session_required``; CSRF is enforced on writes). Risk staff
and admins only; other staff 403 ``not_risk_staff``.

GET /staff/alerts?kind=&status=&assignee=me|none|<user id> — the queue; GET /staff/alerts/{id} —
one alert with its facts; POST …/assign {take_over}; POST …/resolve {resolution, note}."""
from __future__ import annotations

from typing import Any, Optional

from ninja import Router, Schema

from kadun.accounts.api_auth import STAFF_SESSION_AUTH, caller_of
from kadun.core.api_errors import errors
from kadun.risk import alerts as alert_services
from kadun.risk import selectors, selectors_alerts
from kadun.risk import services as risk_services
from kadun.risk.errors import NotRiskStaff

router = Router(tags=["risk: alerts"])


class AlertOut(Schema):
    id: int
    kind: str
    kind_label: str
    subject: str
    shop_id: Optional[int] = None
    status: str
    occurrences: int
    created_at: str
    last_seen_at: Optional[str] = None
    assigned_to: Optional[str] = None
    assigned_at: Optional[str] = None
    resolution: str = ""
    resolution_note: str = ""
    resolved_at: Optional[str] = None
    details: dict[str, Any]


class AlertDetailOut(AlertOut):
    links: dict[str, Any]


class AssignIn(Schema):
    take_over: bool = False


class ResolveIn(Schema):
    resolution: str
    note: str = ""


def _risk_user(request):
    user = caller_of(request).user
    if not risk_services.can_resolve(user):
        raise NotRiskStaff()
    request.kadun_sensitive = True
    return user


def _iso(at) -> Optional[str]:
    return at.isoformat() if at else None


def _out(a) -> dict:
    return {"id": a.pk, "kind": a.kind, "kind_label": str(a.get_kind_display()), "subject": a.subject, "shop_id": a.shop_id,
            "status": a.status, "occurrences": a.occurrences, "created_at": a.created_at.isoformat(), "last_seen_at": _iso(a.last_seen_at),
            "assigned_to": a.assigned_to.username if a.assigned_to_id else None, "assigned_at": _iso(a.assigned_at),
            "resolution": a.resolution, "resolution_note": a.resolution_note, "resolved_at": _iso(a.resolved_at), "details": a.details or {}}


def _detail(alert_id: int) -> dict:
    alert = selectors.alert_get(alert_id)
    return _out(alert) | {"links": selectors_alerts.alert_links(alert)}


@router.get("/staff/alerts", auth=STAFF_SESSION_AUTH, response={200: list[AlertOut], **errors(401, 403, 422)},
            summary="风控：预警队列",
            description="按类型（kind）、状态（status，默认 open）、认领人（assignee=me / none / 用户 id）筛选，最新在前，最多 100 条。")
def alert_list(request, kind: str = "", status: str = "open", assignee: str = ""):
    user = _risk_user(request)
    assignee_id = user.pk if assignee == "me" else (int(assignee) if assignee.isdigit() else None)
    return [_out(a) for a in selectors_alerts.alert_queue(kind=kind, status=status, assignee_id=assignee_id, unassigned=assignee == "none")]


@router.get("/staff/alerts/{alert_id}", auth=STAFF_SESSION_AUTH, response={200: AlertDetailOut, **errors(401, 403, 404, 422)},
            summary="风控：预警详情", description="预警依据（订单、商品、店铺、次数、时间窗口、阈值）及链接。")
def alert_detail(request, alert_id: int):
    _risk_user(request)
    return _detail(alert_id)


@router.post("/staff/alerts/{alert_id}/assign", auth=STAFF_SESSION_AUTH, response={200: AlertDetailOut, **errors(400, 401, 403, 404, 409, 422)},
             summary="风控：认领预警", description="认领给自己；已被他人认领时 409，除非 take_over=true（改派给自己）。已处理的预警 409。")
def alert_assign(request, alert_id: int, data: AssignIn):
    alert_services.alert_assign(alert_id=alert_id, actor=_risk_user(request), take_over=data.take_over)
    return _detail(alert_id)


@router.post("/staff/alerts/{alert_id}/resolve", auth=STAFF_SESSION_AUTH, response={200: AlertDetailOut, **errors(400, 401, 403, 404, 409, 422)},
             summary="风控：处理预警",
             description="resolution：confirmed_fraud（确认欺诈）/ false_positive（误报）/ handled（已处置）/ duplicate（重复预警）；其他值 422。")
def alert_resolve(request, alert_id: int, data: ResolveIn):
    risk_services.alert_resolve(alert_id=alert_id, actor=_risk_user(request), resolution=data.resolution, note=data.note)
    return _detail(alert_id)
