"""Secret manage links of bookings: random tokens, stored only as SHA-256 hashes."""

import base64
import hashlib
import secrets

from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


def new_short_token() -> str:
    """A manage token short enough for an SMS or to type from a letter: 128 bits in
    base32 (26 letters and digits, no padding), read case-insensitively."""
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=")


class BookingTokenManager(models.Manager):
    def issue(self, *, booking, short: bool = False) -> str:
        """A new secret manage link token for a booking; only its hash is stored.
        A short token (SMS, letters, slips) opens the same manage page."""
        token = new_short_token() if short else new_token()
        self.create(booking=booking, token_hash=hash_token(token))
        return token

    def store(self, tokens: list[tuple[int, str]]) -> None:
        """Store the hashes of new tokens, given as (booking id, token), in one round
        trip: for a batch of mails, where a model object per token would cost more than
        writing it."""
        table = self.model._meta.db_table
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (booking_id, token_hash, created_at)"  # noqa: S608 (the model's table)
                " VALUES (%s, %s, %s)",
                [(booking_id, hash_token(token), now) for booking_id, token in tokens],
            )


class BookingToken(models.Model):
    """A secret manage link of a booking, stored only as a SHA-256 hash.

    The raw token is shown once: on the confirmation page, or inside one email. Each
    email gets a fresh token, so no raw token is ever kept in the database or the broker.
    """

    booking = models.ForeignKey(
        "appointments.Booking", on_delete=models.CASCADE, related_name="tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BookingTokenManager()

    class Meta:
        verbose_name = _("Zugangslink")
        verbose_name_plural = _("Zugangslinks")

    def __str__(self):
        return f"{self.booking} ({self.created_at:%Y-%m-%d})"
