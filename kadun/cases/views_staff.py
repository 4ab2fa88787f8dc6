"""Staff console of after-sales cases (平台后台 · 售后工单): the queue, sorted by time to breach;
one case with everything the platform knows about its order; the staff actions (assign, message,
internal note, evidence request, resolve, decide, decide the appeal); the SLA figures; and the
refund requests.

Any staff role may look (the console's gate: everyone else gets its 404). Acting needs support
or arbitrator (risk staff get 403); deciding needs an arbitrator, and the appeal another one than
the first decision's. The services check the same again, and write every action as an event."""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kadun.accounts.selectors import staff_users
from kadun.aftersales import selectors as refund_reads
from kadun.aftersales.errors import RequestNotFound
from kadun.aftersales.states import RequestStatus
from kadun.backoffice.access import staff_only
from kadun.cases import forms_staff as f
from kadun.cases import review, selectors, selectors_staff, thread
from kadun.cases.errors import CaseNotAllowed, CaseNotFound, SameArbitrator
from kadun.cases.states import MONEY_KINDS, WITH_PLATFORM, CaseStatus, Party
from kadun.core import clock
from kadun.core.errors import DomainError
from kadun.core.pagination import id_param, keyset_page
from kadun.orders.selectors import STAFF, viewer_of

S = CaseStatus
QUEUE_SIZE = 50
REQUESTS_SIZE = 50


def _staff():
    return list(staff_users(roles=review.SUPPORT_ROLES))


@staff_only
@require_safe
def queue(request):
    staff = _staff()
    form = f.QueueFilterForm(request.GET or None, staff=staff)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page = data.get("page") or 1
    rows, more = selectors_staff.queue_page(
        page=page, size=QUEUE_SIZE, kind=data.get("kind", ""), priority=data.get("priority", ""), status=data.get("status", ""),
        assignee_id=data.get("assignee"), mine_of=request.user if data.get("mine") else None, breached=bool(data.get("breached")),
    )
    kept = {k: v for k, v in request.GET.items() if k != "page" and k in form.fields and v}
    return render(request, "cases/staff_queue.html", {
        "form": form, "rows": rows, "page": page, "filtered": bool(kept), "section": "cases", "now": clock.now(),
        "prev_url": "?" + urlencode({**kept, "page": page - 1}) if page > 1 else None,
        "next_url": "?" + urlencode({**kept, "page": page + 1}) if more else None,
    })


def _case(request, case_no: str):
    """The case, for staff acting as staff (a staff member who is the order's buyer or merchant
    does not see it here: 404)."""
    try:
        case, role = selectors.case_access(case_no=case_no, viewer=viewer_of(request))
    except CaseNotFound:
        raise Http404 from None
    if role != STAFF:
        raise Http404
    return case


def _rights(user, case) -> dict:
    """What this staff member may do on this case now (the page shows only these forms)."""
    act = review.is_support(user)
    arbitrator = review.is_arbitrator(user)
    first = next((d for d in selectors.decisions(case) if not d.appeal), None)
    same = bool(first and first.arbitrator_id == user.pk)
    return {
        "act": act, "open": case.is_open, "with_platform": case.status in WITH_PLATFORM,
        "decide": arbitrator and case.status == S.PLATFORM_REVIEW,
        "appeal_decide": arbitrator and case.status == S.APPEALED and not same,
        "same_arbitrator": arbitrator and case.status == S.APPEALED and same,
        "resolve": act and case.status == S.PLATFORM_REVIEW and case.kind not in MONEY_KINDS,
        "arbitrator": arbitrator, "first_decision": first,
    }


def _forms(request, case, file: dict) -> dict:
    staff = _staff()
    me = request.user if review.is_support(request.user) else None
    return {
        "assign": f.AssignForm(staff=staff, me=me, initial={"assignee": me.pk if me else None}),
        "message": f.MessageForm(), "note": f.MessageForm(prefix="note"), "evidence": f.EvidenceForm(), "resolve": f.ResolveForm(),
        "decide": f.DecideForm(case=case, thread=file["thread"]),
    }


def _page(request, case, *, bound=None, action: str = "", error: str = "", status: int = 200):
    file = selectors_staff.case_file(case)
    forms = _forms(request, case, file)
    if bound is not None:
        forms["decide" if action == "appeal_decide" else action] = bound
    return render(request, "cases/staff_case.html", {
        "case": case, **file, "forms": forms, "rights": _rights(request.user, case), "action": action, "error": error,
        "same_arbitrator_message": SameArbitrator.message, "section": "cases", "now": clock.now(),
    }, status=status)


@staff_only
@require_safe
def case_page(request, case_no: str):
    return _page(request, _case(request, case_no))


def _assign(request, case, data):
    assignee = next((u for u in _staff() if u.pk == data["assignee"]), None)
    if assignee is None:
        raise DomainError("invalid_assignee", _("只能指派给客服或仲裁员。"))
    review.case_assign(case=case, staff=request.user, assignee=assignee)
    return _("已指派给 %(name)s。") % {"name": assignee.username}, "actions"


def _message(request, case, data, *, internal=False):
    thread.message_post(order=case.order, party=Party.STAFF, author=request.user, body=data["body"],
                        images=request.FILES.getlist("images"), internal=internal)
    return (_("内部备注已保存（买家和商家看不到）。") if internal else _("消息已发送给买卖双方。")), "thread"


def _evidence(request, case, data):
    review.evidence_request(case=case, staff=request.user, party=data["party"], text=data["text"], hours=data.get("hours"))
    return _("已向对方调取证据，等待期间平台计时暂停。"), "actions"


def _resolve(request, case, data):
    review.case_resolve(case=case, staff=request.user, note=data["note"])
    return _("工单已处理并结案。"), "actions"


def _decide(request, case, data, *, appeal=False):
    if not review.is_arbitrator(request.user):
        raise CaseNotAllowed("decide_forbidden", _("只有仲裁员可以作出裁决。"))
    decide = review.appeal_decide if appeal else review.case_decide
    decide(case=case, arbitrator=request.user, remedy=data["remedy"], fault=data["fault"], reasons=data["reasons"],
           clauses=data.get("clauses") or [], evidence=data.get("evidence") or [], amount=data.get("amount"), hours=data.get("hours"))
    return (_("申诉复核裁决已作出，立即执行。") if appeal else _("裁决已作出，申诉期结束后生效。")), "decide"


ACTIONS = {
    "assign": (lambda r, c: f.AssignForm(r.POST, staff=_staff(), me=r.user), _assign),
    "message": (lambda r, c: f.MessageForm(r.POST), _message),
    "note": (lambda r, c: f.MessageForm(r.POST, prefix="note"), lambda r, c, d: _message(r, c, d, internal=True)),
    "evidence": (lambda r, c: f.EvidenceForm(r.POST), _evidence),
    "resolve": (lambda r, c: f.ResolveForm(r.POST), _resolve),
    "decide": (lambda r, c: f.DecideForm(r.POST, case=c, thread=selectors.thread(c.order, role=STAFF)), _decide),
    "appeal_decide": (lambda r, c: f.DecideForm(r.POST, case=c, thread=selectors.thread(c.order, role=STAFF)),
                      lambda r, c, d: _decide(r, c, d, appeal=True)),
}


@staff_only
@require_POST
def case_act(request, case_no: str):
    """One staff action (``action``): 303 back to the case on success; the page again with the
    error beside the form otherwise (403 for a role that may not, nothing changed)."""
    case = _case(request, case_no)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        return _page(request, case, action="unknown", error=_("未知的操作。"), status=400)
    make_form, run = ACTIONS[action]
    if not review.is_support(request.user):
        return _page(request, case, action=action, error=CaseNotAllowed.message, status=403)
    form = make_form(request, case)
    if not form.is_valid():
        return _page(request, case, bound=form, action=action, error=_("请检查填写的内容。"), status=400)
    try:
        note, anchor = run(request, case, form.cleaned_data)
    except DomainError as exc:
        return _page(request, _case(request, case_no), bound=form, action=action, error=exc.message, status=exc.status)
    messages.success(request, note)
    response = redirect(reverse("cases:staff_case", args=[case.case_no]) + "#" + anchor)
    response.status_code = 303
    return response


@staff_only
@require_safe
def sla_view(request):
    return render(request, "cases/staff_sla.html", {
        "table": selectors_staff.sla_table((7, 30)), "targets": selectors_staff.configured_targets(),
        "support": selectors_staff.support_hours(), "breaches": selectors_staff.recent_breaches(), "section": "sla",
    })


@staff_only
@require_safe
def refund_requests(request):
    status = request.GET.get("status", "")
    status = status if status in RequestStatus.values else ""
    page = keyset_page(refund_reads.requests_for_staff(status=status or None), before=id_param(request, "before"),
                       after=id_param(request, "after"), size=REQUESTS_SIZE)
    return render(request, "cases/staff_refund_requests.html", {
        "requests": page.items, **page.urls({"status": status}), "status": status, "statuses": RequestStatus.choices,
        "section": "refunds",
    })


@staff_only
@require_safe
def refund_request(request, request_no: str):
    try:
        refund, role = refund_reads.request_access(request_no=request_no, viewer=viewer_of(request))
    except RequestNotFound:
        raise Http404 from None
    if role != STAFF:
        raise Http404
    return render(request, "cases/staff_refund_request.html", {
        "refund": refund, "order": refund.order, "events": list(refund.events.all()), "evidence": list(refund.evidence.all()),
        "cases": list(selectors.cases_of_order(refund.order)), "section": "refunds",
    })
