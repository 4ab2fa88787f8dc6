"""Gateway-facing endpoints: the notify URL, and the sandbox gateway's own pay page."""
from __future__ import annotations

import logging

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from kadun.payments import providers, selectors
from kadun.payments.errors import BadNotification, UnknownProvider
from kadun.payments.providers.sandbox import sandbox_trade_finish
from kadun.payments.states import SandboxTradeStatus

log = logging.getLogger("kadun.payments")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def notify(request, provider: str):
    """Gateways notify here (POST, or GET where the provider's ``notify_methods`` allow it). We
    answer as the provider says (``success``, ``ok``, WeChat's JSON) only after our transaction
    has committed; a refused notification gets the provider's failure answer (a 400 and
    ``fail:<code>`` for providers without one) and changes nothing."""
    from kadun.payments.providers.base import NotifyRequest
    from kadun.payments.services import notification_handle

    if not providers.is_enabled(provider):
        # Unknown, or switched off (the sandbox in production): there is no such endpoint.
        return HttpResponse("fail:unknown_provider", status=404, content_type="text/plain")
    impl = providers.get(provider)
    if request.method not in getattr(impl, "notify_methods", ("POST",)):
        return HttpResponse("fail:method", status=405, content_type="text/plain")
    source = request.GET if request.method == "GET" else request.POST
    params = {k: v for k, v in source.items()}
    req = None
    if hasattr(impl, "verify_request"):
        headers = {k.lower(): v for k, v in request.headers.items()}
        req = NotifyRequest(method=request.method, headers=headers, body=request.body, params=params)
    trade_no = params.get("out_trade_no", "?")[:32]
    try:
        outcome = notification_handle(provider=provider, params=params, request=req)
    except (BadNotification, UnknownProvider) as exc:
        # Never log the parameters: only which check failed and for which trade number, quoted
        # (%r) so a caller's newline or control character cannot forge a log line.
        log.warning("refused %r notification for %r: %s", provider[:32], trade_no, exc.code)
        if not hasattr(impl, "answer"):
            return HttpResponse(f"fail:{exc.code}", status=400, content_type="text/plain")
        return _answer(impl, False)
    log.info("%r notification for %r: %s", provider[:32], trade_no, outcome)
    return _answer(impl, True)


def _answer(impl, ok: bool) -> HttpResponse:
    from kadun.payments.providers.base import answer

    status, content_type, body = answer(impl, ok)
    return HttpResponse(body, status=status, content_type=content_type)


@require_http_methods(["GET"])
def wechat_native(request, out_trade_no: str):
    """The page a WeChat Native payment sends the buyer to: the code_url as a QR code (SVG,
    rendered here) to scan with WeChat, and a link back to the order."""
    from kadun.payments.providers.wechatpay import qr_svg

    if not providers.is_enabled("wechatpay"):
        raise Http404
    trade = selectors.wechat_trade(out_trade_no)
    if trade is None or not trade.code_url:
        raise Http404
    return render(request, "payments/wechat_native.html", {"trade": trade, "qr": qr_svg(trade.code_url)})


@require_http_methods(["GET", "POST"])
def sandbox_pay(request, out_trade_no: str):
    """The sandbox gateway's checkout page: 确认支付 or 模拟支付失败, and after a failure 重新支付
    until the order's payment deadline. A payment returns to the merchant (the order page); a
    failure comes back here, where the buyer may try again (POST → redirect → GET). Gone when the sandbox is off."""
    if not providers.is_enabled("sandbox"):
        raise Http404
    trade = selectors.sandbox_trade(out_trade_no)
    if trade is None:
        raise Http404
    if request.method == "POST":
        trade = sandbox_trade_finish(out_trade_no=out_trade_no, paid=request.POST.get("action") == "pay")
        if trade.status == SandboxTradeStatus.PAID:
            return redirect(trade.return_url)
        return redirect("payments:sandbox_pay", out_trade_no)
    return render(request, "payments/sandbox_pay.html", {"trade": trade})


@csrf_exempt
@require_POST
def payout_notify(request, provider: str):
    """Payout gateways POST a withdrawal's result here (提现). The provider's answer (``success``,
    WeChat's JSON) only after our transaction committed; a refused notification gets the
    provider's failure answer (``fail:<code>`` and a 400 for providers without one) and changes
    nothing. A provider that verifies the raw request (``verify_payout_request``: WeChat) gets
    the headers and the body's exact bytes."""
    from kadun.payments.payouts import payout_notification_handle
    from kadun.payments.providers.base import NotifyRequest

    if not providers.is_enabled(provider):
        return HttpResponse("fail:unknown_provider", status=404, content_type="text/plain")
    try:
        impl = providers.payout_provider(provider)
    except UnknownProvider:
        return HttpResponse("fail:unknown_provider", status=404, content_type="text/plain")
    params = {k: v for k, v in request.POST.items()}
    req = None
    if hasattr(impl, "verify_payout_request"):
        headers = {k.lower(): v for k, v in request.headers.items()}
        req = NotifyRequest(method=request.method, headers=headers, body=request.body, params=params)
    payout_no = params.get("payout_no", "?")[:32]
    try:
        outcome = payout_notification_handle(provider=provider, params=params, request=req)
    except (BadNotification, UnknownProvider) as exc:
        log.warning("refused %r payout notification for %r: %s", provider[:32], payout_no, exc.code)
        if not hasattr(impl, "answer"):
            return HttpResponse(f"fail:{exc.code}", status=400, content_type="text/plain")
        return _answer(impl, False)
    log.info("%r payout notification for %r: %s", provider[:32], payout_no, outcome)
    return _answer(impl, True)
