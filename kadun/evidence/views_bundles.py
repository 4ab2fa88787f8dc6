"""Downloads of the evidence log: an order's or a case's bundle (存证包), an order's complaint
dossier (投诉材料, PDF), and the one-file verifier. Who may download what is
``selectors_downloads``; anyone who may not see the order gets the 404 of an order that does not
exist. Generated on request and streamed (a bundle spools to disk past 8 MB)."""
from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kadun.cases.errors import CaseNotFound
from kadun.core.errors import Forbidden
from kadun.evidence import bundle, dossier, selectors_downloads
from kadun.evidence.errors import InvalidSince
from kadun.evidence.offline import onefile
from kadun.orders.errors import OrderNotFound
from kadun.orders.selectors import STAFF, viewer_of


def since_of(value) -> int | None:
    """``?since=N``: the size of a head the user kept (the bundle then carries the consistency proof)."""
    if value in (None, ""):
        return None
    try:
        since = int(value)
    except (TypeError, ValueError):
        raise InvalidSince() from None
    if since < 1:
        raise InvalidSince()
    return since


def _private(response):
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def bundle_response(*, order, case=None, role: str, since=None):
    name, handle = bundle.bundle_file(order=order, case=case, role=role, since=since)
    return _private(FileResponse(handle, as_attachment=True, filename=name, content_type="application/zip"))


def dossier_response(*, order, role: str):
    grounds = {"staff"} if role == STAFF else selectors_downloads.dossier_grounds(order)
    name, pdf = dossier.dossier_pdf(order=order, role=role, grounds=grounds)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return _private(response)


def _since(request):
    try:
        return since_of(request.GET.get("since"))
    except InvalidSince:
        raise Http404 from None


@require_GET
def order_bundle(request, order_no: str):
    try:
        order, role = selectors_downloads.order_for_bundle(order_no=order_no, viewer=viewer_of(request))
    except OrderNotFound:
        raise Http404 from None
    return bundle_response(order=order, role=role, since=_since(request))


@require_GET
def case_bundle(request, case_no: str):
    try:
        case, role = selectors_downloads.case_for_bundle(case_no=case_no, viewer=viewer_of(request))
    except CaseNotFound:
        raise Http404 from None
    return bundle_response(order=case.order, case=case, role=role, since=_since(request))


@require_GET
def order_dossier(request, order_no: str):
    try:
        order, role = selectors_downloads.dossier_access(order_no=order_no, viewer=viewer_of(request))
    except OrderNotFound:
        raise Http404 from None
    except Forbidden as exc:
        return render(request, "evidence/refused.html", {"message": exc.message, "code": exc.code, "order_no": order_no}, status=exc.status)
    return dossier_response(order=order, role=role)


@require_GET
def verify_script(request):
    response = HttpResponse(onefile.source(), content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="verify.py"'
    return response
