from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffRole(models.TextChoices):
    NONE = "", _("—")
    SUPPORT = "support", _("客服")
    ARBITRATOR = "arbitrator", _("仲裁员")
    RISK = "risk", _("风控")
    ADMIN = "admin", _("管理员")
