"""Evidence images of a refund request, for the buyer, the merchant and staff of the order."""
from __future__ import annotations

from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from kadun.aftersales import evidence as evidence_files
from kadun.aftersales import selectors
from kadun.aftersales.errors import RequestNotFound
from kadun.orders.selectors import viewer_of


@require_GET
def evidence_file(request, request_no: str, evidence_id: int):
    """An evidence image, for the buyer, the merchant and staff of the order only."""
    try:
        refund_request, _role = selectors.request_access(request_no=request_no, viewer=viewer_of(request))
    except RequestNotFound:
        raise Http404 from None
    evidence = refund_request.evidence.filter(pk=evidence_id).first()
    if evidence is None:
        raise Http404
    try:
        handle = evidence_files.open_file(evidence)
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, content_type=evidence.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
