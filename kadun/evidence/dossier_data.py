"""What the complaint dossier (投诉材料) says, read from the order, its cases, the frozen rules and
the evidence log — plain data, rendered by ``dossier.py``. Everything is in Chinese (the
dossier goes to a regulator or a court in China), whatever the page language was."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation

from kadun.catalog import policies
from kadun.core.money import fen_to_yuan
from kadun.evidence import bundle

EVIDENCE_KINDS = {
    "order.created": "下单", "order.paid": "付款", "order.delivered": "发货", "order.confirmed": "确认收货",
    "order.refunded": "退款", "order.event": "订单记录", "checkout.confirmed": "下单时的确认", "key.delivered": "卡密发货",
    "key.revealed": "查看卡密", "key.withdrawn": "卡密作废", "verify.report": "验货报告", "payment.notified": "支付通知",
    "refund.requested": "退款申请", "refund.answered": "商家答复", "refund.evidence": "退款证据", "refund.paid": "退款到账",
    "case.opened": "售后工单提交", "case.message": "工单消息", "case.event": "工单记录", "case.offer": "商家方案",
    "case.decided": "平台裁决", "case.appeal_decided": "申诉裁决", "case.closed": "结案", "case.sla_breach": "平台超时",
    "merchant.breach": "商家违约",
}


@dataclass
class Dossier:
    order_no: str
    generated_at: str
    grounds: list[str]
    platform: list[tuple[str, str]]
    merchant: list[tuple[str, str]]
    buyer: list[tuple[str, str]]
    facts: list[tuple[str, str]]
    rules_title: str
    clauses: list[str]
    rules_check: str
    confirmations: list[str]
    timeline: list[tuple[str, str]]
    evidence: list[tuple[str, str, str, str]]
    decisions: list[list[tuple[str, str]]]
    verify: list[tuple[str, str]]
    notes: list[str] = field(default_factory=list)


def _t(value) -> str:
    if not value:
        return "—"
    return value.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")


def _yuan(fen: int) -> str:
    return f"¥{fen_to_yuan(fen)}"


def platform_identity() -> list[tuple[str, str]]:
    return [
        ("名称", settings.KADUN_PLATFORM_LEGAL_NAME), ("地址", settings.KADUN_PLATFORM_ADDRESS),
        ("联系方式", settings.KADUN_PLATFORM_CONTACT), ("ICP 备案", settings.KADUN_PLATFORM_ICP),
    ]


def merchant_identity(shop) -> list[tuple[str, str]]:
    """The merchant as the dossier names it: the shop, and the legal identity the platform
    verified (资质审核) — name in full, a company's licence number in full, a person's ID masked —
    which the platform must disclose to a consumer whose rights are at stake."""
    from kadun.merchants.onboarding_selectors import identity_for_complaint

    owner = shop.owner
    rows = [("店铺名称", shop.name), ("店铺编号", str(shop.pk))]
    identity = identity_for_complaint(shop)
    if identity is None:
        rows.append(("经营主体", "未经平台实名审核"))
    else:
        rows += [("经营主体", f"{identity['entity_label']} · {identity['legal_name']}"), (identity["number_label"], identity["number"]),
                 ("实名审核通过", identity["approved_at"].strftime("%Y-%m-%d") if identity["approved_at"] else "")]
    return rows + [("联系方式（商家自填）", owner.contact or "未填写"), ("平台账号", owner.username)]


def _mask(contact: str) -> str:
    if "@" in contact:
        name, _at, host = contact.partition("@")
        return f"{name[:1]}***@{host}"
    return contact[:3] + "****" + contact[-2:] if len(contact) > 5 else "****"


def buyer_identity(order) -> list[tuple[str, str]]:
    if order.buyer_id:
        return [("买家", f"注册用户 {order.buyer.username}（编号 {order.buyer_id}）")]
    return [("买家", "游客（凭订单号与查询密码访问）"), ("联系方式", _mask(order.contact or ""))]


def order_facts(order) -> list[tuple[str, str]]:
    return [
        ("订单号", order.order_no), ("商品", f"{order.title} × {order.quantity}"),
        ("发货方式", "自动发卡密" if order.is_auto else "商家人工服务"),
        ("单价", _yuan(order.unit_price)), ("实付金额", _yuan(order.amount)), ("已退金额", _yuan(order.refunded_amount)),
        ("订单状态", str(order.get_status_display())), ("下单时间", _t(order.created_at)), ("付款时间", _t(order.paid_at)),
        ("发货时间", _t(order.delivered_at)), ("确认收货时间", _t(order.confirmed_at)), ("退款时间", _t(order.refunded_at)),
    ]


def _rules(order) -> tuple[str, list[str], str]:
    snapshot = order.policy_snapshot or {}
    if not snapshot:
        return "下单时的退款规则", ["（本订单没有冻结的退款规则）"], ""
    ok = policies.verify_snapshot(snapshot, order.policy_hash)
    check = f"SHA-256 {order.policy_hash}：" + ("与订单保存的规则一致，下单后未被修改。" if ok else "与保存的规则不一致！")
    clauses = [f"第{c['no']}条　{c['text']}" for c in snapshot.get("clauses", [])]
    return f"下单时的退款规则（版本 {snapshot.get('policy_version', '?')}，下单时冻结）", clauses, check


def _confirmations(order) -> list[str]:
    from kadun.orders import selectors as orders

    return [f"{_t(c.at)}，{'通过 API' if c.channel == 'api' else '在下单页'}确认：「{c.text}」（SHA-256 {c.text_sha256}）"
            for c in orders.checkout_confirmations_of(order)]


def _timeline(order, role: str) -> list[tuple[str, str]]:
    from kadun.cases import selectors as cases
    from kadun.cases.states import Party, label
    from kadun.orders import selectors as orders

    rows = [(e.at, f"订单 · {e.get_actor_display()} · {e.label}" + (f" · {e.note}" if e.note else "")) for e in orders.events_of(order)]
    for case in cases.cases_of_order(order):
        for e in cases.timeline(case, role=role):
            rows.append((e.at, f"工单 {case.case_no} · {label(Party, e.party)} · {e.note or e.kind}"))
    rows.sort(key=lambda row: row[0])
    return [(_t(at), text) for at, text in rows]


def _decisions(order) -> list[list[tuple[str, str]]]:
    from kadun.cases import selectors as cases
    from kadun.cases.states import Fault, Remedy, label

    out = []
    for case in cases.cases_of_order(order):
        for d in cases.decisions(case):
            rows = [
                ("工单", f"{case.case_no}（{'申诉复核裁决，终局' if d.appeal else '平台裁决'}）"), ("裁决时间", _t(d.created_at)),
                ("裁决结果", label(Remedy, d.remedy) + (f" {_yuan(d.amount)}" if d.amount else "")), ("责任认定", label(Fault, d.fault)),
                ("理由", d.reasons), ("引用条款", "、".join(f"第{n}条" for n in d.clauses) or "—"),
                ("引用证据", "、".join(f"#{n}" for n in d.evidence) or "—"), ("生效时间", _t(d.effective_at)),
            ]
            out.append(rows)
    return out


def _evidence(contents: bundle.Contents) -> list[tuple[str, str, str, str]]:
    rows = []
    for e in contents.entries:
        seq = f"{e.leaf_index}" if e.leaf_index is not None else f"待收录（#{e.pk}）"
        rows.append((seq, EVIDENCE_KINDS.get(e.kind, e.kind), _t(e.created_at), e.content_hash))
    return rows


def _verify(contents: bundle.Contents) -> list[tuple[str, str]]:
    head = contents.head or {}
    keys = [k["key_id"] for k in (contents.keys or {}).get("keys", [])]
    return [
        ("存证包文件", contents.filename), ("下载", "订单页或工单页的「下载存证包」"),
        ("校验命令", f"python -m kadun.evidence.offline {contents.filename}（或包内的 verify.py）"),
        ("平台公钥 key_id", head.get("key_id") or (keys[0] if keys else "—")), ("公钥公布地址", f"{settings.SITE_URL}/transparency/keys.json"),
        ("签名树头 tree_size", str(head.get("tree_size", "—"))), ("签名树头 root_hash", head.get("root_hash", "—")),
        ("树头时间", head.get("timestamp", "—")),
    ]


def dossier_of(order, *, role: str, grounds: set[str]) -> Dossier:
    """The dossier's content for ``order`` as a viewer in ``role`` (buyer or staff) may see it."""
    from kadun.core import clock
    from kadun.evidence.selectors_downloads import GROUND_LABELS

    with translation.override("zh-hans"):
        contents = bundle.collect(order=order, role=role)
        title, clauses, check = _rules(order)
        return Dossier(
            order_no=order.order_no, generated_at=_t(clock.now()), grounds=[GROUND_LABELS[g] for g in sorted(grounds)],
            platform=platform_identity(), merchant=merchant_identity(order.shop), buyer=buyer_identity(order), facts=order_facts(order),
            rules_title=title, clauses=clauses, rules_check=check, confirmations=_confirmations(order), timeline=_timeline(order, role),
            evidence=_evidence(contents), decisions=_decisions(order), verify=_verify(contents),
            notes=[f"{len(contents.unavailable)} 个被引用的附件在存储中缺失或与记录的哈希不符，未能附上。"] if contents.unavailable else [],
        )
