from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "kadun.notifications"
    label = "notifications"
