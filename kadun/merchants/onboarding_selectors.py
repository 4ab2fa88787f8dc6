"""Reads of 资质审核: where a shop's review stands, the staff queue, the identity the public sees,
and whether a shop may sell in a category."""
from __future__ import annotations

from kadun.catalog.states import Category
from kadun.core.errors import DomainError
from kadun.merchants import rules
from kadun.merchants.models import Shop
from kadun.merchants.models_onboarding import ApplicationFile, IdentityView, ShopApplication
from kadun.merchants.onboarding_errors import ApplicationNotFound, CategoryNotApproved
from kadun.merchants.onboarding_states import ApplicationStatus, EntityType, ProofKind, SellBlock


def applications_of(shop) -> list[ShopApplication]:
    return list(ShopApplication.objects.filter(shop=shop).order_by("-id")[:20])


def status_of(shop: Shop) -> dict:
    """The merchant's view of its review: verified or not, the latest application, the
    identity in force. ``state``: none / pending / approved / rejected / change_pending."""
    latest = ShopApplication.objects.filter(shop=shop).order_by("-id").first()
    verified = shop.verified_at is not None
    if latest is None:
        state = "approved" if verified else "none"
    elif latest.status == ApplicationStatus.PENDING:
        state = "change_pending" if verified else "pending"
    elif latest.status == ApplicationStatus.REJECTED:
        state = "change_rejected" if verified else "rejected"
    else:
        state = "approved"
    return {
        "state": state, "verified": verified, "latest": latest, "identity": identity_public(shop),
        "may_apply": latest is None or latest.status != ApplicationStatus.PENDING,
        "selling": shop.selling_blocks == 0, "blocked_unverified": bool(shop.selling_blocks & SellBlock.UNVERIFIED),
    }


def identity_public(shop: Shop) -> dict | None:
    """What 电子商务法 §15 has the platform show: a company's name and its masked licence number,
    a person's masked name. None before the first approval (or a fixture shop without one)."""
    if shop.identity_id is None:
        return None
    application = shop.identity
    company = application.entity_type == EntityType.COMPANY
    return {
        "entity_type": application.entity_type, "entity_label": EntityType(application.entity_type).label,
        "name": application.display_name, "number": application.number_masked if company else "",
        "approved_at": application.decided_at,
    }


def identity_for_complaint(shop: Shop) -> dict | None:
    """What the platform discloses to a consumer for a complaint (电子商务法 §27/§33: the
    platform verifies and keeps the merchant's real identity and provides it when a consumer's
    rights are at stake): the verified legal name in full — a company's or a person's — with the
    company's licence number in full and a person's ID number masked. None before approval."""
    from kadun.merchants.onboarding_identity import mask_number, unseal

    if shop.identity_id is None:
        return None
    application = shop.identity
    sealed = unseal(application.identity_sealed)
    company = application.entity_type == EntityType.COMPANY
    return {
        "entity_label": str(EntityType(application.entity_type).label), "legal_name": sealed.get("legal_name", ""),
        "number": sealed.get("number", "") if company else mask_number(sealed.get("number", "")),
        "number_label": "统一社会信用代码" if company else "身份证号（部分隐藏）", "approved_at": application.decided_at,
    }


def queue():
    """Pending applications, oldest first."""
    return ShopApplication.objects.filter(status=ApplicationStatus.PENDING).select_related("shop").order_by("id")


def recently_decided(limit: int = 50):
    return ShopApplication.objects.exclude(status=ApplicationStatus.PENDING).select_related("shop", "decided_by").order_by("-decided_at", "-id")[:limit]


def application_get(application_id: int) -> ShopApplication:
    application = ShopApplication.objects.select_related("shop", "rules_version", "decided_by").filter(pk=application_id).first()
    if application is None:
        raise ApplicationNotFound()
    return application


def files_of(application) -> list[ApplicationFile]:
    rows = list(ApplicationFile.objects.filter(application=application))
    for row in rows:
        row.label = "营业执照 / 身份证件" if row.kind == "licence" else f"{Category(row.category).label}：{ProofKind(row.kind).label}"
    return rows


def file_get(file_id: int) -> ApplicationFile | None:
    return ApplicationFile.objects.filter(pk=file_id).first()


def identity_views_of(application) -> list[IdentityView]:
    return list(IdentityView.objects.filter(application=application).select_related("viewer")[:50])


def same_number_shops(application) -> list[Shop]:
    """Other shops that applied with the same ID or licence number (one person, several shops)."""
    ids = ShopApplication.objects.filter(number_fingerprint=application.number_fingerprint).exclude(shop_id=application.shop_id).values("shop_id")
    return list(Shop.objects.filter(pk__in=ids))


def category_refusal(shop: Shop, category: str) -> DomainError | None:
    """May ``shop`` sell in ``category``? A category with required proofs needs them approved.
    Reads the shop row in hand (no query)."""
    needed = rules.proofs_required().get(category)
    if not needed or category in (shop.categories_approved or []):
        return None
    labels = "、".join(str(ProofKind(k).label) for k in needed)
    return CategoryNotApproved(message=f"该店铺尚未通过「{Category(category).label}」类目的资质审核（需提交{labels}）。")


def shop_public(shop_id: int) -> Shop | None:
    """A shop the public may look at: active and verified at least once (else None)."""
    return Shop.objects.select_related("identity").filter(pk=shop_id, is_active=True, verified_at__isnull=False).first()
