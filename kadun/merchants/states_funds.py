from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    ALIPAY = "alipay", _("支付宝")
    WECHAT = "wechat", _("微信零钱")
    BANK = "bank", _("银行卡")
    USDT = "usdt_trc20", _("USDT（TRC20）")


class WithdrawalStatus(models.TextChoices):
    REVIEW = "review", _("待审核")
    APPROVED = "approved", _("已批准，待打款")
    SENT = "sent", _("打款中")
    SUCCEEDED = "succeeded", _("已到账")
    FAILED = "failed", _("打款失败，已退回")
    REJECTED = "rejected", _("已驳回，已退回")


W = WithdrawalStatus
# Withdrawals holding money in payout_in_flight.
IN_FLIGHT = (W.REVIEW, W.APPROVED, W.SENT)
