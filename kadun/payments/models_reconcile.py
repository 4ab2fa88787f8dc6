"""对账 (reconciliation): one run compares a gateway's statement for one day with our books and
keeps every difference it found. Written whole, in one transaction, or not at all."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class DifferenceKind(models.TextChoices):
    GATEWAY_ONLY = "gateway_only", _("渠道已收款，本站无成功记录")
    OURS_ONLY = "ours_only", _("本站已收款，渠道账单无此笔")
    AMOUNT = "amount", _("金额不一致")
    REFUND_GATEWAY_ONLY = "refund_gateway_only", _("渠道已退款，本站无成功退款")
    REFUND_OURS_ONLY = "refund_ours_only", _("本站已退款，渠道账单无此笔")
    REFUND_AMOUNT = "refund_amount", _("退款金额不一致")


class ReconciliationRun(models.Model):
    provider = models.CharField(max_length=20)
    bill_date = models.DateField(help_text="the statement's day, Asia/Shanghai")
    source = models.CharField(max_length=10, help_text="file / gateway (downloaded)")
    file_sha256 = models.CharField(max_length=64)
    lines_read = models.PositiveIntegerField()
    matched = models.PositiveIntegerField()
    difference_count = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["provider", "bill_date"], name="recon_run_provider_day")]


class ReconciliationDifference(models.Model):
    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="differences")
    kind = models.CharField(max_length=20, choices=DifferenceKind.choices)
    out_trade_no = models.CharField(max_length=64, blank=True)
    refund_no = models.CharField(max_length=64, blank=True)
    gateway_no = models.CharField(max_length=64, blank=True, help_text="the gateway's trade / refund number")
    gateway_amount = models.BigIntegerField(null=True, blank=True, help_text="分, as the statement says")
    our_amount = models.BigIntegerField(null=True, blank=True, help_text="分, as our books say")
    line_no = models.PositiveIntegerField(null=True, blank=True, help_text="line of the statement file")
    note = models.CharField(max_length=200, blank=True)
