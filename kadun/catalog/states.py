from django.db import models
from django.utils.translation import gettext_lazy as _


class Delivery(models.TextChoices):
    AUTO = "auto", _("自动发货（卡密）")
    MANUAL = "manual", _("手动服务（代充/代练）")


class Category(models.TextChoices):
    GAME_CARD = "game_card", _("游戏点卡")
    SOFTWARE = "software", _("软件激活码")
    MEMBERSHIP = "membership", _("会员卡密")
    TOPUP = "topup", _("代充服务")
    BOOSTING = "boosting", _("代练服务")
    OTHER = "other", _("其他")
