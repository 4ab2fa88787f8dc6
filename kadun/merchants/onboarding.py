"""资质审核: a shop applies (identity, licence, category proofs, the rules accepted), risk staff
approve or reject it with a reason. A shop sells nothing until its first approval
(``SellBlock.UNVERIFIED`` and the gate's check below).

A change of identity is a new application of kind ``change``: the shop keeps selling under its
verified identity while it is reviewed (the shop page goes on showing the old one); approval
puts the new identity in force, rejection leaves the old one. See docs/merchants.md.
"""
from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse

from kadun.catalog.states import Category
from kadun.core import clock
from kadun.core.errors import DomainError
from kadun.merchants import gate, onboarding_files, onboarding_identity, rules
from kadun.merchants.models import Shop
from kadun.merchants.models_onboarding import ApplicationFile, IdentityView, ShopApplication
from kadun.merchants.onboarding_errors import (
    ApplicationDecided,
    ApplicationNotFound,
    ApplicationPending,
    InvalidApplication,
    NotRiskStaff,
    RulesChanged,
    RulesNotAccepted,
    ShopNotVerified,
)
from kadun.merchants.onboarding_states import ApplicationKind, ApplicationStatus as St, EntityType, SellBlock
from kadun.merchants.services import shop_sell_block
from kadun.notifications.services import notify

LICENCE = "licence"


def is_risk_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.has_staff_role("risk"))


def _require_risk(user) -> None:
    if not is_risk_staff(user):
        raise NotRiskStaff()


# --- the merchant applies ------------------------------------------------------------------


def _clean(*, entity_type: str, legal_name: str, number: str, contact: str, categories) -> dict:
    if entity_type not in EntityType.values:
        raise InvalidApplication("invalid_entity_type", "请选择主体类型：个人或企业。")
    legal_name = (legal_name or "").strip()
    if not 2 <= len(legal_name) <= 100:
        raise InvalidApplication("invalid_legal_name", "请填写真实姓名或企业名称（2到100个字符）。")
    contact = (contact or "").strip()
    if not 3 <= len(contact) <= 120:
        raise InvalidApplication("invalid_contact", "请填写联系方式（手机、QQ 或邮箱）。")
    categories = sorted(set(categories or []))
    if not categories or any(c not in Category.values for c in categories):
        raise InvalidApplication("invalid_categories", "请至少选择一个经营类目。")
    number = onboarding_identity.clean_number(entity_type, number)
    return {"entity_type": entity_type, "legal_name": legal_name, "number": number, "contact": contact, "categories": categories}


def _proofs_checked(categories: list[str], proofs: dict) -> list[tuple[str, str, bytes, str]]:
    """(category, kind, bytes, type) of every proof the categories require, or the error."""
    from kadun.merchants.onboarding_states import ProofKind

    out = []
    for category in categories:
        for kind in rules.proofs_required().get(category, []):
            upload = proofs.get((category, kind))
            if upload is None:
                raise InvalidApplication(
                    "proof_missing", f"「{Category(category).label}」类目需提交{ProofKind(kind).label}。"
                )
            out.append((category, kind, *onboarding_files.check(upload)))
    return out


def application_submit(
    *, shop: Shop, entity_type: str, legal_name: str, number: str, contact: str, categories,
    licence, proofs: dict | None = None, rules_sha256: str, accept_rules: bool,
) -> ShopApplication:
    """Submit the shop's 资质. ``proofs`` maps (category, proof kind) to an upload. The rules the
    merchant read (``rules_sha256``) must be the current version, else RulesChanged."""
    if not accept_rules:
        raise RulesNotAccepted()
    fields = _clean(entity_type=entity_type, legal_name=legal_name, number=number, contact=contact, categories=categories)
    licence_file = onboarding_files.check(licence)
    proof_files = _proofs_checked(fields["categories"], proofs or {})
    version = rules.rules_current()
    if rules_sha256 != version.sha256:
        raise RulesChanged()
    staged: list[str] = []
    try:
        with transaction.atomic():
            application = _create(shop, fields, version, licence_file, proof_files, staged)
    except BaseException:
        onboarding_files.discard(staged)
        raise
    return application


def _create(shop, fields, version, licence_file, proof_files, staged) -> ShopApplication:
    from django.db import IntegrityError

    now = clock.now()
    kind = ApplicationKind.CHANGE if Shop.objects.filter(pk=shop.pk, verified_at__isnull=False).exists() else ApplicationKind.FIRST
    try:
        with transaction.atomic():
            application = ShopApplication.objects.create(
                shop=shop, kind=kind, entity_type=fields["entity_type"], contact=fields["contact"],
                identity_sealed=onboarding_identity.seal(fields["legal_name"], fields["number"]),
                display_name=onboarding_identity.display_name(fields["entity_type"], fields["legal_name"]),
                number_masked=onboarding_identity.mask_number(fields["number"]),
                number_fingerprint=onboarding_identity.fingerprint(fields["number"]),
                categories=fields["categories"], rules_version=version, rules_accepted_at=now, submitted_at=now,
            )
    except IntegrityError as exc:  # one pending application per shop (a partial unique index)
        raise ApplicationPending() from exc
    for category, kind_, (data, content_type) in [("", LICENCE, licence_file)] + [(c, k, (d, t)) for c, k, d, t in proof_files]:
        final_name, digest = onboarding_files.stage(f"{application.pk}-{kind_}", data, staged=staged)
        row = ApplicationFile.objects.create(
            application=application, kind=kind_, category=category, file=final_name, content_type=content_type,
            size=len(data), sha256=digest, created_at=now,
        )
        onboarding_files.after_commit("application", row.pk)
    return application


# --- risk staff decide ---------------------------------------------------------------------


def _decide(application_id: int, actor, status: str, reason: str) -> ShopApplication:
    """pending → approved / rejected, one row or ApplicationDecided (the guard in the WHERE)."""
    now = clock.now()
    done = ShopApplication.objects.filter(pk=application_id, status=St.PENDING).update(
        status=status, decided_at=now, decided_by=actor, reason=reason[:500]
    )
    if not done:
        if not ShopApplication.objects.filter(pk=application_id).exists():
            raise ApplicationNotFound()
        raise ApplicationDecided()
    return ShopApplication.objects.select_related("shop").get(pk=application_id)


def application_approve(*, application_id: int, actor, reason: str = "") -> ShopApplication:
    """The identity and categories of the application come into force; a first approval lets
    the shop sell. The badges are recomputed and the nightly recompute kept scheduled."""
    from kadun.merchants import badges

    _require_risk(actor)
    with transaction.atomic():
        application = _decide(application_id, actor, St.APPROVED, reason.strip())
        shop_id = application.shop_id
        ShopApplication.objects.filter(shop_id=shop_id, status=St.APPROVED).exclude(pk=application.pk).update(status=St.SUPERSEDED)
        Shop.objects.filter(pk=shop_id).update(
            identity=application, categories_approved=application.categories, verified_at=Coalesce(F("verified_at"), clock.now()),
        )
        shop_sell_block(shop_id=shop_id, block=SellBlock.UNVERIFIED, on=False)
        badges.badges_refresh(shop_id=shop_id)
        badges.nightly_ensure()
        notify(user_id=application.shop.owner_id, title="资质审核已通过", body=reason.strip(),
               link=reverse("merchants:onboarding"), event="onboarding_approved")
    return application


def application_reject(*, application_id: int, actor, reason: str) -> ShopApplication:
    """Refused, with the reason the merchant sees. A verified shop keeps its identity in force."""
    _require_risk(actor)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise InvalidApplication("reason_required", "请填写驳回原因。")
    with transaction.atomic():
        application = _decide(application_id, actor, St.REJECTED, reason)
        notify(user_id=application.shop.owner_id, title="资质审核未通过", body=reason,
               link=reverse("merchants:onboarding"), event="onboarding_rejected")
    return application


def identity_reveal(*, application_id: int, viewer) -> dict:
    """The identity in clear, for risk staff only; every call is recorded (who, when)."""
    _require_risk(viewer)
    application = ShopApplication.objects.filter(pk=application_id).first()
    if application is None:
        raise ApplicationNotFound()
    IdentityView.objects.create(application=application, viewer=viewer, at=clock.now())
    return onboarding_identity.unseal(application.identity_sealed)


def shop_preapprove(*, shop_id: int) -> None:
    """Fixtures and the demo data only: a shop verified for every category without an
    application (no identity to show). Never reachable from a page or the API."""
    from kadun.merchants import badges

    with transaction.atomic():
        Shop.objects.filter(pk=shop_id).update(categories_approved=list(Category.values), verified_at=Coalesce(F("verified_at"), clock.now()))
        shop_sell_block(shop_id=shop_id, block=SellBlock.UNVERIFIED, on=False)
        badges.badges_refresh(shop_id=shop_id)


def applications_rotate() -> int:
    """Re-seal every application's identity under the first key (``kadun rotate-keys``)."""
    from kadun.core import sealed

    done = 0
    for row in ShopApplication.objects.only("id", "identity_sealed").iterator():
        ShopApplication.objects.filter(pk=row.pk, identity_sealed=row.identity_sealed).update(identity_sealed=sealed.reseal(row.identity_sealed))
        done += 1
    return done


# --- the gate ------------------------------------------------------------------------------


def not_verified(shop_id: int) -> DomainError | None:
    """SELL_CHECK: a shop whose identity was never approved may not sell."""
    blocks = Shop.objects.filter(pk=shop_id).values_list("selling_blocks", flat=True).first()
    if blocks is None or blocks & SellBlock.UNVERIFIED:
        return ShopNotVerified()
    return None


gate.SELL_CHECKS.append(not_verified)
