"""Vocabulary of 资质审核 (onboarding) and badges: what other rooms may name.

``SellBlock`` is the shop-level switch every accountability rule sets (``Shop.selling_blocks``,
a bit set): the storefront lists a shop's products only while no bit is set, in the same query
(``shop__selling_blocks=0``), and checkout asks ``gate.selling_refusal`` for the message. Each
rule owns one bit and sets or clears only that bit (``merchants.services.shop_sell_block``).
"""
from __future__ import annotations

import enum

from django.db import models
from django.utils.translation import gettext_lazy as _


class SellBlock(enum.IntFlag):
    UNVERIFIED = 1  # 资质未通过审核 (onboard)
    DEPOSIT = 2  # 保证金不足且宽限期已过 (funds)
    BANNED = 4  # 封号 (credit)
    FROZEN = 8  # 风控冻结 (runaway)


class EntityType(models.TextChoices):
    PERSON = "person", _("个人")
    COMPANY = "company", _("企业")


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("审核中")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")
    SUPERSEDED = "superseded", _("已被新申请取代")


class ApplicationKind(models.TextChoices):
    FIRST = "first", _("入驻申请")
    CHANGE = "change", _("身份信息变更")


class BadgeKind(models.TextChoices):
    VERIFIED = "verified", _("已认证")
    GOLD = "gold", _("金牌商家")
    OFFICIAL = "official", _("官方直营")


class ProofKind(models.TextChoices):
    SOFTWARE_LICENCE = "software_licence", _("软件授权书")
    OFFICIAL_PARTNER = "official_partner", _("官方合作证明")
    CHANNEL_AUTH = "channel_auth", _("渠道授权书")
