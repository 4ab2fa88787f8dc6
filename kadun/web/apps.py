from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kadun.web"
    label = "web"
