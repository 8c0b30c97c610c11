"""Celery tasks: thin, taking ids, calling domain functions.

The send task lives beside the delivery code in `appointments.outbox`; it is imported here
so that Celery's autodiscovery registers it with the periodic ones.
"""

from celery import shared_task

from appointments import outbox, services
from appointments.outbox import send_outgoing_mail

__all__ = ["send_outgoing_mail"]


@shared_task
def send_due_reminders() -> int:
    return services.queue_due_reminders() + services.queue_programme_reminders()


@shared_task
def requeue_stuck_mail() -> int:
    return outbox.requeue_stuck_mail()


@shared_task
def expire_waitlist_offers() -> int:
    return services.expire_waitlist_offers()


@shared_task
def erase_expired_personal_data() -> dict[str, int]:
    return services.erase_expired_personal_data()


@shared_task
def refresh_day_figures() -> int:
    return services.refresh_day_figures()
