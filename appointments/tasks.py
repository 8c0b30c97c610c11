"""Celery tasks: thin, taking ids, calling domain functions."""

from smtplib import SMTPException

from celery import shared_task

from appointments import emails


@shared_task(
    bind=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError, OSError),
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=8,
)
def send_outgoing_mail(self, mail_id: int) -> None:
    try:
        emails.deliver(mail_id)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            emails.mark_failed(mail_id, error)
        raise
