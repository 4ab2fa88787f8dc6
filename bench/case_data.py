"""Data for bench/cases.py: the template cases written through the services (``CASE_SEED``) and
the set-based SQL that copies them (``bench/generate.py``'s ``clone``) — cases waiting in two
stages for the sweeper (``sweeper_cases``), and cases over every stage for the pages
(``PageCases``)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as gen  # noqa: E402
import purchase as common  # noqa: E402

CASE_TABLES = (
    "cases_case", "cases_casewait", "cases_caseoffer", "cases_casemessage", "cases_caseevent", "cases_slaclock",
    "cases_evidencerequest", "cases_casedecision", "notifications_message", "deadlines_deadline",
)

CASE_SEED = r"""
import json, os, secrets
from kadun.accounts.models import User
from kadun.cases import negotiation, records, review, services, sla, thread
from kadun.cases.models import Case
from kadun.catalog.models import Product
from kadun.inventory.services import keys_import
from kadun.orders.models import Order
from kadun.orders.services import order_create
from kadun.payments.models import SandboxTrade
from kadun.payments.providers.sandbox import notification_params
from kadun.payments.services import notification_handle

t = json.loads(os.environ["BENCH_TEMPLATES"])
product = Product.objects.get(pk=t["product"])
buyer, merchant, staff = (User.objects.get(pk=t[k]) for k in ("buyer", "merchant", "staff"))
tag = secrets.token_hex(4)
report = keys_import(product=product, lines=[(i + 1, f"BENCH-CASE-{tag}-{i:04d}") for i in range(8)], source="cli")
assert report.imported == 8, report.as_dict()


def delivered():
    order, _, _ = order_create(product_id=product.pk, quantity=1, buyer=buyer, confirm_no_reason_exclusion=True)
    trade = SandboxTrade.objects.get(out_trade_no=order.payment.out_trade_no)
    assert notification_handle(provider="sandbox", params=notification_params(trade, status="SUCCESS")) == "delivered"
    return Order.objects.get(pk=order.pk)


def opened(kind, statement):
    return services.case_open(order=delivered(), kind=kind, statement=statement, remedy="full_refund", author=buyer)


def fresh(case):
    return Case.objects.get(pk=case.pk)


# A: waiting for the merchant (48 h: escalates to the platform by itself).
a = opened("key_problem", "卡密提示已被使用，无法充值，请处理")
# B: negotiating, the merchant's partial refund open (72 h of silence: accepted and paid).
b = opened("refund_dispute", "商品与描述不符，希望协商退款")
offer_b = negotiation.offer_make(case=b, remedy="partial_refund", amount=500, note="退一半，请确认", author=merchant)
# C: the whole way to an appeal: reply, offer, rejection, platform, staff reply, internal note,
# evidence asked and given, decided, appealed.
c = opened("refund_dispute", "充值后游戏内未到账，要求全额退款")
thread.message_post(order=c.order, party="merchant", author=merchant, body="卡密出库时有效，请提供充值失败的截图")
offer_c = negotiation.offer_make(case=fresh(c), remedy="partial_refund", amount=300, note="可以退三元作为补偿", author=merchant)
negotiation.offer_reject(case=fresh(c), offer_id=offer_c.pk, author=buyer, note="卡密确实不能用，不接受部分退款")
services.case_ask_platform(case=fresh(c), party="buyer", author=buyer)
thread.message_post(order=c.order, party="staff", author=staff, body="平台已介入，正在核实卡密使用记录，请双方耐心等待")
thread.message_post(order=c.order, party="staff", author=staff, body="内部备注：该店铺近期同类投诉较多", internal=True)
review.evidence_request(case=fresh(c), staff=staff, party="merchant", text="请提供该卡密的进货凭证和出库记录")
thread.message_post(order=c.order, party="merchant", author=merchant, body="进货凭证已上传，出库时卡密状态正常")
review.case_decide(case=fresh(c), arbitrator=staff, remedy="full_refund", fault="merchant",
                   reasons="卡密在买家首次查看前已被使用，验货记录为证", clauses=[1], evidence=[1, 2])
review.case_appeal(case=fresh(c), party="merchant", statement="买家查看后才反馈，卡密出库时有效，申请复核", author=merchant)
# D: an offer accepted (closed, partly refunded).
d = opened("refund_dispute", "充值到账金额不足，要求补偿")
offer_d = negotiation.offer_make(case=d, remedy="partial_refund", amount=400, author=merchant)
negotiation.offer_accept(case=fresh(d), offer_id=offer_d.pk, author=buyer)
print("BENCH-CASES " + json.dumps({
    "case_a": a.pk, "case_b": b.pk, "offer_b": offer_b.pk, "case_c": c.pk, "offer_c": offer_c.pk, "case_d": d.pk,
    "order_a": a.order_id, "order_b": b.order_id,
    "kinds": {"merchant": records.KIND_MERCHANT, "offer": records.KIND_OFFER, "effective": records.KIND_EFFECTIVE,
              "replacement": records.KIND_REPLACEMENT, "sla": sla.KIND_SLA},
}))
"""


def seed_cases(env: dict, templates: dict) -> dict:
    out = common.kadun(env, "shell", "-c", CASE_SEED, extra_env={"BENCH_TEMPLATES": json.dumps(templates)})
    line = next(line for line in out.splitlines() if line.startswith("BENCH-CASES "))
    return json.loads(line.split(" ", 1)[1])


def yuan(expr: str) -> str:
    """SQL for kadun.core.money.fen_to_yuan: 分 as '12.34'."""
    return f"trim(to_char(({expr}) / 100.0, '999999999990.00'))"


def case_no(id_expr: str, at_expr: str) -> str:
    """A case number shaped as the app's (CS + time + 8 hex characters), unique by the id."""
    return f"'CS' || to_char(({at_expr}) AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISS') || upper(lpad(to_hex({id_expr}), 8, '0'))"


# --- part A: cases waiting in two stages, for the sweeper --------------------------------------------


def sweeper_cases(g: gen.Generator, ct: dict, first: int, split: int, last: int) -> dict:
    """Cases on orders ``first..last``: ``first..split`` awaiting the merchant (opened 48 h ago),
    ``split+1..last`` negotiating with a partial refund open (offered 72 h ago). Case ``k`` (1..N)
    has id ``cbase + k``, waits ``wbase + 2k - 1`` (the merchant's reply) and ``wbase + 2k`` (the
    offer), offer ``obase + k``. Their deadlines are scheduled 30 days out until a run makes them due."""
    c = g.conn
    cbase, wbase, obase = (gen.max_id(c, t) for t in ("cases_case", "cases_casewait", "cases_caseoffer"))
    k = f"(o.id - {first} + 1)"
    kinds = ct["kinds"]
    orders_a = "orders_order o WHERE o.id BETWEEN %s AND %s"

    def cases() -> int:
        common_set = {"id": f"{cbase} + {k}", "order_id": "o.id", "shop_id": "o.shop_id", "amount_claimed": "o.amount",
                      "opened_at": "o.delivered_at + interval '1 hour'", "case_no": case_no(f"{cbase} + {k}", "o.delivered_at + interval '1 hour'")}
        n = gen.clone(c, "cases_case", template=f"id = {ct['case_a']}", from_=orders_a, params=(first, split), set_={
            **common_set, "deadline_at": "o.delivered_at + interval '49 hours'", "wait_id": f"{wbase} + 2 * {k} - 1",
        })
        n += gen.clone(c, "cases_case", template=f"id = {ct['case_b']}", from_=orders_a, params=(split + 1, last), set_={
            **common_set, "merchant_first_response_at": "o.delivered_at + interval '8 hours'",
            "deadline_at": "o.delivered_at + interval '80 hours'", "wait_id": f"{wbase} + 2 * {k}",
        })
        c.execute("UPDATE orders_order SET refund_hold = true WHERE id BETWEEN %s AND %s", (first, last))
        # The auto-confirm fired while the case held the order (outcome 'held'; re-armed when it closes).
        c.execute("""UPDATE deadlines_deadline SET fired_at = due_at, outcome = 'held', attempts = 1
                     WHERE kind = 'order_autoconfirm' AND subject_id BETWEEN %s AND %s""", (first, last))
        return n

    new = f"cases_case x JOIN orders_order o ON o.id = x.order_id WHERE x.id > {cbase}"
    is_b = f"x.id - {cbase} > {split - first + 1}"
    later = f"now() + interval '30 days' + (x.id - {cbase}) * interval '1 millisecond'"

    def offers() -> int:
        return gen.clone(c, "cases_caseoffer", template=f"id = {ct['offer_b']}", from_=f"{new} AND {is_b}", set_={
            "id": f"{obase} + x.id - {cbase}", "case_id": "x.id", "amount": "o.amount / 2", "answer_by": "x.deadline_at",
            "created_at": "x.merchant_first_response_at",
        })

    def waits() -> int:
        w = f"case_id = {ct['case_b']} AND kind = '%s'"
        n = gen.clone(c, "cases_casewait", template=w % kinds["merchant"], from_=new, set_={
            "id": f"{wbase} + 2 * (x.id - {cbase}) - 1", "case_id": "x.id", "ref_id": "x.id",
            "due_at": "x.opened_at + interval '48 hours'", "created_at": "x.opened_at",
        })
        n += gen.clone(c, "cases_casewait", template=w % kinds["offer"], from_=f"{new} AND {is_b}", set_={
            "id": f"{wbase} + 2 * (x.id - {cbase})", "case_id": "x.id", "ref_id": f"{obase} + x.id - {cbase}",
            "due_at": "x.deadline_at", "created_at": "x.merchant_first_response_at",
        })
        return n

    def deadlines() -> int:
        d = "kind = '%s' AND subject_id = (SELECT min(id) FROM cases_casewait WHERE case_id = {} AND kind = '%s')".format(ct["case_b"])
        waits_ = f"cases_casewait w JOIN cases_case x ON x.id = w.case_id WHERE w.id > {wbase} AND w.kind = %s"
        # The merchant's reply deadline: due (set by the run) for A; for B it fired as a no-op when the offer superseded it.
        n = gen.clone(c, "deadlines_deadline", template=d % (kinds["merchant"], kinds["merchant"]), from_=waits_, params=(kinds["merchant"],), set_={
            "subject_id": "w.id", "created_at": "w.created_at",
            "due_at": f"CASE WHEN {is_b} THEN w.due_at ELSE {later} END",
            "fired_at": f"CASE WHEN {is_b} THEN w.due_at END", "outcome": f"CASE WHEN {is_b} THEN 'noop' ELSE '' END",
            "attempts": f"CASE WHEN {is_b} THEN 1 ELSE 0 END",
        })
        n += gen.clone(c, "deadlines_deadline", template=d % (kinds["offer"], kinds["offer"]), from_=waits_, params=(kinds["offer"],), set_={
            "subject_id": "w.id", "created_at": "w.created_at", "due_at": later,
        })
        return n

    def thread_() -> int:
        n = 0
        for tmpl, cond in ((ct["case_a"], f"NOT ({is_b})"), (ct["case_b"], is_b)):
            n += gen.clone(c, "cases_casemessage", template=f"case_id = {tmpl}", from_=f"{new} AND {cond}", set_={
                "order_id": "o.id", "case_id": "x.id", "author_id": "o.buyer_id", "created_at": "x.opened_at",
            })
        return n

    def events() -> int:
        n = 0
        e = "case_id = %s AND kind = '%s'"
        owner = "(SELECT owner_id FROM merchants_shop s WHERE s.id = x.shop_id)"
        for tmpl, cond in ((ct["case_a"], f"NOT ({is_b})"), (ct["case_b"], is_b)):
            n += gen.clone(c, "cases_caseevent", template=e % (tmpl, "opened"), from_=f"{new} AND {cond}", set_={
                "case_id": "x.id", "actor_id": "o.buyer_id", "at": "x.opened_at",
            })
        n += gen.clone(c, "cases_caseevent", template=e % (ct["case_b"], "merchant_first_response"), from_=f"{new} AND {is_b}", set_={
            "case_id": "x.id", "actor_id": owner, "at": "x.merchant_first_response_at",
            "data": "jsonb_build_object('seconds', extract(epoch FROM x.merchant_first_response_at - x.opened_at)::int)",
        })
        n += gen.clone(c, "cases_caseevent", template=e % (ct["case_b"], "offer"), from_=f"{new} AND {is_b}", set_={
            "case_id": "x.id", "actor_id": owner, "at": "x.merchant_first_response_at",
            "note": f"'部分退款 ' || {yuan('o.amount / 2')} || ' 元：退一半，请确认'",
            "data": f"jsonb_build_object('offer', {obase} + x.id - {cbase})",
        })
        return n

    def inbox() -> int:
        m = "notifications_message"
        with_owner = new.replace("WHERE", "JOIN merchants_shop s ON s.id = x.shop_id WHERE")
        n = gen.clone(c, m, template="title LIKE '新售后工单待回复%%'", from_=with_owner, set_={
            "user_id": "s.owner_id", "title": "'新售后工单待回复：工单 ' || x.case_no", "link": "'/merchant/cases/' || x.case_no || '/'",
            "created_at": "x.opened_at", "read_at": "NULL",
        })
        n += gen.clone(c, m, template="title LIKE '商家提出了处理方案%%'", from_=f"{new} AND {is_b} AND o.buyer_id IS NOT NULL", set_={
            "user_id": "o.buyer_id", "title": "'商家提出了处理方案：工单 ' || x.case_no",
            "body": f"'部分退款 ' || {yuan('o.amount / 2')} || ' 元。请在 72 小时内答复，逾期视为接受。'",
            "link": "'/cases/' || x.case_no || '/'", "created_at": "x.merchant_first_response_at", "read_at": "NULL",
        })
        return n

    g.step("cases (holding their orders)", cases)
    g.step("offers", offers)
    g.step("waits", waits)
    g.step("case deadlines", deadlines)
    g.step("opening messages", thread_)
    g.step("case events", events)
    g.step("in-site messages", inbox)
    gen.fix_sequences(c, list(CASE_TABLES))
    c.commit()
    return {"cbase": cbase, "wbase": wbase, "obase": obase, "n": last - first + 1, "n_a": split - first + 1,
            "first": first, "split": split, "last": last}


# --- part B: cases over the stages, for the pages ------------------------------------------------
# Each generated case follows one path through the stages; its events, messages, offer, SLA
# clocks, evidence request and decision are the ones that path has written by then.

PATHS = {
    "am": ["opened"],                                                      # awaiting the merchant
    "ng": ["opened", "merchant_first_response", "negotiating", "offer"],   # negotiating, offer open
    "pp": ["opened", "escalated", "assigned"],                             # inquiry / complaint with the platform
    "ar": ["opened", "merchant_first_response", "negotiating", "offer", "offer_accepted", "replacement_promised"],
    "cw": ["opened", "merchant_first_response", "negotiating", "closed"],  # withdrawn after the merchant's reply
}
PATHS["pr"] = PATHS["ng"] + ["offer_rejected", "escalated", "assigned"]    # platform review after a rejected offer
PATHS["dc"] = PATHS["pr"] + ["evidence_requested", "evidence_answered", "decided"]  # decided, in the appeal window
PATHS["ap"] = PATHS["dc"] + ["appealed"]
PATHS["co"] = PATHS["ng"] + ["offer_accepted", "closed"]                  # closed on an accepted offer
PATHS["cr"] = PATHS["dc"] + ["closed"]                                    # closed on a decision
PATHS["cp"] = PATHS["pp"] + ["closed"]                                    # inquiry / complaint resolved
STATUS = {"am": "awaiting_merchant", "ng": "negotiating", "pp": "platform_review", "pr": "platform_review", "dc": "decided",
          "ap": "appealed", "ar": "awaiting_replacement", "co": "closed", "cw": "closed", "cr": "closed", "cp": "closed"}
AWAITING = {"am": "merchant", "ng": "buyer", "pp": "staff", "pr": "staff", "dc": "system", "ap": "staff", "ar": "merchant"}
PLATFORM = ("pp", "pr", "dc", "ap", "cr", "cp")
OPEN_PATHS = ("am", "ng", "pr", "pp", "dc", "ap", "ar")
PARTY = {"opened": "buyer", "merchant_first_response": "merchant", "negotiating": "merchant", "offer": "merchant",
         "offer_rejected": "buyer", "escalated": "buyer", "assigned": "staff", "evidence_requested": "staff",
         "evidence_answered": "merchant", "decided": "staff", "appealed": "merchant", "offer_accepted": "buyer",
         "replacement_promised": "system", "closed": "system"}
MESSAGES = {"am": 2, "ng": 4, "pp": 4, "pr": 6, "dc": 7, "ap": 8, "ar": 5, "co": 5, "cw": 4, "cr": 8, "cp": 5}
BODIES = {
    "buyer": ["卡密输入后提示已被使用，附上截图", "我是第一次查看这个卡密，确实不能用", "请尽快处理，着急使用", "不接受部分退款，要求全额退款"],
    "merchant": ["卡密出库时是有效的，请提供充值失败的截图", "已核实进货记录，我们可以补发一张", "请按说明在官网兑换，不是在游戏内", "可以退一部分作为补偿"],
    "staff": ["平台已介入，正在核实卡密使用记录，请双方耐心等待", "已收到双方材料，将在 24 小时内给出处理意见", "请商家提供该卡密的出库记录"],
    "note": ["内部备注：该店铺近期同类投诉较多", "内部备注：买家历史售后正常", "内部备注：已与商家电话沟通"],
}
STATEMENTS = {"key_problem": "卡密提示已被使用，无法充值，请处理", "refund_dispute": "商品与描述不符，希望协商退款",
              "service_dispute": "代充三天仍未到账，要求退款", "inquiry": "请问这个卡密在哪个区可以使用？",
              "complaint": "商家服务态度恶劣，拒绝回复消息"}
REASON = {"key_problem": "invalid_key", "refund_dispute": "other", "service_dispute": "not_delivered", "inquiry": "other", "complaint": "other"}


def when(path_expr: str, values: dict[str, str], default: str = "NULL") -> str:
    """SQL ``CASE <path> WHEN 'am' THEN … END`` over the paths in ``values``."""
    whens = " ".join(f"WHEN '{p}' THEN {v}" for p, v in values.items())
    return f"(CASE {path_expr} {whens} ELSE {default} END)" if whens else default


def at(kind: str, paths=None) -> str:
    """When the step ``kind`` happened on each plan row's path (NULL on paths without it)."""
    return when("p.path", {p: f"p.opened + p.span * {(steps.index(kind) + 1) / (len(steps) + 1):.4f}"
                           for p, steps in PATHS.items() if kind in steps and (paths is None or p in paths)})


def arr(items: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + x.replace("'", "''") + "'" for x in items) + "]"


class PageCases:
    """Cases for the pages benchmark on the orders of one round (``bench_case_plan`` holds the round's plan)."""

    def __init__(self, g: gen.Generator, ct: dict, *, staff_id: int):
        self.g, self.c, self.ct, self.staff = g, g.conn, ct, staff_id
        self.long_case: int | None = None

    def plan(self, first: int, last: int, m: int, *, open_share: float = 0.12) -> None:
        """Pick ``m`` paid orders (no open refund request); the most recent ``open_share`` of them
        get an open case (a quarter each awaiting the merchant, negotiating, in platform review; a
        twelfth each decided, appealed, awaiting a replacement), the others a closed one."""
        c = self.c
        cbase = gen.max_id(c, "cases_case")
        c.execute("DROP TABLE IF EXISTS bench_case_plan")
        platform_kind = "CASE WHEN r3 < 0.6 THEN 'inquiry' ELSE 'complaint' END"
        money_kind = "CASE WHEN r3 < 0.53 THEN 'key_problem' WHEN r3 < 0.87 THEN 'refund_dispute' ELSE 'service_dispute' END"
        opened = {"am": "now() - r * interval '40 hours'", "ng": "now() - interval '2 hours' - r * interval '60 hours'",
                  "pr": "now() - interval '12 hours' - r * interval '4 days'", "pp": "now() - interval '1 hour' - r * interval '4 days'",
                  "dc": "now() - interval '1 day' - r * interval '3 days'", "ap": "now() - interval '2 days' - r * interval '3 days'",
                  "ar": "now() - interval '1 day' - r * interval '2 days'"}
        c.execute(f"""
            CREATE TABLE bench_case_plan AS
            WITH picked AS (
                SELECT id AS order_id, shop_id, buyer_id, amount, status AS order_status, delivered_at FROM orders_order
                WHERE id BETWEEN %s AND %s AND status IN ('delivered', 'confirmed', 'refunded') AND NOT refund_hold
                ORDER BY random() LIMIT %s
            ), drawn AS (
                SELECT p.*, row_number() OVER (ORDER BY order_id) AS g, row_number() OVER (ORDER BY order_id DESC) AS recent,
                       random() AS r, random() AS r2, random() AS r3, random() AS r4
                FROM picked p
            ), pathed AS (
                SELECT d.*, CASE
                    WHEN order_status = 'refunded' THEN 'co'
                    WHEN recent <= %s * {open_share} THEN CASE
                        WHEN r2 < 0.25 THEN 'am' WHEN r2 < 0.5 THEN 'ng'
                        WHEN r2 < 0.75 THEN CASE WHEN r3 < 0.25 THEN 'pp' ELSE 'pr' END
                        WHEN r2 < 0.8333 THEN 'dc' WHEN r2 < 0.9167 THEN 'ap' ELSE 'ar' END
                    WHEN r2 < 0.35 THEN CASE WHEN r3 < 0.25 THEN 'cp' ELSE 'cr' END
                    WHEN r2 < 0.55 THEN 'cw' ELSE 'co' END AS path
                FROM drawn d
            )
            SELECT {cbase} + g AS id, x.*, s.owner_id,
                   CASE WHEN path IN ('pp', 'cp') THEN {platform_kind} ELSE {money_kind} END AS kind,
                   CASE WHEN path IN ('pp', 'pr', 'ap') THEN r4 < 0.3 ELSE r4 < 0.05 END AS breached,
                   CASE WHEN r4 > 0.95 THEN 'high' ELSE 'normal' END AS priority,
                   {when("path", opened, "LEAST(x.delivered_at + interval '1 hour' + r * interval '48 hours', now() - interval '2 hours')")} AS opened
            FROM pathed x JOIN merchants_shop s ON s.id = x.shop_id""", (first, last, m, m))
        c.execute("ALTER TABLE bench_case_plan ADD COLUMN span interval")
        c.execute("UPDATE bench_case_plan SET span = LEAST(interval '3 days', (now() - opened) * 0.9)")
        c.execute("CREATE UNIQUE INDEX ON bench_case_plan (id)")
        c.execute("ANALYZE bench_case_plan")
        self.cbase = cbase

    def paths(self) -> dict[str, int]:
        return dict(self.c.execute("SELECT path, count(*) FROM bench_case_plan GROUP BY path ORDER BY path").fetchall())

    def cases(self) -> int:
        ct, k = self.ct["kinds"], "p.id - %s" % self.cbase
        wbase, obase, dbase = (gen.max_id(self.c, t) for t in ("cases_casewait", "cases_caseoffer", "cases_casedecision"))
        self.wbase, self.obase, self.dbase = wbase, obase, dbase
        waits = ("am", "ng", "dc", "ar")
        money = "p.kind NOT IN ('inquiry', 'complaint')"
        decided = at("decided")
        outcome = {"co": "CASE WHEN p.order_status = 'refunded' THEN 'refunded' ELSE 'replaced' END", "cw": "'withdrawn'",
                   "cr": "'rejected'", "cp": "'resolved'"}
        first_met = f"CASE WHEN p.breached THEN NULL ELSE {at('escalated')} + interval '10 minutes' END"
        n = gen.clone(self.c, "cases_case", template=f"id = {self.ct['case_c']}", from_="bench_case_plan p", set_={
            "id": "p.id", "case_no": case_no("p.id", "p.opened"), "order_id": "p.order_id", "shop_id": "p.shop_id", "kind": "p.kind",
            "status": when("p.path", {p: f"'{s}'" for p, s in STATUS.items()}), "priority": "p.priority",
            "remedy_claimed": f"CASE WHEN {money} THEN 'full_refund' ELSE '' END",
            "amount_claimed": f"CASE WHEN {money} THEN p.amount ELSE 0 END", "key_ids": "'[]'::jsonb",
            "reason": when("p.kind", {k_: f"'{v}'" for k_, v in REASON.items()}, "'other'"),
            "statement": when("p.kind", {k_: f"'{v}'" for k_, v in STATEMENTS.items()}, "'请处理'"),
            "awaiting": when("p.path", {p: f"'{a}'" for p, a in AWAITING.items()}, "''"),
            "deadline_kind": when("p.path", {"am": f"'{ct['merchant']}'", "ng": f"'{ct['offer']}'", "dc": f"'{ct['effective']}'",
                                             "ar": f"'{ct['replacement']}'"}, "''"),
            "deadline_at": when("p.path", {"am": "p.opened + interval '48 hours'", "ng": f"{at('offer')} + interval '72 hours'",
                                           "dc": f"{decided} + interval '3 days'", "ar": "now() + p.r * interval '24 hours'"}),
            "wait_id": when("p.path", {w: f"{wbase} + {k}" for w in waits}),
            "assignee_id": f"CASE WHEN p.path IN {PLATFORM} AND p.r4 < 0.5 THEN {self.staff} END",
            "arbitrator_id": f"CASE WHEN p.path IN ('dc', 'ap', 'cr') THEN {self.staff} END",
            "opened_at": "p.opened", "merchant_first_response_at": at("merchant_first_response"),
            "platform_since": at("escalated"), "staff_first_response_at": when("p.path", {p: first_met for p in PLATFORM}),
            "replace_by": when("p.path", {"ar": "now() + p.r * interval '24 hours'"}),
            "outcome": when("p.path", outcome, "''"),
            "fault": when("p.path", {"dc": "'merchant'", "ap": "'merchant'", "cr": "'buyer'", "co": "'none'", "cw": "'none'", "cp": "'none'"}, "''"),
            "amount_refunded": "CASE WHEN p.path = 'co' AND p.order_status = 'refunded' THEN p.amount ELSE 0 END",
            "closed_at": at("closed"), "refund_request_id": "NULL",
        })
        self.c.execute("UPDATE orders_order o SET refund_hold = true FROM bench_case_plan p "
                       f"WHERE p.order_id = o.id AND p.path IN {OPEN_PATHS}")
        return n

    def offers(self) -> int:
        k = f"p.id - {self.cbase}"
        paths = [p for p, steps in PATHS.items() if "offer" in steps]
        refund_all = "p.path = 'co' AND p.order_status = 'refunded'"
        replace = "p.path IN ('ar', 'co')"
        return gen.clone(self.c, "cases_caseoffer", template=f"id = {self.ct['offer_c']}",
                         from_=f"bench_case_plan p WHERE p.path IN {tuple(paths)}", set_={
            "id": f"{self.obase} + {k}", "case_id": "p.id",
            "remedy": f"CASE WHEN {refund_all} THEN 'full_refund' WHEN {replace} THEN 'replacement' ELSE 'partial_refund' END",
            "amount": f"CASE WHEN {refund_all} THEN p.amount WHEN {replace} THEN 0 ELSE p.amount / 2 END",
            "replace_hours": f"CASE WHEN {replace} AND NOT ({refund_all}) THEN 24 END",
            "note": "''", "status": when("p.path", {"ng": "'open'", "ar": "'accepted'", "co": "'accepted'"}, "'rejected'"),
            "answer_by": f"{at('offer')} + interval '72 hours'", "created_at": at("offer"),
            "answered_at": f"COALESCE({at('offer_rejected')}, {at('offer_accepted')})",
        })

    def decisions(self) -> int:
        k = f"p.id - {self.cbase}"
        decided = at("decided")
        n = gen.clone(self.c, "cases_casedecision", template=f"case_id = {self.ct['case_c']}",
                      from_="bench_case_plan p WHERE p.path IN ('dc', 'ap', 'cr')", set_={
            "id": f"{self.dbase} + {k}", "case_id": "p.id", "arbitrator_id": str(self.staff),
            "remedy": "CASE WHEN p.path = 'cr' THEN 'rejected' ELSE 'full_refund' END",
            "amount": "CASE WHEN p.path = 'cr' THEN 0 ELSE p.amount END",
            "fault": "CASE WHEN p.path = 'cr' THEN 'buyer' ELSE 'merchant' END",
            "effective_at": f"{decided} + interval '3 days'", "created_at": decided,
        })
        n += gen.clone(self.c, "cases_evidencerequest", template=f"case_id = {self.ct['case_c']}",
                       from_="bench_case_plan p WHERE p.path IN ('dc', 'ap', 'cr')", set_={
            "case_id": "p.id", "asked_by_id": str(self.staff), "due_at": f"{at('evidence_requested')} + interval '24 hours'",
            "created_at": at("evidence_requested"), "answered_at": at("evidence_answered"), "status": "'answered'",
        })
        return n

    def waits(self) -> int:
        """The wait now running of each case that has one, and its deadline (not fired)."""
        kinds = self.ct["kinds"]
        k = f"p.id - {self.cbase}"
        ref = when("p.path", {"am": "p.id", "ng": f"{self.obase} + {k}", "dc": f"{self.dbase} + {k}", "ar": "p.id"})
        n = gen.clone(self.c, "cases_casewait", template=f"case_id = {self.ct['case_c']}",
                      from_="bench_case_plan p JOIN cases_case x ON x.id = p.id WHERE p.path IN ('am', 'ng', 'dc', 'ar')", set_={
            "id": "x.wait_id", "case_id": "p.id", "kind": "x.deadline_kind", "ref_id": ref, "due_at": "x.deadline_at",
            "created_at": "p.opened",
        })
        n += gen.clone(self.c, "deadlines_deadline", template=f"kind = '{kinds['effective']}'",
                       from_=f"cases_casewait w WHERE w.id > {self.wbase}", set_={
            "kind": "w.kind", "subject_id": "w.id", "due_at": "w.due_at", "fired_at": "NULL", "outcome": "''", "attempts": "0",
            "last_error": "''", "created_at": "w.created_at",
        })
        return n

    def clocks(self) -> int:
        """Two SLA clocks per case that reached the platform: first response (30 min, 10 for an
        inquiry; halved at high priority) and resolution (24 h). Breached ones were not met in time."""
        start = at("escalated")
        minutes = {"first_response": "CASE WHEN p.kind = 'inquiry' THEN 10 ELSE 30 END", "resolution": "1440"}
        n = 0
        for target, mins in minutes.items():
            m = f"(CASE WHEN p.priority = 'high' THEN GREATEST(1, ({mins}) / 2) ELSE {mins} END)"
            due = f"{start} + {m} * interval '1 minute'"
            end = f"COALESCE({at('decided')}, {at('closed')})"
            if target == "first_response":
                met = f"CASE WHEN p.breached THEN {end} ELSE {start} + interval '10 minutes' END"
                breached = f"CASE WHEN p.breached THEN {due} END"
            else:
                met = end
                breached = f"CASE WHEN p.breached AND {end} IS NULL AND {due} < now() THEN {due} END"
            n += gen.clone(self.c, "cases_slaclock", template=f"case_id = {self.ct['case_c']} AND target = 'first_response'",
                           from_=f"bench_case_plan p WHERE p.path IN {PLATFORM}", set_={
                "case_id": "p.id", "target": f"'{target}'", "minutes": m, "started_at": start, "due_at": due,
                "paused_since": "NULL", "remaining_seconds": "NULL", "met_at": met, "breached_at": breached,
            })
        # Case.sla_due_at, as kadun.cases.sla.due_refresh keeps it: the earliest running clock's due time.
        self.c.execute(
            "UPDATE cases_case x SET sla_due_at = (SELECT min(s.due_at) FROM cases_slaclock s WHERE s.case_id = x.id "
            "AND s.met_at IS NULL AND s.paused_since IS NULL) WHERE x.id > %s", (self.cbase,)
        )
        return n

    def events(self) -> int:
        templates = dict(self.c.execute(
            "SELECT kind, min(id) FROM cases_caseevent WHERE case_id IN (%s, %s) GROUP BY kind", (self.ct["case_c"], self.ct["case_d"])
        ).fetchall())
        actor = {"buyer": "p.buyer_id", "merchant": "p.owner_id", "staff": str(self.staff), "system": "NULL"}
        notes = {
            "offer": when("p.path", {"co": "CASE WHEN p.order_status = 'refunded' THEN '全额退款' ELSE '24 小时内补发' END",
                                     "ar": "'24 小时内补发'"}, f"'部分退款 ' || {yuan('p.amount / 2')} || ' 元'"),
            "closed": when("p.path", {"co": "CASE WHEN p.order_status = 'refunded' THEN '已全额退款 ' || " + yuan("p.amount")
                                            + " || ' 元' ELSE '已补发 1 个新卡密，原卡密作废' END",
                                      "cw": "'买家撤回工单'", "cr": "'驳回，不予退款'", "cp": "'平台已处理（不涉及退款）'"}),
            "assigned": "'指派给 bench-staff'", "replacement_promised": "'商家须在 24 小时内补发（或重新完成服务），逾期系统自动全额退款'",
            "escalated": "CASE WHEN p.path IN ('pp', 'cp') THEN '工单已提交平台' ELSE '买家申请平台介入' END",
        }
        n = 0
        for kind, party in PARTY.items():
            paths = tuple(p for p, steps in PATHS.items() if kind in steps)
            tmpl = templates.get(kind, templates["opened"])
            set_ = {"case_id": "p.id", "kind": f"'{kind}'", "party": f"'{party}'", "actor_id": actor[party], "at": at(kind),
                    "staff_only": "true" if kind == "assigned" else "false"}
            if kind in notes:
                set_["note"] = notes[kind]
            if kind == "opened":
                set_["data"] = "jsonb_build_object('case_kind', p.kind, 'remedy', CASE WHEN p.kind IN ('inquiry', 'complaint') THEN '' ELSE 'full_refund' END)"
                set_["note"] = when("p.kind", {k_: f"'{v}'" for k_, v in STATEMENTS.items()}, "'请处理'")
            elif kind not in templates or kind in ("offer", "decided", "evidence_requested"):
                set_["data"] = "'{}'::jsonb"
            n += gen.clone(self.c, "cases_caseevent", template=f"id = {tmpl}", from_=f"bench_case_plan p WHERE p.path IN {paths + ('',)}",
                           set_=set_)
        n += gen.clone(self.c, "cases_caseevent", template=f"id = {templates['opened']}",
                       from_="bench_case_plan p WHERE p.breached AND p.path IN ('pp', 'pr', 'ap', 'dc', 'cr', 'cp')", set_={
            "case_id": "p.id", "kind": "'sla_breach'", "party": "'system'", "actor_id": "NULL", "staff_only": "true",
            "at": f"{at('escalated')} + interval '30 minutes'", "note": "'平台服务时限未达成：first_response（30 分钟）'",
            "data": """'{"target": "first_response", "minutes": 30}'::jsonb""",
        })
        return n

    def messages(self) -> int:
        """About five a case: the buyer's statement, then the sides in turn; staff and an internal
        note once the platform is in."""
        sides = arr(["buyer", "merchant"] * 4)
        reviewed = arr(["buyer", "merchant", "buyer", "merchant", "staff", "note", "merchant", "buyer"])
        platform_only = arr(["buyer", "staff", "buyer", "note", "staff"])
        counts = when("p.path", {p: str(n) for p, n in MESSAGES.items()}, "1")
        who = f"(CASE WHEN p.path IN ('pp', 'cp') THEN ({platform_only})[i] WHEN p.path IN {PLATFORM} THEN ({reviewed})[i] ELSE ({sides})[i] END)"
        return self._messages(f"bench_case_plan p CROSS JOIN LATERAL generate_series(1, {counts}) i", who,
                              f"p.opened + p.span * (i - 1) / {counts}", opening=True)

    def long_thread(self, messages: int) -> int | None:
        """One open case with the platform in the biggest shop, with a buyer, gets a long thread."""
        big = self.g.w.shop_ids[0]
        row = self.c.execute("SELECT id FROM bench_case_plan WHERE path IN ('pr', 'pp') AND buyer_id IS NOT NULL "
                             "ORDER BY shop_id <> %s, path DESC, id LIMIT 1", (big,)).fetchone()
        if row is None:
            return None
        self.long_case = row[0]
        who = f"({arr(['buyer', 'merchant', 'buyer', 'merchant', 'staff', 'buyer', 'note'])})[1 + i %% 7]"
        self._messages(f"bench_case_plan p CROSS JOIN generate_series(1, {messages}) i WHERE p.id = {row[0]}", who,
                       f"p.opened + p.span * (0.5 + 0.45 * i / {messages})")
        return row[0]

    def _messages(self, from_: str, who: str, at_: str, *, opening: bool = False) -> int:
        """Messages over ``from_`` (plan rows ``p`` × message number ``i``); ``who`` says whose
        (buyer / merchant / staff / note); with ``opening`` message 1 is the buyer's statement."""
        owner = {"buyer": "p.buyer_id", "merchant": "p.owner_id", "staff": str(self.staff), "note": str(self.staff)}
        bodies = " ".join(f"WHEN '{w}' THEN ({arr(b)})[1 + (p.id + i) %% {len(b)}]" for w, b in BODIES.items())
        statement = when("p.kind", {k_: f"'{v}'" for k_, v in STATEMENTS.items()}, "'请处理'")
        return gen.clone(self.c, "cases_casemessage", template=f"case_id = {self.ct['case_c']}", from_=from_, set_={
            "order_id": "p.order_id", "case_id": "p.id",
            "author_id": f"CASE {who} " + " ".join(f"WHEN '{w}' THEN {a}" for w, a in owner.items()) + " END",
            "party": f"CASE WHEN {who} = 'note' THEN 'staff' ELSE {who} END", "internal": f"{who} = 'note'",
            "body": f"CASE WHEN i = 1 AND {str(opening).lower()} THEN {statement} ELSE CASE {who} {bodies} END END",
            "lure": "false", "created_at": at_,
        })

    def generate(self, first: int, last: int, m: int, *, long_thread: int = 0) -> dict[str, int]:
        g = self.g
        g.step(f"case plan ({m:,} cases)", self.plan, first, last, m)
        g.step("cases (open ones hold their orders)", self.cases)
        g.step("offers", self.offers)
        g.step("decisions + evidence requests", self.decisions)
        g.step("waits + deadlines", self.waits)
        g.step("SLA clocks", self.clocks)
        g.step("case events", self.events)
        g.step("case messages", self.messages)
        if long_thread and self.long_case is None:
            g.step(f"long thread ({long_thread} messages)", self.long_thread, long_thread)
        paths = self.paths()
        gen.fix_sequences(self.c, list(CASE_TABLES))
        self.c.execute("DROP TABLE bench_case_plan")
        self.c.commit()
        return paths
