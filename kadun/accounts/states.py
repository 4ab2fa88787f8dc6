from django.db import models


class StaffRole(models.TextChoices):
    NONE = "", "—"
    SUPPORT = "support", "客服"
    ARBITRATOR = "arbitrator", "仲裁员"
    RISK = "risk", "风控"
    ADMIN = "admin", "管理员"
