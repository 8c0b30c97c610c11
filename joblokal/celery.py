"""The project's Celery app, configured from Django settings (CELERY_* names).

Messages are JSON and carry ids only: the worker loads rows from the database, so no
personal data ever sits in the broker. Without CELERY_BROKER_URL the broker is kombu's
filesystem transport under var/broker, so `make run` needs no Redis.
"""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "joblokal.settings")

app = Celery("joblokal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def create_broker_folders(sender, **kwargs):
    # The filesystem transport writes into its folders but does not create them.
    if str(sender.conf.broker_url).startswith("filesystem://"):
        options = sender.conf.broker_transport_options or {}
        for key in ("data_folder_in", "data_folder_out", "control_folder"):
            if key in options:
                Path(options[key]).mkdir(parents=True, exist_ok=True)
