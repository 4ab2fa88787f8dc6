"""商家后台: the merchant's pages. A merchant only ever sees their own shop: everything is read
through the shop (``shop_of``) or through ``order_access`` with the merchant role; anything
else is a 404, the same answer as for something that does not exist."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kadun.aftersales import selectors as refund_selectors
from kadun.catalog import selectors as catalog_selectors
from kadun.catalog import services as catalog_services
from kadun.catalog.states import Category, Delivery
from kadun.core.errors import DomainError, NotFound
from kadun.core.money import fen_to_yuan
from kadun.inventory import selectors as inventory_selectors
from kadun.inventory import services as inventory_services
from kadun.ledger.selectors import shop_balances
from kadun.merchants import badges_selectors, onboarding_selectors, selectors
from kadun.merchants.access import merchant_page
from kadun.merchants.errors import NotAMerchant
from kadun.merchants.forms import KeyImportForm, ProductForm, ShopOpenForm
from kadun.merchants.services import shop_create
from kadun.orders import selectors as order_selectors
from kadun.risk import selectors as risk_selectors

BATCHES_PER_PAGE = 20


def _product(shop, product_id: int):
    try:
        return catalog_selectors.product_of_shop(shop=shop, product_id=product_id)
    except NotFound:
        raise Http404 from None


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
        "fee_rate": f"{settings.KADUN_PLATFORM_FEE_BPS / 100:g}",
        "onboarding": onboarding_selectors.status_of(shop), "shop_badges": badges_selectors.badges_of(shop.pk),
    })


# --- products -----------------------------------------------------------------------------


@merchant_page
def product_list(request, shop):
    rows = [
        {"product": p, "price": fen_to_yuan(p.price), "category": Category(p.category).label}
        for p in catalog_selectors.products_of_shop(shop=shop)
    ]
    return render(request, "merchants/product_list.html", {"shop": shop, "rows": rows})


def _warn_lure(request, product) -> None:
    """脱离平台交易: the merchant is told what buyers will see, and that risk staff will look."""
    if risk_selectors.lures_in(catalog_services.lure_text(product)):
        messages.warning(request, _("商品标题或描述疑似包含站外联系方式或站外付款方式，买家会看到风险提示，平台风控将审核；多次发布将记为违规。"))


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
            _warn_lure(request, product)
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
            _warn_lure(request, product)
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
        "report_limit": inventory_services.REPORT_LINES, "imports_paused": risk_selectors.imports_paused(shop.pk),
    }, status=400 if form.errors else 200)


@merchant_page
def import_batches(request, shop):
    page = Paginator(inventory_selectors.import_batches_of(shop=shop), BATCHES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "merchants/import_batches.html", {"shop": shop, "page": page})
