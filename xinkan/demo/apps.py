from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "xinkan.demo"
    label = "demo"
    verbose_name = "Demo data"
