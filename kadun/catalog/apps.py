from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "kadun.catalog"
    label = "catalog"
