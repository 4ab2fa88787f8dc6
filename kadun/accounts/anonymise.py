"""Closing an account (注销账户): identity goes, transaction records stay.

电子商务法 §31 requires a platform to keep the information of goods and services and of
transactions for at least three years from the transaction's completion; §24 lets a user close
the account, and 个人信息保护法 §47 requires personal information to be deleted once it is no
longer needed. So closing keeps every order, payment, refund, ledger entry, reveal time, case
message and decision — the facts — and the evidence log's entries, while it erases what
identifies the person: user name (→ 已注销用户#id), e-mail, names, contact, password, API keys,
notification channels, the contact on their orders, and the IP address and user agent of their
reveals. Evidence bodies hold those only as keyed hashes (``kadun.evidence.privacy``), so every
logged fact still checks after the erasure (docs/evidence.md, "Retention and anonymisation").
"""
from __future__ import annotations

from django.db import transaction

from kadun.accounts.errors import AccountNotClosable
from kadun.accounts.models import ApiKey, User
from kadun.core import clock


def anonymous_name(user_id: int) -> str:
    return f"已注销用户#{user_id}"


def account_anonymise(*, user: User, actor) -> User:
    """Erase the user's personal data (the user, or staff for them: ``actor``). Refused, changing
    nothing, for a shop owner (a merchant's identity is kept by law, 电子商务法 §27) and while the
    wallet holds money (paid out first)."""
    from kadun.evidence import services as evidence
    from kadun.evidence.registry import Fact
    from kadun.inventory import services as inventory
    from kadun.ledger import accounts as codes
    from kadun.ledger.selectors import balance_of
    from kadun.notifications import selectors as notification_reads
    from kadun.notifications import services as notifications
    from kadun.orders import services as orders

    if getattr(user, "shop", None) is not None:
        raise AccountNotClosable("merchant_account_not_closable", "店铺账户不能直接注销：商家身份信息须依法保存，请联系平台。")
    if balance_of(codes.buyer_wallet(user.pk)):
        raise AccountNotClosable(message="平台余额不为零，请先使用或提现后再注销账户。")
    with transaction.atomic():
        for channel in notification_reads.channels_of(user=user):
            notifications.channel_delete(user=user, channel_id=channel.pk)
        ApiKey.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=clock.now())
        reveals = inventory.reveals_anonymise(user_id=user.pk)
        erased_orders = orders.orders_anonymise_buyer(buyer_id=user.pk)
        user.username = anonymous_name(user.pk)
        user.email = user.first_name = user.last_name = user.contact = ""
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["username", "email", "first_name", "last_name", "contact", "is_active", "password"])
        evidence.record_fact(Fact(
            kind="account.anonymised", subject_type="account", subject_id=user.pk,
            actor_role="staff" if getattr(actor, "pk", None) != user.pk else "buyer", actor_id=getattr(actor, "pk", None),
            body={"user": user.pk, "reveals_erased": reveals, "orders_erased": erased_orders, "at": clock.now().isoformat()},
        ))
    return user
