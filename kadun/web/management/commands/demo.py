"""Load the demo data once: a merchant with a game card, a software key and a 代充 service, a
buyer, and a staff admin. Safe to run again: it only prints the logins the second time."""
import secrets

from django.core.management.base import BaseCommand
from django.db import transaction

from kadun.accounts.selectors import user_exists
from kadun.accounts.services import user_create, user_make_superuser
from kadun.catalog.services import product_create
from kadun.inventory.services import keys_import
from kadun.merchants.services import shop_create

PASSWORD = "kadun-demo-2026"
ACCOUNTS = (
    ("demo-merchant", "商家 merchant", ""),
    ("demo-buyer", "买家 buyer", ""),
    ("demo-admin", "平台管理员 staff admin", "admin"),
    ("demo-support", "客服 support (售后工单)", "support"),
    ("demo-arbiter", "仲裁员 arbitrator", "arbitrator"),
    ("demo-arbiter2", "仲裁员 arbitrator (申诉复核)", "arbitrator"),
    ("demo-risk", "风控 risk (资质审核)", "risk"),
)
# A 1×1 PNG: the demo shop's licence and proofs (资质审核).
DEMO_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8cfc0f01f0005000201ce4c6b4a0000000049454e44ae426082"
)


class Command(BaseCommand):
    help = "Load demo data once and print the demo logins."

    def handle(self, *args, **options):
        if not user_exists(username="demo-merchant"):
            with transaction.atomic():
                self._load()
            self.stdout.write("demo data loaded")
        with transaction.atomic():  # support and arbitrators, also for a database loaded before they existed
            for username, _role, staff_role in ACCOUNTS[3:]:
                if not user_exists(username=username):
                    user_create(username=username, password=PASSWORD, staff_role=staff_role)
        with transaction.atomic():  # the demo shop passed 资质审核 (also for a database loaded before onboarding existed)
            _approve_demo_shop()
        with transaction.atomic():  # and holds its 保证金 (¥2,000: above its ¥1,500 requirement, shown on /s/<id>/)
            _demo_deposit()
        self.stdout.write("Demo accounts (password for all: %s):" % PASSWORD)
        for username, role, _ in ACCOUNTS:
            self.stdout.write(f"  {username:<15} {role}")

    def _load(self):
        merchant = user_create(username="demo-merchant", password=PASSWORD, email="merchant@example.com")
        user_create(username="demo-buyer", password=PASSWORD, email="buyer@example.com")
        admin = user_create(username="demo-admin", password=PASSWORD, staff_role="admin")
        user_make_superuser(user_id=admin.pk)
        shop = shop_create(owner=merchant, name="星河数卡", description="游戏点卡、软件激活码与代充服务，担保交易。")
        _approve_demo_shop()
        shop.refresh_from_db()
        card = product_create(shop=shop, data={
            "title": "网易一卡通 50元 点卡", "category": "game_card", "delivery": "auto", "price": 4850, "market_price": 5000,
            "description": "官方渠道卡密，自动发货。到账后请尽快在官网充值。", "max_per_order": 5,
        })
        software = product_create(shop=shop, data={
            "title": "Office 专业版 激活码（一年）", "category": "software", "delivery": "auto", "price": 3900, "market_price": 6900,
            "description": "一机一码。请先查看卡密再激活；未查看的卡密可按规则快速退款。", "max_per_order": 3,
            "inspection_hours": 48,
        })
        topup = product_create(shop=shop, data={
            "title": "原神 创世结晶 6480 代充", "category": "topup", "delivery": "manual", "price": 59800, "market_price": 64800,
            "description": "提供 UID 与服务器，2小时内到账。", "buyer_fields": [
                {"name": "uid", "label": "游戏UID", "required": True},
                {"name": "server", "label": "服务器", "required": True},
                {"name": "role", "label": "角色名", "required": False},
            ],
        })
        def codes(prefix, n):
            return [(i + 1, f"{prefix}-{secrets.token_hex(4).upper()}-{secrets.token_hex(4).upper()}") for i in range(n)]
        keys_import(product=card, lines=codes("WY50", 30), source="demo")
        accounts = [(i + 1, f"office{secrets.token_hex(3)}@example.com----{secrets.token_urlsafe(9)}") for i in range(20)]
        keys_import(product=software, lines=accounts, source="demo")
        _ = topup


def _demo_deposit() -> None:
    from kadun.ledger import accounts as codes
    from kadun.ledger import services as ledger
    from kadun.merchants.deposit import deposit_refresh
    from kadun.merchants.selectors import shop_ids_named

    row = shop_ids_named("星河数卡").first()
    if row is None:
        return
    _entry, created = ledger.entry_post(
        kind="deposit_topup", idempotency_key="demo-deposit", ref_type="shop", ref_id=row["id"], memo="演示数据：保证金",
        lines=[(codes.external("sandbox"), -200_000), (codes.merchant_deposit(row["id"]), 200_000)],
    )
    if created:
        deposit_refresh(shop_id=row["id"])


def _approve_demo_shop() -> None:
    """The demo shop applies as a company (企业) for its three categories and demo-admin approves it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kadun.accounts.selectors import staff_users
    from kadun.merchants import onboarding, rules
    from kadun.merchants.selectors import shop_ids_named
    from kadun.merchants.selectors import shop_by_id

    row = shop_ids_named("星河数卡").first()
    shop = shop_by_id(row["id"]) if row else None
    if shop is None or shop.verified_at is not None:
        return
    admin = staff_users(roles=("admin",)).filter(username="demo-admin").first()
    png = lambda name: SimpleUploadedFile(name, DEMO_PNG, content_type="image/png")  # noqa: E731
    categories = ["game_card", "software", "topup"]
    proofs = {(c, k): png(f"{c}-{k}.png") for c in categories for k in rules.proofs_required().get(c, [])}
    application = onboarding.application_submit(
        shop=shop, entity_type="company", legal_name="星河数卡（杭州）网络科技有限公司", number="91330106MA2DEM100T",
        contact="merchant@example.com", categories=categories, licence=png("licence.png"), proofs=proofs,
        rules_sha256=rules.rules_current().sha256, accept_rules=True,
    )
    onboarding.application_approve(application_id=application.pk, actor=admin, reason="演示数据：资质齐全")
