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
