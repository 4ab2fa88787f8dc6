"""平台规则 for merchants: one text, built from the settings the code enforces, versioned by its
hash. The application form shows the current version; submitting records which version the
merchant accepted and when. Change a number in settings (or the text here) and the next read
publishes a new version — nothing is edited in place."""
from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max

from kadun.catalog.states import Category
from kadun.core import clock
from kadun.merchants.models_onboarding import RulesVersion
from kadun.merchants.onboarding_states import ProofKind


def proofs_required() -> dict[str, list[str]]:
    """Category → the proof kinds a shop must upload to sell in it (settings)."""
    return {c: list(kinds) for c, kinds in settings.KADUN_ONBOARDING_CATEGORY_PROOFS.items()}


def proof_rows() -> list[dict]:
    """Each category with the labels of the proofs it needs (the rules page, the form)."""
    needed = proofs_required()
    return [
        {"category": value, "label": str(label), "proofs": [{"kind": k, "label": str(ProofKind(k).label)} for k in needed.get(value, [])]}
        for value, label in Category.choices
    ]


def gold_criteria() -> dict:
    return dict(settings.KADUN_BADGE_GOLD)


def rules_text() -> str:
    """The rules as accepted (Chinese, the binding text). Numbers come from settings."""
    g = gold_criteria()
    proofs = "；".join(
        f"{row['label']}：{'、'.join(p['label'] for p in row['proofs'])}" for row in proof_rows() if row["proofs"]
    ) or "无"
    return "\n".join([
        "卡盾平台商家规则",
        "一、入驻：商家须提交真实的主体信息（个人：真实姓名与居民身份证号；企业：企业名称与统一社会信用代码）、"
        "证照图片与联系方式，经平台风控审核通过后方可上架销售。未通过审核的店铺，其商品不在平台展示，也不能下单。",
        f"二、经营类目：以下类目须提交相应的经营资质证明，审核通过后方可在该类目发布商品：{proofs}。",
        "三、主体信息变更：已通过审核的店铺变更主体信息须重新审核；审核期间店铺以原已认证的主体继续经营，"
        "审核通过后以新主体展示，未通过则维持原主体。",
        "四、信息公示：依《电子商务法》第十五条，平台在店铺主页公示经审核的主体信息（企业：企业名称及脱敏的统一社会信用代码；个人：脱敏的姓名）。",
        "五、标识：已认证——主体信息审核通过；"
        f"金牌商家——信用分不低于{g['credit_min']}分、经营满{g['age_days']}天、近{g['orders_days']}天确认收货订单不少于{g['orders_min']}笔、"
        f"保证金不低于应缴额的{g['deposit_multiple']}倍、近{g['warning_free_days']}天内无警告；"
        "官方直营——提交品牌方授权文件，经平台管理员核实后授予，授权失效或撤销即取消。"
        "标识每日及在相关事件发生时自动重新计算，不再满足条件即自动取消。",
        "六、商家须遵守平台的退款规则、售后与保证金、信用分及处罚规则（见本规则页各部分）。",
    ])


def rules_current() -> RulesVersion:
    """The version of the current text, published now if this text has none yet."""
    text = rules_text()
    digest = hashlib.sha256(text.encode()).hexdigest()
    found = RulesVersion.objects.filter(sha256=digest).first()
    if found is not None:
        return found
    for _ in range(3):
        latest = RulesVersion.objects.aggregate(v=Max("version"))["v"] or 0
        try:
            with transaction.atomic():
                return RulesVersion.objects.create(version=latest + 1, text=text, sha256=digest, published_at=clock.now())
        except IntegrityError:  # published meanwhile (same text), or the number taken: read again
            found = RulesVersion.objects.filter(sha256=digest).first()
            if found is not None:
                return found
    raise RuntimeError("could not publish the rules version")
