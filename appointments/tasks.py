"""Celery tasks: thin, taking ids, calling domain functions."""

import logging
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

from appointments import emails, services

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError, OSError),
    dont_autoretry_for=(emails.PermanentMailError,),
    retry_backoff=settings.MAIL_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=settings.MAIL_RETRY_BACKOFF_MAX_SECONDS,
    retry_jitter=True,
    max_retries=settings.MAIL_MAX_RETRIES,
)
def send_outgoing_mail(self, mail_id: int) -> None:
    try:
        emails.deliver(mail_id)
    except emails.PermanentMailError as error:
        # Already marked failed; retrying cannot help, an administrator can.
        logger.warning("Mail %s failed permanently: %s", mail_id, error)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            emails.mark_failed(mail_id, error)
        raise


@shared_task
def send_due_reminders() -> int:
    return services.queue_due_reminders()


@shared_task
def requeue_stuck_mail() -> int:
    return emails.requeue_stuck_mail()


@shared_task
def expire_waitlist_offers() -> int:
    return services.expire_waitlist_offers()


@shared_task
def erase_expired_personal_data() -> dict[str, int]:
    return services.erase_expired_personal_data()
