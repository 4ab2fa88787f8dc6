"""官方直营: an admin uploads a brand owner's authorisation for a shop and grants the badge; an
admin revokes it. The badge itself follows from the authorisations (``badges.badges_refresh``)."""
from __future__ import annotations

from django.db import transaction

from kadun.core import clock
from kadun.merchants import onboarding_files
from kadun.merchants.badges import badges_refresh
from kadun.merchants.models import Shop
from kadun.merchants.models_onboarding import OfficialAuthorisation
from kadun.merchants.onboarding_errors import AuthorisationNotFound, InvalidApplication, NotAdmin
from kadun.merchants.onboarding_errors import ShopNotVerified


def _require_admin(user) -> None:
    if not (user and user.is_authenticated and user.staff_role == "admin"):
        raise NotAdmin()


def official_grant(*, shop_id: int, brand: str, document, actor) -> OfficialAuthorisation:
    _require_admin(actor)
    brand = (brand or "").strip()
    if not 1 <= len(brand) <= 80:
        raise InvalidApplication("invalid_brand", "请填写品牌名称（1到80个字符）。")
    data, content_type = onboarding_files.check(document)
    if not Shop.objects.filter(pk=shop_id, verified_at__isnull=False).exists():
        raise ShopNotVerified(message="店铺须先通过资质审核，才能授予「官方直营」。")
    staged: list[str] = []
    try:
        with transaction.atomic():
            final_name, digest = onboarding_files.stage(f"official-{shop_id}", data, staged=staged)
            row = OfficialAuthorisation.objects.create(
                shop_id=shop_id, brand=brand, file=final_name, content_type=content_type, size=len(data), sha256=digest,
                granted_by=actor, granted_at=clock.now(),
            )
            onboarding_files.after_commit("official", row.pk)
            badges_refresh(shop_id=shop_id, why=f"管理员 {actor.username} 授予")
    except BaseException:
        onboarding_files.discard(staged)
        raise
    return row


def official_revoke(*, authorisation_id: int, actor, reason: str) -> OfficialAuthorisation:
    _require_admin(actor)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise InvalidApplication("reason_required", "请填写撤销原因。")
    with transaction.atomic():
        done = OfficialAuthorisation.objects.filter(pk=authorisation_id, revoked_at__isnull=True).update(
            revoked_at=clock.now(), revoked_by=actor, revoke_reason=reason[:300]
        )
        if not done:
            raise AuthorisationNotFound()
        row = OfficialAuthorisation.objects.get(pk=authorisation_id)
        badges_refresh(shop_id=row.shop_id, why=f"管理员 {actor.username} 撤销：{reason}"[:120])
    return row
