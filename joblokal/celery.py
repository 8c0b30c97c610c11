"""The project's Celery app, configured from Django settings (CELERY_* names).

Messages are JSON and carry ids only: the worker loads rows from the database, so no
personal data ever sits in the broker. Without CELERY_BROKER_URL tasks run eagerly.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "joblokal.settings")

app = Celery("joblokal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
