from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "kadun.deadlines"
    label = "deadlines"
