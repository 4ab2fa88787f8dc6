from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "kadun.cases"
    label = "cases"

    def ready(self):
        from kadun.cases import attachments, deadlines  # noqa: F401  (deadline handlers, attachment publishing)
        from kadun.cases import holds

        holds.register()
