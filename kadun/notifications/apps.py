from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "kadun.notifications"
    label = "notifications"

    def ready(self):
        from kadun.notifications import delivery  # noqa: F401  (the outbox sender of notify)
