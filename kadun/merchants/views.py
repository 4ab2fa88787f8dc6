"""商家后台: the merchant's pages. A merchant only ever sees their own shop: everything is read
through the shop (``shop_of``) or through ``order_access`` with the merchant role; anything
else is a 404, the same answer as for something that does not exist."""
from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kadun.accounts import selectors as account_selectors
from kadun.accounts import services as account_services
from kadun.aftersales import selectors as refund_selectors
from kadun.aftersales.states import RequestStatus
from kadun.catalog import selectors as catalog_selectors
from kadun.catalog import services as catalog_services
from kadun.catalog.states import Category, Delivery
from kadun.core.errors import DomainError, NotFound
from kadun.core.money import fen_to_yuan
from kadun.core.pagination import id_param, keyset_page
from kadun.inventory import selectors as inventory_selectors
from kadun.inventory import services as inventory_services
from kadun.ledger.selectors import shop_balances
from kadun.merchants import selectors
from kadun.merchants.errors import NotAMerchant
from kadun.merchants.forms import ApiKeyForm, DeliverForm, KeyImportForm, OrderFilterForm, ProductForm, ShopOpenForm
from kadun.merchants.services import shop_create
from kadun.orders import selectors as order_selectors
from kadun.orders import services as order_services
from kadun.orders.errors import OrderNotFound
from kadun.orders.selectors import MERCHANT, Viewer
from kadun.orders.states import Actor, OrderStatus

ORDERS_PER_PAGE = 20
BATCHES_PER_PAGE = 20
_BADGE = {
    OrderStatus.PAID: "warn",
    OrderStatus.IN_SERVICE: "warn",
    OrderStatus.CONFIRMED: "ok",
    OrderStatus.EXPIRED: "bad",
    OrderStatus.REFUNDED: "bad",
}


def merchant_page(view):
    """Logged in and owning a shop; the shop is passed to the view. Without a shop: 开店."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            shop = selectors.shop_of(request.user)
        except NotAMerchant:
            messages.info(request, _("请先开通店铺。"))
            return redirect("merchants:open")
        _count_open_refunds(request, shop)
        return view(request, shop, *args, **kwargs)

    return login_required(wrapped)


def _count_open_refunds(request, shop) -> None:
    """The nav shows how many refund requests wait for the merchant; counted only when a page
    renders the nav (the template calls it)."""
    request.merchant_open_refunds = lambda: refund_selectors.merchant_queue(shop=shop, open_only=True).count()


def _status(value: str) -> dict:
    try:
        label = OrderStatus(value).label
    except ValueError:
        label = value
    return {"value": value, "label": label, "badge": _BADGE.get(value, "")}


def _product(shop, product_id: int):
    try:
        return catalog_selectors.product_of_shop(shop=shop, product_id=product_id)
    except NotFound:
        raise Http404 from None


def _merchant_order(request, order_no: str):
    """The order if the user sees it as its merchant; buyers and staff get 404 here."""
    try:
        order, role = order_selectors.order_access(order_no=order_no, viewer=Viewer(user=request.user))
    except OrderNotFound:
        raise Http404 from None
    if role != MERCHANT:
        raise Http404
    return order


# --- shop ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def shop_open(request):
    try:
        selectors.shop_of(request.user)
    except NotAMerchant:
        pass
    else:
        return redirect("merchants:dashboard")
    form = ShopOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            shop = shop_create(owner=request.user, name=form.cleaned_data["name"], description=form.cleaned_data["description"])
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("店铺「%(name)s」已开通。") % {"name": shop.name})
            return redirect("merchants:dashboard")
    return render(request, "merchants/shop_open.html", {"form": form})


@merchant_page
def dashboard(request, shop):
    balances = shop_balances(shop_id=shop.pk, escrow_total=order_selectors.escrow_total_of_shop(shop=shop))
    waiting = selectors.waiting_order_counts(shop=shop)
    return render(request, "merchants/dashboard.html", {
        "shop": shop,
        "balances": balances,
        "balances_yuan": {k: fen_to_yuan(v) for k, v in balances.items()},
        "waiting": waiting,
        "product_count": catalog_selectors.products_of_shop(shop=shop).count(),
        "open_refunds": refund_selectors.merchant_queue(shop=shop, open_only=True).count(),
    })


# --- products -----------------------------------------------------------------------------


@merchant_page
def product_list(request, shop):
    rows = [
        {"product": p, "price": fen_to_yuan(p.price), "category": Category(p.category).label}
        for p in catalog_selectors.products_of_shop(shop=shop)
    ]
    return render(request, "merchants/product_list.html", {"shop": shop, "rows": rows})


@merchant_page
@require_http_methods(["GET", "POST"])
def product_new(request, shop):
    form = ProductForm(request.POST or None, initial={"delivery": Delivery.AUTO, "is_active": True, "max_per_order": 10})
    if request.method == "POST" and form.is_valid():
        try:
            product = catalog_services.product_create(shop=shop, data=form.service_data())
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("商品「%(title)s」已创建。") % {"title": product.title})
            if product.is_auto:
                return redirect("merchants:key_import", product_id=product.pk)
            return redirect("merchants:products")
    return render(request, "merchants/product_form.html", {"shop": shop, "form": form, "product": None})


@merchant_page
@require_http_methods(["GET", "POST"])
def product_edit(request, shop, product_id: int):
    product = _product(shop, product_id)
    form = ProductForm(request.POST or None, product=product)
    if request.method == "POST" and form.is_valid():
        try:
            product = catalog_services.product_update(shop=shop, product_id=product.pk, data=form.service_data())
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("商品「%(title)s」已保存。") % {"title": product.title})
            return redirect("merchants:products")
    return render(request, "merchants/product_form.html", {
        "shop": shop, "form": form, "product": product, "delivery_label": Delivery(product.delivery).label,
    })


@merchant_page
@require_POST
def product_active(request, shop, product_id: int):
    product = _product(shop, product_id)
    active = request.POST.get("active") == "1"
    catalog_services.product_set_active(shop=shop, product_id=product.pk, active=active)
    messages.success(request, (_("「%(title)s」已上架。") if active else _("「%(title)s」已下架。")) % {"title": product.title})
    return redirect("merchants:products")


# --- keys ---------------------------------------------------------------------------------


@merchant_page
@require_http_methods(["GET", "POST"])
def key_import(request, shop, product_id: int):
    product = _product(shop, product_id)
    report = None
    form = KeyImportForm()
    if request.method == "POST":
        request.kadun_sensitive = True  # a refused form echoes the pasted keys back
        form = KeyImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload is not None:
                    lines = inventory_services.parse_upload(upload.name, upload.read())
                    source = "file"
                else:
                    lines = inventory_services.parse_text(form.cleaned_data["text"])
                    source = "paste"
                result = inventory_services.keys_import(product=product, lines=lines, source=source)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                report = result.as_dict()
                messages.success(request, _("导入完成：成功 %(n)s 条。") % {"n": report["imported"]})
                form = KeyImportForm()
                product = _product(shop, product_id)  # fresh stock
    batches = selectors.import_batches_of_product(shop=shop, product_id=product.pk)[:10]
    return render(request, "merchants/key_import.html", {
        "shop": shop, "product": product, "form": form, "report": report, "batches": batches,
        "report_limit": inventory_services.REPORT_LINES,
    })


@merchant_page
def import_batches(request, shop):
    page = Paginator(inventory_selectors.import_batches_of(shop=shop), BATCHES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "merchants/import_batches.html", {"shop": shop, "page": page})


# --- orders -------------------------------------------------------------------------------


@merchant_page
def order_list(request, shop):
    filters = OrderFilterForm(request.GET or None)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    page = keyset_page(order_selectors.orders_of_shop(shop=shop, status=status or None).only(*order_selectors.LIST_FIELDS),
                       before=id_param(request, "before"), after=id_param(request, "after"), size=ORDERS_PER_PAGE)
    rows = [{"order": o, "amount": fen_to_yuan(o.amount), "status": _status(o.status)} for o in page.items]
    return render(request, "merchants/order_list.html", {
        "shop": shop, "filters": filters, "status": status, "rows": rows, **page.urls({"status": status}),
    })


def _buyer_inputs(order) -> list[dict]:
    values = dict(order.buyer_inputs or {})
    rows = []
    for spec in order.product.buyer_fields or []:
        if spec["name"] in values:
            rows.append({"label": spec["label"], "value": values.pop(spec["name"])})
    rows += [{"label": name, "value": value} for name, value in values.items()]
    return rows


def _order_page(request, shop, order, *, deliver_form=None, status: int = 200):
    request.kadun_sensitive = True  # buyer inputs may hold account details
    events = [
        {
            "event": e,
            "actor": Actor(e.actor).label if e.actor in Actor.values else e.actor,
            "from": _status(e.from_status) if e.from_status else None,
            "to": _status(e.to_status) if e.to_status else None,
        }
        for e in order_selectors.events_of(order)
    ]
    manual = not order.is_auto
    waiting = order.status in (OrderStatus.PAID, OrderStatus.IN_SERVICE)
    _count_open_refunds(request, shop)
    # The milestones frozen onto the order at purchase (not the product's current rules).
    steps = ((order.policy_snapshot or {}).get("rules") or {}).get("milestones") or [] if manual else []
    milestones = [
        {"no": n, "name": m["name"], "percent": f"{m['refundable_bps'] / 100:g}", "reached": n <= order.milestone}
        for n, m in enumerate(steps, start=1)
    ]
    refunds = [
        {"request": r, "status": RequestStatus(r.status).label if r.status in RequestStatus.values else r.status, "amount": fen_to_yuan(r.amount_requested)}
        for r in refund_selectors.requests_of_order(order)
    ]
    return render(request, "merchants/order_detail.html", {
        "shop": shop,
        "order": order,
        "status": _status(order.status),
        "money": {
            "unit_price": fen_to_yuan(order.unit_price),
            "amount": fen_to_yuan(order.amount),
            "fee": fen_to_yuan(order.fee),
            "refunded": fen_to_yuan(order.refunded_amount),
        },
        "events": events,
        "buyer_inputs": _buyer_inputs(order) if manual else [],
        # Masked, with the first-reveal time only: never the plaintext, the IP or the user agent.
        "keys": inventory_selectors.keys_of_order(order) if order.is_auto else [],
        "can_accept": manual and order.status == OrderStatus.PAID,
        "can_deliver": manual and waiting,
        "deliver_form": deliver_form or DeliverForm(),
        "milestones": milestones,
        "can_mark_milestone": manual and order.status == OrderStatus.IN_SERVICE and bool(milestones),
        "refunds": refunds,
    }, status=status)


# Order pages check the order first: whoever is not its merchant (its buyer, staff, another
# merchant, a user without a shop) gets the same 404. The merchant's shop is the order's shop.


@login_required
def order_detail(request, order_no: str):
    order = _merchant_order(request, order_no)
    return _order_page(request, order.shop, order)


@login_required
@require_POST
def order_accept(request, order_no: str):
    order = _merchant_order(request, order_no)
    shop = order.shop
    try:
        order_services.order_accept(order=order, shop=shop)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已接单，请尽快完成服务并发货。"))
    return redirect("merchants:order", order_no=order.order_no)


@login_required
@require_POST
def order_deliver(request, order_no: str):
    order = _merchant_order(request, order_no)
    shop = order.shop
    form = DeliverForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            order_services.order_deliver(order=order, shop=shop, note=form.cleaned_data["note"], image=form.cleaned_data["image"])
        except DomainError as exc:
            messages.error(request, exc.message)
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已发货，买家验货期开始计时。"))
            return redirect("merchants:order", order_no=order.order_no)
    order.refresh_from_db()
    return _order_page(request, shop, order, deliver_form=form, status=400)


@login_required
@require_POST
def order_milestone(request, order_no: str):
    """标记进度: the merchant marks a milestone of the order's frozen refund rules as reached."""
    order = _merchant_order(request, order_no)
    try:
        milestone = int(request.POST.get("milestone", ""))
    except ValueError:
        milestone = 0
    try:
        order_services.order_milestone(order=order, shop=order.shop, milestone=milestone)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已标记服务进度。"))
    return redirect("merchants:order", order_no=order.order_no)


# --- API keys -----------------------------------------------------------------------------


def _api_key_page(request, shop, *, form=None, created=None, status: int = 200):
    keys = account_selectors.api_keys_of(user=request.user)
    return render(request, "merchants/api_keys.html", {
        "shop": shop, "form": form or ApiKeyForm(), "keys": keys, "created": created,
    }, status=status)


@merchant_page
@require_http_methods(["GET", "POST"])
def api_keys(request, shop):
    if request.method == "GET":
        return _api_key_page(request, shop)
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _api_key_page(request, shop, form=form, status=400)
    key, secret = account_services.api_key_create(user=request.user, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"])
    # The secret is on this response only: never stored, never shown again, never cached.
    request.kadun_sensitive = True
    messages.success(request, _("API 密钥「%(name)s」已创建。") % {"name": key.name})
    return _api_key_page(request, shop, created={"key": key, "secret": secret})


@merchant_page
@require_POST
def api_key_revoke(request, shop, key_id: int):
    try:
        account_services.api_key_revoke(user=request.user, key_id=key_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("API 密钥已吊销，使用它的请求将被拒绝。"))
    return redirect(reverse("merchants:api_keys"))
