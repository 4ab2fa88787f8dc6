from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "kadun.inventory"
    label = "inventory"
