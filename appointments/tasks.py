"""Celery tasks: thin, taking ids, calling domain functions.

The send tasks (one row; a batch of rows) live beside the delivery code in
`appointments.outbox`; they are imported here so that Celery's autodiscovery registers
them with the periodic ones.
"""

from celery import shared_task

from appointments import outbox, services
from appointments.outbox import send_outgoing_batch, send_outgoing_mail
from appointments.services.venue import queue_day_lists

__all__ = ["send_outgoing_batch", "send_outgoing_mail"]


@shared_task
def send_due_reminders() -> int:
    return services.queue_due_reminders() + services.queue_programme_reminders()


@shared_task
def queue_reminder_calls() -> int:
    return services.queue_reminder_calls()


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
def send_venue_day_lists() -> int:
    return queue_day_lists()


@shared_task
def refresh_day_figures() -> int:
    return services.refresh_day_figures()
