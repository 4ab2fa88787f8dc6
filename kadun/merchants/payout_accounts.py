"""收款账户: where a shop's withdrawals go. Formats are checked (Alipay account, WeChat openid
under our appid, bank card by the Luhn check, USDT-TRC20 address by its base58check checksum), the holder's name must be the
shop's verified name (实名), and number and name are stored sealed, shown masked."""
from __future__ import annotations

import hashlib
import re

from django.db import transaction

from kadun.core import clock, sealed
from kadun.merchants.errors_funds import BadPayoutAccount, IdentityMismatch, PayoutAccountNotFound
from kadun.merchants.models_funds import PayoutAccount
from kadun.merchants.selectors_identity import verified_name
from kadun.merchants.states_funds import AccountKind

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_PHONE = re.compile(r"^1[3-9]\d{9}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[A-Za-z]{2,}$")
# An openid: the payee's id under our appid (28 characters of [A-Za-z0-9_-] in practice).
_OPENID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def luhn_ok(number: str) -> bool:
    if not number.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def trc20_ok(address: str) -> bool:
    """A TRON address: 34 base58 characters starting with T, decoding to 0x41 + 20 bytes + a
    4-byte checksum (the first 4 bytes of double SHA-256)."""
    if len(address) != 34 or not address.startswith("T") or any(c not in _B58 for c in address):
        return False
    n = 0
    for c in address:
        n = n * 58 + _B58.index(c)
    raw = n.to_bytes(25, "big") if n < 1 << 200 else b""
    if len(raw) != 25 or raw[0] != 0x41:
        return False
    return hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4] == raw[21:]


def _normalize(kind: str, number: str) -> str:
    number = (number or "").strip()
    if kind == AccountKind.ALIPAY:
        if not (_PHONE.match(number) or _EMAIL.match(number)):
            raise BadPayoutAccount("bad_alipay_account", "支付宝账号应为手机号或邮箱。")
        return number
    if kind == AccountKind.WECHAT:
        if not _OPENID.match(number):
            raise BadPayoutAccount("bad_wechat_openid", "微信收款需填写本平台公众号/小程序下的 openid（16–64 位字母、数字、_ 或 -）。")
        return number
    if kind == AccountKind.BANK:
        number = number.replace(" ", "")
        if not (16 <= len(number) <= 19 and luhn_ok(number)):
            raise BadPayoutAccount("bad_bank_card", "银行卡号无效（请检查位数）。")
        return number
    if kind == AccountKind.USDT:
        if not trc20_ok(number):
            raise BadPayoutAccount("bad_trc20_address", "USDT-TRC20 地址无效（应为 T 开头的 34 位地址）。")
        return number
    raise BadPayoutAccount("bad_account_kind", "不支持的收款方式。")


def mask_number(kind: str, number: str) -> str:
    if kind == AccountKind.ALIPAY and "@" in number:
        name, domain = number.split("@", 1)
        return name[:1] + "***@" + domain
    if kind in (AccountKind.USDT, AccountKind.WECHAT):
        return number[:4] + "…" + number[-4:]
    return number[:3] + "****" + number[-4:]


def mask_name(name: str) -> str:
    return "*" * (len(name) - 1) + name[-1:] if len(name) > 1 else "*"


def payout_account_add(*, shop_id: int, kind: str, number: str, holder_name: str, bank_name: str = "") -> PayoutAccount:
    """Add a payout account. Refused unless the shop's identity is verified and the holder's
    name is that verified name (None: not verified)."""
    number = _normalize(kind, number)
    holder_name = (holder_name or "").strip()
    verified = verified_name(shop_id)
    if verified is None:
        raise IdentityMismatch("identity_not_verified", "店铺尚未完成实名认证，不能添加收款账户。")
    if holder_name != verified.strip():
        raise IdentityMismatch()
    with transaction.atomic():
        return PayoutAccount.objects.create(
            shop_id=shop_id, kind=kind, sealed=sealed.seal({"number": number, "holder": holder_name, "bank": bank_name[:40]}),
            masked=mask_number(kind, number), holder_masked=mask_name(holder_name), created_at=clock.now(),
        )


def payout_account_remove(*, shop_id: int, account_id: int) -> None:
    if not PayoutAccount.objects.filter(pk=account_id, shop_id=shop_id, is_active=True).update(is_active=False):
        raise PayoutAccountNotFound()


def payout_accounts_of(shop_id: int):
    return PayoutAccount.objects.filter(shop_id=shop_id, is_active=True).order_by("id")


def payout_account_verified(account: PayoutAccount) -> bool:
    """The account's holder is (still) the shop's verified name."""
    verified = verified_name(account.shop_id)
    return verified is not None and sealed.unseal(account.sealed)["holder"] == verified.strip()


def payout_account_secret(account: PayoutAccount) -> dict:
    return sealed.unseal(account.sealed)


def payout_accounts_rotate() -> int:
    """Re-seal every payout account under the first key of KADUN_CARD_KEYS (``kadun rotate-keys``)."""
    done = 0
    for account in PayoutAccount.objects.only("id", "sealed").iterator():
        PayoutAccount.objects.filter(pk=account.pk, sealed=account.sealed).update(sealed=sealed.reseal(account.sealed))
        done += 1
    return done
