"""Public pages: a shop's page (/s/<id>/: name, 经营时长, badges, the verified identity that
电子商务法 §15 has a platform display, its products) and the merchant rules (/rules/merchants/),
every number read from the settings the code enforces."""
from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kadun.catalog import selectors as catalog
from kadun.core import clock
from kadun.merchants import badges_selectors, rules
from kadun.merchants import onboarding_selectors as reads


@require_safe
def shop_page(request, shop_id: int):
    shop = reads.shop_public(shop_id)
    if shop is None:  # never verified: nothing to show the public
        raise Http404
    page = Paginator(catalog.storefront(shop_id=shop.pk), 24).get_page(request.GET.get("page"))
    page.object_list = catalog.with_stock(page.object_list)
    return render(request, "merchants/shop_public.html", {
        "shop": shop, "age_days": (clock.now() - shop.created_at).days, "badges": badges_selectors.badges_of(shop.pk),
        "identity": reads.identity_public(shop), "page": page, "selling": shop.selling_blocks == 0,
    })


@require_safe
def rules_page(request):
    version = rules.rules_current()
    return render(request, "merchants/rules.html", {
        "rules": version, "proof_rows": rules.proof_rows(), "gold": rules.gold_criteria(),
    })
