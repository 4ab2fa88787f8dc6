"""The shop's verified identity (实名): the legal name of the application in force (``Shop.identity``,
set when risk staff approve it — 资质审核). None means "not verified", and a payout account can
then not be added (its holder must match this name)."""
from __future__ import annotations

from kadun.merchants.models import Shop


def verified_name(shop_id: int) -> str | None:
    from kadun.merchants.onboarding_identity import unseal

    shop = Shop.objects.select_related("identity").filter(pk=shop_id, verified_at__isnull=False).first()
    if shop is None or shop.identity is None:
        return None
    return unseal(shop.identity.identity_sealed).get("legal_name") or None
