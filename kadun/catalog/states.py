from django.db import models


class Delivery(models.TextChoices):
    AUTO = "auto", "自动发货（卡密）"
    MANUAL = "manual", "手动服务（代充/代练）"


class Category(models.TextChoices):
    GAME_CARD = "game_card", "游戏点卡"
    SOFTWARE = "software", "软件激活码"
    MEMBERSHIP = "membership", "会员卡密"
    TOPUP = "topup", "代充服务"
    BOOSTING = "boosting", "代练服务"
    OTHER = "other", "其他"
