from django.apps import AppConfig


class JobLokalConfig(AppConfig):
    name = "joblokal"
    verbose_name = "JobLokal"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from joblokal.middleware import start_idle_clock

        user_logged_in.connect(start_idle_clock, dispatch_uid="joblokal.start_idle_clock")
