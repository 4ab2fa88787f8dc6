"""资质审核 and badges over the API.

- ``/merchant/onboarding``: the merchant's review status; submit an application (multipart:
  the fields, ``licence`` and one ``proof_<category>_<kind>`` file per required proof).
- ``/staff/onboarding/...``: risk staff (risk / admin) on the website's session only — a bearer
  key is 403 ``session_required`` (a key never carries a staff role): the queue, an application
  with its identity in clear (each read recorded), approve, reject; 官方直营 (admin only).
- ``/shops/{id}``: a verified shop's public profile (badges, the identity 电子商务法 has shown).
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from ninja import Field, Router, Schema
from ninja.responses import Status

from kadun.accounts.api_auth import MERCHANT_AUTH, PUBLIC_AUTH, STAFF_SESSION_AUTH, caller_of
from kadun.core import clock
from kadun.core.api_errors import errors
from kadun.core.errors import NotFound
from kadun.merchants import badges_official, badges_selectors, onboarding
from kadun.merchants import onboarding_selectors as reads
from kadun.merchants.onboarding_forms import proof_field_name
from kadun.merchants.onboarding_errors import NotRiskStaff
from kadun.merchants.selectors import shop_of

router = Router(tags=["onboarding"])


STAFF_AUTH = STAFF_SESSION_AUTH


class BadgeOut(Schema):
    kind: str = Field(description="verified 已认证 / gold 金牌商家 / official 官方直营")
    label: str


class IdentityOut(Schema):
    entity_type: str
    name: str = Field(description="企业名称，或脱敏的个人姓名")
    number: str = Field(description="脱敏的统一社会信用代码（企业）；个人为空")


class StatusOut(Schema):
    state: str = Field(description="none / pending / rejected / approved / change_pending / change_rejected")
    verified: bool
    selling: bool
    reason: str = ""
    application_id: Optional[int] = None
    identity: Optional[IdentityOut] = None
    badges: list[BadgeOut]


class ApplicationOut(Schema):
    id: int
    shop_id: int
    shop_name: str
    kind: str
    status: str
    entity_type: str
    display_name: str
    number_masked: str
    categories: list[str]
    rules_version: int
    submitted_at: dt.datetime
    decided_at: Optional[dt.datetime]
    reason: str


class ApplicationDetailOut(ApplicationOut):
    legal_name: str = Field(description="明文，仅风控可见，每次读取都有记录")
    number: str
    contact: str


class ReasonIn(Schema):
    reason: str = Field("", max_length=500)


class ShopPublicOut(Schema):
    id: int
    name: str
    age_days: int
    badges: list[BadgeOut]
    identity: Optional[IdentityOut]
    selling: bool


class AuthorisationOut(Schema):
    id: int
    shop_id: int
    brand: str
    granted_at: dt.datetime
    revoked_at: Optional[dt.datetime]


def _application_out(a) -> dict:
    return {
        "id": a.pk, "shop_id": a.shop_id, "shop_name": a.shop.name, "kind": a.kind, "status": a.status, "entity_type": a.entity_type,
        "display_name": a.display_name, "number_masked": a.number_masked, "categories": a.categories,
        "rules_version": a.rules_version.version, "submitted_at": a.submitted_at, "decided_at": a.decided_at, "reason": a.reason,
    }


def _risk(request):
    user = caller_of(request).user
    if not onboarding.is_risk_staff(user):
        raise NotRiskStaff()
    request.kadun_sensitive = True
    return user


# --- the merchant --------------------------------------------------------------------------


def _status(shop) -> dict:
    status = reads.status_of(shop)
    latest = status["latest"]
    return {
        "state": status["state"], "verified": status["verified"], "selling": status["selling"],
        "reason": latest.reason if latest else "", "application_id": latest.pk if latest else None,
        "identity": status["identity"], "badges": badges_selectors.badges_of(shop.pk),
    }


@router.get("/merchant/onboarding", auth=MERCHANT_AUTH, response={200: StatusOut, **errors(401, 403)}, summary="资质审核进度")
def status(request):
    return _status(shop_of(caller_of(request).user))


@router.post(
    "/merchant/onboarding", auth=MERCHANT_AUTH, response={201: StatusOut, **errors(400, 401, 403, 409, 422)}, summary="提交资质",
    description="multipart/form-data：entity_type（person / company）、legal_name、number、contact、categories（可多个）、"
    "licence（图片）、每个所选类目要求的 proof_<类目>_<证明类型>（图片）、rules_sha256（当前规则版本的哈希，见 /rules/merchants/）、accept_rules=true。",
)
def submit(request):
    shop = shop_of(caller_of(request).user)
    post, files = request.POST, request.FILES
    from kadun.merchants import rules

    proofs = {}
    for category, kinds in rules.proofs_required().items():
        for kind in kinds:
            if proof_field_name(category, kind) in files:
                proofs[(category, kind)] = files[proof_field_name(category, kind)]
    onboarding.application_submit(
        shop=shop, entity_type=post.get("entity_type", ""), legal_name=post.get("legal_name", ""), number=post.get("number", ""),
        contact=post.get("contact", ""), categories=post.getlist("categories"), licence=files.get("licence"), proofs=proofs,
        rules_sha256=post.get("rules_sha256", ""), accept_rules=post.get("accept_rules", "").lower() in ("true", "1", "on"),
    )
    request.kadun_sensitive = True
    return Status(201, _status(shop_of(caller_of(request).user)))


# --- staff ---------------------------------------------------------------------------------


@router.get("/staff/onboarding/applications", auth=STAFF_AUTH, response={200: list[ApplicationOut], **errors(401, 403)}, summary="平台：待审核资质")
def queue(request):
    _risk(request)
    return [_application_out(a) for a in reads.queue().select_related("rules_version")[:200]]


@router.get("/staff/onboarding/applications/{int:application_id}", auth=STAFF_AUTH,
            response={200: ApplicationDetailOut, **errors(401, 403, 404)}, summary="平台：资质申请（明文身份，记录查看）")
def detail(request, application_id: int):
    user = _risk(request)
    application = reads.application_get(application_id)
    identity = onboarding.identity_reveal(application_id=application.pk, viewer=user)
    return {**_application_out(application), "legal_name": identity["legal_name"], "number": identity["number"], "contact": application.contact}


@router.post("/staff/onboarding/applications/{int:application_id}/approve", auth=STAFF_AUTH,
             response={200: ApplicationOut, **errors(401, 403, 404, 409, 422)}, summary="平台：通过资质审核")
def approve(request, application_id: int, data: ReasonIn):
    user = _risk(request)
    onboarding.application_approve(application_id=application_id, actor=user, reason=data.reason)
    return _application_out(reads.application_get(application_id))


@router.post("/staff/onboarding/applications/{int:application_id}/reject", auth=STAFF_AUTH,
             response={200: ApplicationOut, **errors(400, 401, 403, 404, 409, 422)}, summary="平台：驳回资质申请")
def reject(request, application_id: int, data: ReasonIn):
    user = _risk(request)
    onboarding.application_reject(application_id=application_id, actor=user, reason=data.reason)
    return _application_out(reads.application_get(application_id))


@router.post("/staff/shops/{int:shop_id}/official", auth=STAFF_AUTH, response={201: AuthorisationOut, **errors(400, 401, 403, 404, 422)},
             summary="平台：授予官方直营（管理员）", description="multipart/form-data：brand、document（品牌方授权文件图片）。")
def official_grant(request, shop_id: int):
    user = _risk(request)
    row = badges_official.official_grant(shop_id=shop_id, brand=request.POST.get("brand", ""), document=request.FILES.get("document"), actor=user)
    return Status(201, {"id": row.pk, "shop_id": row.shop_id, "brand": row.brand, "granted_at": row.granted_at, "revoked_at": row.revoked_at})


@router.post("/staff/official/{int:authorisation_id}/revoke", auth=STAFF_AUTH, response={200: AuthorisationOut, **errors(400, 401, 403, 404, 422)},
             summary="平台：撤销官方直营（管理员）")
def official_revoke(request, authorisation_id: int, data: ReasonIn):
    user = _risk(request)
    row = badges_official.official_revoke(authorisation_id=authorisation_id, actor=user, reason=data.reason)
    return {"id": row.pk, "shop_id": row.shop_id, "brand": row.brand, "granted_at": row.granted_at, "revoked_at": row.revoked_at}


# --- public --------------------------------------------------------------------------------


@router.get("/shops/{int:shop_id}", auth=PUBLIC_AUTH, response={200: ShopPublicOut, **errors(404)}, summary="店铺公示信息")
def shop_public(request, shop_id: int):
    shop = reads.shop_public(shop_id)
    if shop is None:
        raise NotFound("shop_not_found", "店铺不存在。")
    return {
        "id": shop.pk, "name": shop.name, "age_days": (clock.now() - shop.created_at).days, "badges": badges_selectors.badges_of(shop.pk),
        "identity": reads.identity_public(shop), "selling": shop.selling_blocks == 0,
    }
