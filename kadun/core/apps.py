from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kadun.core"
    label = "core"

    def ready(self):
        from kadun.core import checks  # noqa: F401  (deployment checks)
