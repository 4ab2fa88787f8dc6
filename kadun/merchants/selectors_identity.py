"""The shop's verified identity (实名). PLACEHOLDER: onboarding (资质审核) stores the verified
identity and replaces the body; the signature stays. None means "not verified", and a payout
account can then not be added (its holder must match this name)."""
from __future__ import annotations


def verified_name(shop_id: int) -> str | None:
    return None
