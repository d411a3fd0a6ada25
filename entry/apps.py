from django.apps import AppConfig


class EntryConfig(AppConfig):
    name = "entry"
    verbose_name = "Entry"
