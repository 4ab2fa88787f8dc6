from django.db import models
from django.utils.translation import gettext_lazy as _


class KeyStatus(models.TextChoices):
    AVAILABLE = "available", _("在售")
    SOLD = "sold", _("已售")
    WITHDRAWN = "withdrawn", _("已撤回")
