"""Account codes. One function per kind, so no caller spells a code by hand."""
from __future__ import annotations

# kind -> floored? Floored accounts may never go negative.
KINDS = {
    "external": False,        # money outside kadun, per payment provider
    "wallet": True,           # a buyer's balance
    "escrow": True,           # one per order: the buyer's money held by the platform
    "pending": True,          # merchant income released from escrow, waiting for settlement
    "available": True,        # merchant income they can withdraw
    "deposit": True,          # merchant deposit (保证金)
    "fees": False,            # platform income
    "insurance_pool": True,   # 售后保险 pool
    "advance": False,         # 先行赔付: platform pays buyers before recovering from merchants
    "debt": False,            # what a merchant owes the platform after 先行赔付 (negative = owed)
    "pool_debt": False,       # of that debt, the part the 售后保险 pool paid and is owed (positive = owed to the pool)
    "payout_in_flight": True,  # a withdrawal on its way to the merchant's payout account
    "fines": False,           # fines paid by merchants (罚款)
    "suspense": True,         # one per payment: a duplicate payment's money held on its way back (重复支付)
}


def external(provider: str) -> str:
    return f"external:{provider}"


def buyer_wallet(user_id: int) -> str:
    return f"buyer:{user_id}:wallet"


def escrow(order_id: int) -> str:
    return f"escrow:order:{order_id}"


def merchant_pending(shop_id: int) -> str:
    return f"merchant:{shop_id}:pending"


def merchant_available(shop_id: int) -> str:
    return f"merchant:{shop_id}:available"


def merchant_deposit(shop_id: int) -> str:
    return f"merchant:{shop_id}:deposit"


def merchant_debt(shop_id: int) -> str:
    return f"merchant:{shop_id}:debt"


def merchant_pool_debt(shop_id: int) -> str:
    return f"merchant:{shop_id}:pool_debt"


def merchant_payout_in_flight(shop_id: int) -> str:
    return f"merchant:{shop_id}:payout_in_flight"


def payment_suspense(payment_id: int) -> str:
    """A duplicate payment's money (重复支付): in from the provider, out again by its refund."""
    return f"suspense:payment:{payment_id}"


PLATFORM_FEES = "platform:fees"
PLATFORM_FINES = "platform:fines"
PLATFORM_INSURANCE_POOL = "platform:insurance_pool"
PLATFORM_ADVANCE = "platform:advance"


def parse(code: str) -> tuple[str, int | None]:
    """code -> (kind, owner_id)."""
    parts = code.split(":")
    head = parts[0]
    if head == "external":
        return "external", None
    if head == "buyer":
        return "wallet", int(parts[1])
    if head == "escrow":
        return "escrow", int(parts[2])
    if head == "suspense":
        return "suspense", int(parts[2])
    if head == "merchant":
        return parts[2], int(parts[1])
    if head == "platform":
        return parts[1], None
    raise ValueError(f"unknown account code {code!r}")
