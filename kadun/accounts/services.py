"""Writes for accounts: users, API keys."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from kadun.accounts.errors import ApiKeyNotFound, InvalidScopes
from kadun.accounts.models import ApiKey, User
from kadun.accounts.states import ApiScope
from kadun.core import clock
from kadun.core.errors import InvalidInput
from kadun.ledger import services as ledger

API_KEY_PREFIX = "kd_"


def user_create(*, username: str, password: str, email: str = "", staff_role: str = "", contact: str = "") -> User:
    username = (username or "").strip()
    if not username or len(username) > 150:
        raise InvalidInput("invalid_username", "用户名不能为空，且不超过150个字符。")
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput("username_taken", "该用户名已被注册。")
    try:
        validate_password(password, User(username=username, email=email))
    except ValidationError as exc:
        raise InvalidInput("weak_password", "密码不符合要求：" + "；".join(exc.messages)) from exc
    with transaction.atomic():
        user = User(username=username, email=email, staff_role=staff_role, contact=contact)
        user.set_password(password)
        user.save()
        ledger.accounts_open_for_buyer(user_id=user.pk)
    return user


def user_make_superuser(*, user_id: int) -> None:
    """Django admin rights (the operator's own account; the demo's admin)."""
    User.objects.filter(pk=user_id).update(is_staff=True, is_superuser=True)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# What a key made by code that names no scopes may do: everything, as every key could before
# scopes existed. The merchant page and the API always pass the scopes the person chose.
ALL_SCOPES = (ApiScope.BUYER.value, ApiScope.MERCHANT.value)


def _clean_scopes(scopes) -> list[str]:
    chosen = [str(s) for s in scopes or []]
    if not chosen or any(s not in ApiScope.values for s in chosen):
        raise InvalidScopes()
    return [s for s in ApiScope.values if s in chosen]  # one order, no duplicates


def api_key_create(*, user: User, name: str, scopes=ALL_SCOPES) -> tuple[ApiKey, str]:
    """Returns the key row and the full secret, which is shown once and never stored."""
    name = (name or "").strip()[:60] or "API key"
    scopes = _clean_scopes(scopes)
    prefix = secrets.token_hex(6)
    secret = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(user=user, name=name, prefix=prefix, secret_hash=_hash(secret), scopes=scopes, created_at=clock.now())
    return key, secret


def api_key_revoke(*, user: User, key_id: int) -> None:
    updated = ApiKey.objects.filter(pk=key_id, user=user, revoked_at__isnull=True).update(revoked_at=clock.now())
    if not updated:
        raise ApiKeyNotFound()


def api_key_verify(secret: str) -> ApiKey | None:
    """The live key (with its user) that ``secret`` is, or None."""
    if not secret or not secret.startswith(API_KEY_PREFIX):
        return None
    prefix = secret[len(API_KEY_PREFIX):].split("_", 1)[0]
    key = ApiKey.objects.select_related("user").filter(prefix=prefix, revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(secret)) or not key.user.is_active:
        return None
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=clock.now())
    return key


def api_key_authenticate(secret: str) -> User | None:
    key = api_key_verify(secret)
    return key.user if key else None


# 注销账户: kadun.accounts.anonymise (identity erased, transaction records kept).
from kadun.accounts.anonymise import account_anonymise  # noqa: E402,F401
