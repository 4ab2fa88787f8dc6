from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    RESOLVED = "resolved", _("已处理")


class AlertKind(models.TextChoices):
    # A shop imported keys other shops already hold, more than a few times in a short while:
    # someone guessing keys by importing them, or a supplier selling one batch twice. The shop's
    # imports are paused while the alert is open.
    IMPORT_COLLISIONS = "import_collisions", _("导入卡密与其他店铺重复")
    # The same author was flagged for an off-platform lure (站外联系方式 / 站外付款) again within
    # KADUN_LURE_REPEAT_DAYS: one open alert per author (subject ``user:<id>``).
    OFF_PLATFORM_LURE = "off_platform_lure", _("多次发布站外联系方式或站外交易信息")
    # 跑路 signals (kadun.risk.runaway_signals) scored at or above KADUN_RUNAWAY_ALERT_SCORE:
    # one open alert per shop (subject ``shop:<id>``), details = the facts behind each signal.
    RUNAWAY = "runaway", _("疑似跑路")
    # 异常订单预警 (kadun.risk.alert_rules; thresholds KADUN_ALERT_*, docs/risk.md):
    ORDER_BURST = "order_burst", _("同一来源短时间内大量下单")
    INVALID_CLAIMS = "invalid_claims", _("买家大量购买卡密后多数报无效")
    INVALID_RATE_JUMP = "invalid_rate_jump", _("商品或批次卡密无效率突增")
    SALES_SPIKE = "sales_spike", _("商家销量暴增且多为无评价新品")
    PRICE_FLASH = "price_flash", _("改价后短时间内大量下单")
    LURE_ACROSS_SHOPS = "lure_across_shops", _("引流话术在多个店铺重复出现")


class AlertResolution(models.TextChoices):
    """How risk staff closed an alert."""

    CONFIRMED_FRAUD = "confirmed_fraud", _("确认欺诈")
    FALSE_POSITIVE = "false_positive", _("误报")
    HANDLED = "handled", _("已处置")
    DUPLICATE = "duplicate", _("重复预警")


class LureKind(models.TextChoices):
    """What kadun.risk.lures finds in a text."""

    WECHAT = "wechat", _("微信")
    QQ = "qq", _("QQ")
    PHONE = "phone", _("手机号")
    TELEGRAM = "telegram", _("Telegram")
    PAYMENT_LINK = "payment_link", _("站外链接或付款链接")
    OUTSIDE_PAYMENT = "outside_payment", _("站外交易话术")


class LureWhere(models.TextChoices):
    """Where a flagged text was written."""

    PRODUCT_DESCRIPTION = "product_description", _("商品描述")
    DELIVERY_NOTE = "delivery_note", _("发货说明")
    REJECTION_NOTE = "rejection_note", _("拒绝退款理由")
    CASE_MESSAGE = "case_message", _("工单消息")
    ORDER_MESSAGE = "order_message", _("订单留言")


class AuthorRole(models.TextChoices):
    BUYER = "buyer", _("买家")
    MERCHANT = "merchant", _("商家")
    STAFF = "staff", _("平台人员")
    GUEST = "guest", _("游客")


class FreezeStatus(models.TextChoices):
    ACTIVE = "active", _("已冻结")
    DISPOSING = "disposing", _("跑路处置中")
    LIFTED = "lifted", _("已解冻")


class DisposalStatus(models.TextChoices):
    RUNNING = "running", _("退款进行中")
    DONE = "done", _("已完成")


class JobStatus(models.TextChoices):
    PENDING = "pending", _("待退款")
    REFUNDED = "refunded", _("已全额退款")
    SKIPPED = "skipped", _("已跳过（已退款或已关闭）")


class RunawaySignal(models.TextChoices):
    SILENT = "silent", _("多次逾期未处理")
    WITHDRAWAL_AFTER_COMPLAINTS = "withdrawal_after_complaints", _("投诉激增后申请提现")
    INVALID_KEYS = "invalid_keys", _("批次卡密大量无效")
    INACTIVE_WITH_QUEUE = "inactive_with_queue", _("服务商家失联且有待处理订单")
    ABNORMAL_ALERTS = "abnormal_alerts", _("异常订单预警")


# --- buyer abuse records (用后退款防护): kadun/risk/abuse.py ------------------------------------------


class AbuseFactKind(models.TextChoices):
    REQUEST = "request", _("退款申请")
    AGAINST = "against", _("裁决认定买家责任或驳回")
    INVALID_ON_VALID = "invalid_on_valid", _("验货确认有效的卡密被申报无效")
    UNREPORTED = "unreported", _("查看后申报无效且无他人反馈同类问题")


class SignalKind(models.TextChoices):
    DEVICE = "device", _("设备")
    CONTACT = "contact", _("联系方式")
    IP = "ip", _("IP 地址")


class ContestStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    ACCEPTED = "accepted", _("已采纳")
    REJECTED = "rejected", _("已驳回")
