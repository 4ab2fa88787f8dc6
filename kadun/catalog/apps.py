from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "kadun.catalog"
    label = "catalog"

    def ready(self):
        from kadun.catalog import deadlines  # noqa: F401  (the comparable medians' daily duty)
