"""Call lists: clients reached neither by mail nor by SMS, whom staff must phone
(DESIGN invariant 10). A row is written in the transaction of its cause."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CallReason(models.TextChoices):
    DAY_CANCELLED = "day_cancelled", _("Tag abgesagt")
    REMINDER = "reminder", _("Erinnerung")


class CallQuerySet(models.QuerySet):
    def open(self):
        return self.filter(called_at=None)

    def still_needed(self):
        """Calls that still make sense: a reminder only while its booking stands, on the
        day it was for (a cancelled or moved booking needs no reminder call)."""
        return self.filter(
            Q(reason=CallReason.DAY_CANCELLED)
            | Q(booking__status="confirmed", booking__day__date=models.F("for_date"))
        )

    def shown_on(self, today):
        """What a call list on a page shows: the calls still to make, and those made
        today (with who made them); earlier ticked calls leave the page."""
        return self.still_needed().filter(Q(called_at=None) | Q(called_at__date=today))

    def for_days(self, days):
        return self.filter(booking__day__in=days)

    def listed(self):
        """In the order a person works through them, with what the list shows."""
        return self.select_related(
            "booking__slot", "booking__day__site__municipality", "called_by"
        ).order_by("for_date", "booking__slot__starts_at", "pk")


class Call(models.Model):
    """One phone call staff owe a client, and, once made, who made it and when."""

    booking = models.ForeignKey(
        "appointments.Booking",
        on_delete=models.CASCADE,
        related_name="calls",
        verbose_name=_("Termin"),
    )
    reason = models.CharField(_("Grund"), max_length=20, choices=CallReason)
    # The date of the counselling day the call is about.
    for_date = models.DateField(_("für den Tag"))
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("angerufen von"),
    )
    called_at = models.DateTimeField(_("angerufen am"), null=True, blank=True)
    note = models.CharField(_("Notiz"), max_length=200, blank=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = _("Anruf")
        verbose_name_plural = _("Anrufe")
        constraints = [
            # One call per booking, reason and day: a second reminder run or a repeated
            # cancel adds nothing.
            models.UniqueConstraint(
                fields=["booking", "reason", "for_date"], name="call_once_per_reason_and_day"
            ),
            models.CheckConstraint(
                condition=Q(called_at__isnull=True) | Q(called_by__isnull=False),
                name="call_done_names_who_called",
            ),
        ]
        indexes = [models.Index(fields=["for_date", "called_at"], name="call_open_by_date")]

    def __str__(self):
        return f"{self.get_reason_display()}: {self.booking_id} ({self.for_date})"
