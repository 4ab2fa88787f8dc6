"""The account's API: its API keys (/api/account/api-keys), for every logged-in user.

The same keys as the 「API 密钥」 page, under the same rule: buyer scopes for everyone, merchant
scopes only for a shop's owner (``merchants.selectors.api_scopes_for``); anything else is 422
``invalid_scopes``. Listing takes the session or any key of the user; creating and revoking need
the website's session (a leaked key can neither mint new keys nor revoke the owner's others).
"""
from typing import Literal

from ninja import Field, Router, Schema
from ninja.responses import Status

from kadun.accounts.errors import InvalidScopes
from kadun.accounts.selectors import api_keys_of
from kadun.accounts.services import api_key_create, api_key_revoke
from kadun.accounts.api_auth import api_key, caller_of, require_session, session
from kadun.core.api_errors import errors
from kadun.merchants.schemas import ApiKeyCreatedOut, ApiKeyOut
from kadun.merchants.selectors import api_scopes_for

router = Router(tags=["account"], auth=[api_key, session])


class AccountApiKeyIn(Schema):
    name: str = Field("API key", max_length=60)
    scopes: list[Literal["buyer", "buyer:read", "merchant", "merchant:read"]] = Field(
        ["buyer"], min_length=1, description="buyer：下单、订单、卡密、退款申请；merchant（仅店主）：店铺、商品、订单、余额、退款处理；:read 只读"
    )


@router.get("/api-keys", response={200: list[ApiKeyOut], **errors(401)}, summary="我的 API 密钥")
def api_key_list(request):
    return list(api_keys_of(user=caller_of(request).user))


@router.post(
    "/api-keys",
    response={201: ApiKeyCreatedOut, **errors(401, 403, 422)},
    summary="创建 API 密钥",
    description="只能在网页登录状态下创建。买家权限人人可选，商家权限仅限店主（否则 422 invalid_scopes）。完整密钥只返回这一次。",
)
def api_key_new(request, data: AccountApiKeyIn):
    caller = require_session(request)
    if not set(data.scopes) <= set(api_scopes_for(caller.user)):
        raise InvalidScopes(message="商家权限仅限已开通店铺的账户。")
    key, secret = api_key_create(user=caller.user, name=data.name, scopes=data.scopes)
    request.kadun_sensitive = True
    return Status(201, {"key": key, "secret": secret})


@router.delete("/api-keys/{int:key_id}", response={204: None, **errors(401, 403, 404)}, summary="吊销 API 密钥")
def api_key_delete(request, key_id: int):
    caller = require_session(request)
    api_key_revoke(user=caller.user, key_id=key_id)
    return Status(204, None)
