from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "kadun.ledger"
    label = "ledger"
