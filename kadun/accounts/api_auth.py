"""Who is calling the API. (The error shape every endpoint shares is ``kadun.core.api_errors``.)

Three ways in, tried in this order:

1. ``Authorization: Bearer kd_...`` — an API key (``accounts.services.api_key_verify``).
   A bearer key that does not authenticate (unknown, revoked, user disabled) is a 401 at once;
   it never falls through to the anonymous caller. A key is also checked against the endpoint's
   side: ``buyer`` endpoints (checkout, orders, reveals, refund requests) and ``merchant``
   endpoints (``/api/merchant/...``) need that scope, or its ``:read`` variant for GET; a key
   without it is a 403 ``api_key_scope`` at once. Public reads take any key. Sessions have no
   scopes: the website can do what its user can.
2. The Django session cookie. A logged-in session must pass Django's CSRF check on unsafe
   methods (POST, PATCH, DELETE), exactly as a form would; failing it is a 403, never a
   fallback to "anonymous". A session that is not logged in carries no authority here and is
   skipped (guest order grants held in a session are honoured by the pages, not by the API).
3. ``X-Order-Token`` — a guest's order access token, for the order endpoints. Only
   ``orders.selectors.order_access`` decides what it opens.

Endpoints open to everyone list ``anonymous`` last: it always succeeds with a caller that has
no user. Handlers read ``request.auth`` (a ``Caller``), never ``request.user``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ninja.security import APIKeyHeader, HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth
from ninja.utils import check_csrf

from kadun.accounts.errors import ApiKeyScopeMissing
from kadun.accounts.services import api_key_verify
from kadun.accounts.states import scope_roles, scopes_allow
from kadun.core.errors import DomainError, Forbidden

ORDER_TOKEN_HEADER = "X-Order-Token"


class InvalidApiKey(DomainError):
    code = "invalid_api_key"
    status = 401
    message = "API 密钥无效或已被撤销。"


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    message = "CSRF 校验失败：请刷新页面后重试，或改用 API 密钥。"


class SessionRequired(Forbidden):
    code = "session_required"
    message = "此操作需要在网页登录状态下进行，不能使用 API 密钥。"


@dataclass(frozen=True)
class Caller:
    """The authenticated party of one API request."""

    user: Any = None
    via: str = "anonymous"  # api_key / session / order_token / anonymous
    # The roles the caller may act in on an order (orders.selectors.Viewer.roles): an API key's
    # scopes name them (a buyer key is never its user's shop, nor staff); None for a session: the
    # website can do what its user can.
    roles: frozenset[str] | None = None

    @property
    def authenticated(self) -> bool:
        return self.user is not None and getattr(self.user, "is_authenticated", False)


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer kd_...``; with ``scope`` (buyer / merchant), only a key that has
    it (or, for GET, its ``:read`` variant).

    ``sides`` (buyer and merchant), for an endpoint either side of an order uses (a case, its
    thread): a key that has one of them for this method, acting only in the roles it has for
    this method — a key with ``buyer`` and ``merchant:read`` writes as the buyer only."""

    def __init__(self, scope: str | None = None, *, sides: tuple[str, ...] = ()):
        super().__init__()
        self.scope = scope
        self.sides = sides

    def authenticate(self, request, token: str) -> Caller:
        key = api_key_verify((token or "").strip())
        if key is None:
            raise InvalidApiKey()
        if self.scope and not scopes_allow(key.scopes, self.scope, request.method):
            raise ApiKeyScopeMissing()
        roles = scope_roles(key.scopes)
        if self.sides:
            roles = frozenset(side for side in self.sides if scopes_allow(key.scopes, side, request.method))
            if not roles:
                raise ApiKeyScopeMissing()
        return Caller(user=key.user, via="api_key", roles=roles)


class SessionAuth(NinjaSessionAuth):
    """ninja's session auth, with CSRF enforced for logged-in sessions on unsafe methods.

    ninja's own class runs the CSRF check before it knows whether anyone is logged in, which
    would refuse a cookie-less guest client (nothing to forge) on every POST. Here the check
    runs whenever the cookie carries a logged-in user — the only case a forged cross-site
    request could borrow — and a failure stops the request."""

    def __call__(self, request) -> Caller | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise CsrfFailed()
        return Caller(user=user, via="session")


class OrderTokenAuth(APIKeyHeader):
    """``X-Order-Token``: a guest's order access token (checked against the order later)."""

    param_name = ORDER_TOKEN_HEADER

    def authenticate(self, request, key: str | None) -> Caller | None:
        return Caller(via="order_token") if key else None


class AnonymousAuth:
    """Last in the list of an endpoint open to everyone: always a caller, without a user."""

    def __call__(self, request) -> Caller:
        return Caller()


class NoApiKey:
    """First in a staff endpoint's list: a bearer API key is refused outright (403
    ``session_required``) — staff decisions are made on the website's session only."""

    def __call__(self, request):
        if request.headers.get("Authorization", "").strip().lower().startswith("bearer"):
            raise SessionRequired()
        return None


api_key = ApiKeyAuth()  # any key: public reads
buyer_key = ApiKeyAuth("buyer")
merchant_key = ApiKeyAuth("merchant")
party_key = ApiKeyAuth(sides=("buyer", "merchant"))  # either side of an order (cases)
session = SessionAuth()
order_token = OrderTokenAuth()
anonymous = AnonymousAuth()

PUBLIC_AUTH = [api_key, session, anonymous]
CHECKOUT_AUTH = [buyer_key, session, anonymous]
ORDER_AUTH = [buyer_key, session, order_token, anonymous]
PARTY_AUTH = [party_key, session, order_token, anonymous]  # the order's buyer or its merchant
MERCHANT_AUTH = [merchant_key, session]
STAFF_SESSION_AUTH = [NoApiKey(), session]  # staff consoles' API: the logged-in staff member, never a key
USER_AUTH = MERCHANT_AUTH  # the old name: every endpoint that used it is a merchant one
# OpenAPI: an empty security requirement marks credentials as optional.
OPTIONAL_AUTH = {"security": [{}]}


def caller_of(request) -> Caller:
    return getattr(request, "auth", None) or Caller()


def order_token_of(request) -> str | None:
    return (request.headers.get(ORDER_TOKEN_HEADER) or "").strip() or None


def require_session(request) -> Caller:
    caller = caller_of(request)
    if caller.via != "session":
        raise SessionRequired()
    return caller

