"""Buyer-facing pages: storefront, product, checkout, order page with reveal, lookup, accounts."""
from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kadun.accounts.services import user_create
from kadun.catalog import selectors as catalog
from kadun.catalog.states import Category
from kadun.core.client_ip import client_ip
from kadun.core.errors import DomainError, RateLimited
from kadun.inventory.services import key_reveal
from kadun.merchants import badges_selectors as badges
from kadun.merchants.gate import selling_refusal
from kadun.merchants.onboarding_selectors import category_refusal
from kadun.notifications.selectors import messages_for
from kadun.notifications.services import messages_mark_read
from kadun.orders import selectors as orders
from kadun.orders import services as order_services
from kadun.orders.errors import OrderNotFound
from kadun.orders.selectors import BUYER, SESSION_GRANTS, viewer_of
from kadun.orders.states import OrderStatus
from kadun.payments import selectors as payment_reads
from kadun.web.forms import CheckoutForm, LookupForm, SignupForm
from kadun.web.pay_panel import pay_panel
from kadun.web.views_keys import keys_card_context

GRANTS = SESSION_GRANTS
CREATED_LINK = "kadun_created_link"


def _grant(request, order) -> None:
    """Remember in this session that the guest proved access to the order. An anonymous visitor's
    session becomes a browser-session cookie: on a shared computer the grant ends when the browser
    closes, not two weeks later (and 退出此订单 ends it at once)."""
    grants = list(request.session.get(GRANTS, []))
    if not request.user.is_authenticated:
        request.session.set_expiry(0)
    if order.pk not in grants:
        grants = (grants + [order.pk])[-50:]
        request.session[GRANTS] = grants
        request.session.cycle_key()


@require_POST
def order_leave(request, order_no: str):
    """退出此订单: drop this order's grant; an anonymous session holding nothing else goes too."""
    order, _role = _access(request, order_no)
    grants = [pk for pk in request.session.get(GRANTS, []) if pk != order.pk]
    if grants:
        request.session[GRANTS] = grants
    else:
        request.session.pop(GRANTS, None)
    if not request.user.is_authenticated and not [k for k in request.session.keys() if not k.startswith("_")]:
        request.session.flush()
    messages.success(request, _("已退出此订单。再次查看请使用订单访问链接，或凭订单号和查询密码查询。"))
    return redirect("web:home")


def _access(request, order_no: str):
    try:
        return orders.order_access(order_no=order_no, viewer=viewer_of(request))
    except OrderNotFound:
        raise Http404 from None


def home(request):
    category = request.GET.get("category") or None
    if category not in Category.values:
        category = None
    q = (request.GET.get("q") or "").strip()[:50] or None
    page = Paginator(catalog.storefront(category=category, q=q), 24).get_page(request.GET.get("page"))
    page.object_list = badges.attach(catalog.with_stock(page.object_list))
    return render(request, "web/home.html", {"page": page, "categories": Category.choices, "category": category, "q": q or ""})


def product_page(request, product_id: int):
    try:
        product = catalog.product_public(product_id)
    except DomainError:
        raise Http404 from None
    form = CheckoutForm(product=product, user=request.user, policy=catalog.policy_current(product))
    return render(request, "web/product.html", _product_context(request, product, form))


def _product_context(request, product, form) -> dict:
    from kadun.ledger import accounts as codes
    from kadun.ledger.selectors import balance_of

    wallet = balance_of(codes.buyer_wallet(request.user.pk)) if request.user.is_authenticated else None
    refusal = selling_refusal(product.shop_id) or category_refusal(product.shop, product.category)
    return {
        "product": product, "form": form, "policy": catalog.policy_text(product), "wallet": wallet,
        "shop_badges": badges.badges_of(product.shop_id), "not_selling": refusal.message if refusal else "",
    }


@require_POST
def checkout(request, product_id: int):
    try:
        product = catalog.product_public(product_id)
    except DomainError:
        raise Http404 from None
    form = CheckoutForm(request.POST, product=product, user=request.user, policy=catalog.policy_current(product))
    if form.is_valid():
        data = form.cleaned_data
        fields = {
            "product_id": product.pk, "quantity": data["quantity"], "buyer_inputs": form.buyer_inputs(),
            "confirm_no_reason_exclusion": data.get("no_reason_waived", False), "confirm_low_price": data.get("low_price_ok", False),
            "channel": "web",
            "insure": request.POST.get("insure") == "1",  # 售后保险: the box of {% insurance_checkout %}
        }
        try:
            if data.get("pay_with") == "wallet":
                # Created and paid in one transaction: a short balance leaves no order behind.

                order, _outcome = order_services.order_checkout_wallet(user=request.user, **fields)
                messages.success(request, _("已用平台余额支付。"))
                return redirect("web:order", order.order_no)
            order, token, _pay_url = order_services.order_create(
                buyer=request.user if request.user.is_authenticated else None,
                contact=data.get("contact", ""), query_password=data.get("query_password", ""),
                provider=data.get("pay_with") or None, client_ip=client_ip(request) or "",
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:400], **fields,
            )
        except DomainError as exc:
            # The rules changed to exclude 7天无理由 while the buyer was on the page: ask at the box.
            confirm_box = exc.code == "no_reason_confirmation_required" and "no_reason_waived" in form.fields
            cheap_box = exc.code == "low_price_confirmation_required" and "low_price_ok" in form.fields
            field = "no_reason_waived" if confirm_box else "low_price_ok" if cheap_box else "pay_with" if exc.code == "wallet_insufficient" else None
            form.add_error(field, exc.message)
        else:
            if order.is_guest:
                _grant(request, order)
                # The access link waits in the session for the one render of 订单已创建 (never in a URL).
                request.session[CREATED_LINK] = {"order_no": order.order_no, "link": settings.SITE_URL + reverse("web:order_open", args=[token])}
            return redirect("web:order_created", order.order_no)  # POST → redirect → GET: a refresh buys nothing
    return render(request, "web/product.html", _product_context(request, product, form), status=400)


def order_created(request, order_no: str):
    """订单已创建: where checkout redirects. The guest's access link is shown on the first render
    only, then dropped from the session; a refresh shows the rest of the page without it."""
    try:
        order, role = orders.order_access(order_no=order_no, viewer=viewer_of(request), related=("shop",))
    except OrderNotFound:
        raise Http404 from None
    if role != BUYER:
        raise Http404
    if order.status != OrderStatus.PENDING_PAYMENT:
        return redirect("web:order", order.order_no)
    pending = request.session.get(CREATED_LINK)
    link = None
    if pending and pending.get("order_no") == order.order_no:
        link = pending.get("link")
        del request.session[CREATED_LINK]
    request.kadun_sensitive = True
    payment = payment_reads.payment_of(order)
    panel = pay_panel(request, order, role, payment, refunds=[])
    return render(request, "web/order_created.html", {"order": order, "payment": payment, "access_link": link, "pay_panel": panel})


def order_open(request, token: str):
    """The guest's access link. Grants the session and moves to a URL without the token."""
    try:
        order = orders.order_by_token(token)
    except OrderNotFound:
        raise Http404 from None
    _grant(request, order)
    return redirect("web:order", order.order_no)


def _order_context(request, order, role, *, revealed: dict[int, str] | None = None):
    from kadun.aftersales import selectors as aftersales
    from kadun.aftersales.states import Reason
    from kadun.cases.panels import order_panel

    payment = payment_reads.payment_of(order)
    refunds = list(payment_reads.refunds_of(order))
    refund_requests = list(aftersales.requests_of_order(order))
    card = keys_card_context(order, role, revealed=revealed, refund_requests=refund_requests)
    return {
        **card,
        **order_panel(request, order, role, refund_requests=refund_requests),  # 售后工单: case box, order chat, 申请平台介入
        "refund_requests": refund_requests,
        "refund_reasons": Reason.choices,
        "policy": order.policy_snapshot,
        "refund_form_key": secrets.token_hex(8),  # one per rendered form: a double submit is one request
        "granted": order.pk in request.session.get(GRANTS, []),  # 退出此订单
        "buyer_fields": _buyer_fields_shown(order),
        "events": orders.events_of(order),
        "payment": payment,
        "refunds": refunds,
        "pay_panel": pay_panel(request, order, role, payment, refunds),  # current method, QR, 换一种支付方式, 重复支付
        "can_pay": role == BUYER and order.status == OrderStatus.PENDING_PAYMENT and payment is not None,
        # Not while a refund request holds the money: the confirmation would be refused.
        "can_confirm": role == BUYER and order.status == OrderStatus.DELIVERED and not order.refund_hold,
        "confirm_held": role == BUYER and order.status == OrderStatus.DELIVERED and order.refund_hold,
        "waiting": order.status == OrderStatus.PENDING_PAYMENT,
    }


def _buyer_fields_shown(order) -> list[tuple[str, str]]:
    """The buyer's order inputs under the product's own labels (not the field names)."""
    labels = {spec["name"]: spec.get("label") or spec["name"] for spec in (order.product.buyer_fields or [])}
    return [(labels.get(name, name), value) for name, value in (order.buyer_inputs or {}).items()]


def order_page(request, order_no: str):
    try:
        order, role = orders.order_access(order_no=order_no, viewer=viewer_of(request))
    except OrderNotFound:
        return _order_locked(request, order_no)
    request.kadun_sensitive = True
    return render(request, "web/order.html", _order_context(request, order, role))


def _order_locked(request, order_no: str):
    """No access to this order page (or no such order: the same page, so it tells nothing): the
    lookup form with the number filled in — where a guest coming back from the gateway, or one
    who ordered through the API, gets in with the query password."""
    form = LookupForm(initial={"order_no": order_no[:24]})
    return render(request, "web/order_locked.html", {"form": form}, status=404)


def order_status(request, order_no: str):
    """Polled by htmx while the order waits for its payment notification."""
    order, _role = _access(request, order_no)
    request.kadun_sensitive = True
    if request.GET.get("was") and request.GET["was"] != order.status:
        response = HttpResponse("")
        response["HX-Refresh"] = "true"
        return response
    return render(request, "web/_order_status.html", {"order": order, "waiting": order.status == OrderStatus.PENDING_PAYMENT})


@require_POST
def reveal(request, order_no: str, key_id: int):
    order, role = _access(request, order_no)
    if role != BUYER:
        raise Http404
    try:
        key, secret = key_reveal(
            order=order, key_id=key_id, actor="buyer" if request.user.is_authenticated and order.buyer_id else "guest",
            user=request.user, ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    except DomainError:
        raise Http404 from None
    request.kadun_sensitive = True
    # The key cell, and (out of band) the 一键退款 box, which no longer offers this key.
    context = {**keys_card_context(order, role), "key_id": key.pk, "secret": secret, "first_revealed_at": key.first_revealed_at, "oob": True}
    return render(request, "web/_key_revealed.html", context)


@require_POST
def confirm(request, order_no: str):
    order, role = _access(request, order_no)
    if role != BUYER:
        raise Http404
    try:
        order_services.order_confirm(order_id=order.pk, actor="buyer" if order.buyer_id else "guest", user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已确认收货，款项将结算给商家。"))
    return redirect("web:order", order.order_no)


@require_POST
def pay_wallet(request, order_no: str):
    """用余额支付: a wallet order still waiting for its payment (checkout pays at once now; an
    order an earlier version left pending is paid here, never through a link to its own page)."""
    from kadun.payments.services import payment_pay_with_wallet

    order, role = _access(request, order_no)
    if role != BUYER or not request.user.is_authenticated or order.buyer_id != request.user.pk:
        raise Http404
    if order.status != OrderStatus.PENDING_PAYMENT:
        messages.error(request, _("订单已不是待支付状态。"))
        return redirect("web:order", order.order_no)
    try:
        outcome = payment_pay_with_wallet(order=order, user=request.user)
    except DomainError as exc:
        short = exc.code == "wallet_insufficient"
        messages.error(request, _("平台余额不足，无法支付该订单。未支付的订单到期后自动关闭，可重新下单并选择其他支付方式。") if short else exc.message)
    else:
        if outcome != "duplicate":
            messages.success(request, _("已用平台余额支付。"))
    return redirect("web:order", order.order_no)


def delivery_image(request, order_no: str):
    order, _role = _access(request, order_no)
    if not order.delivery_image:
        raise Http404
    response = FileResponse(order.delivery_image.open("rb"))
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@login_required
def my_orders(request):
    page = Paginator(orders.orders_of_buyer(user=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "web/my_orders.html", {"page": page})


@login_required
def inbox(request):
    page = Paginator(messages_for(user=request.user), 30).get_page(request.GET.get("page"))
    shown = list(page.object_list)  # read as they were: the page marks the new ones 未读 this once
    messages_mark_read(user=request.user, message_ids=[m.pk for m in shown if m.read_at is None])
    page.object_list = shown
    return render(request, "web/inbox.html", {"page": page})


def favicon(request):
    """Browsers that ask /favicon.ico before reading the page's <link rel="icon">."""
    response = redirect(static("kadun/favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


# The account service's refusals, in the page's language and next to their field.
SIGNUP_ERRORS = {
    "username_taken": ("username", gettext_lazy("该用户名已被注册。")),
    "invalid_username": ("username", gettext_lazy("用户名不能为空，且不超过150个字符。")),
    "weak_password": ("password", gettext_lazy("密码不符合要求。")),
}


@require_http_methods(["GET", "POST"])
def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"],
                email=form.cleaned_data.get("email", ""), contact=form.cleaned_data.get("contact", ""),
            )
        except DomainError as exc:
            field, message = SIGNUP_ERRORS.get(exc.code, (None, exc.message))
            form.add_error(field, message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("注册成功，欢迎使用卡盾。"))
            return redirect("web:home")
    return render(request, "web/signup.html", {"form": form}, status=400 if form.errors else 200)


class KadunLoginView(LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


login_view = KadunLoginView.as_view()


@require_POST
def logout_view(request):
    logout(request)
    return redirect("web:home")


def ratelimited(request, exception):
    return render(request, "web/error.html", {"message": RateLimited.message}, status=429)
