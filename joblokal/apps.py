from django.apps import AppConfig


class JobLokalConfig(AppConfig):
    name = "joblokal"
    verbose_name = "JobLokal"
