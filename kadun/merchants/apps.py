from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "kadun.merchants"
    label = "merchants"
