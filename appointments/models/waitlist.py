"""The waiting list: clients waiting for a seat on a full day, and the offers they get."""

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("wartet")
    OFFERED = "offered", _("Platz angeboten")
    BOOKED = "booked", _("gebucht")
    EXPIRED = "expired", _("Angebot abgelaufen")
    WITHDRAWN = "withdrawn", _("zurückgezogen")


class WaitlistEntry(models.Model):
    """A Warteliste entry for a full day (or any day in a municipality)."""

    day = models.ForeignKey(
        "appointments.OutreachDay",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="waitlist",
        verbose_name=_("Tag"),
    )
    municipality = models.ForeignKey(
        "locations.Municipality",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="waitlist",
        verbose_name=_("Gemeinde"),
    )
    name = models.CharField(_("Name"), max_length=120)
    email = models.EmailField(_("E-Mail"))
    phone = models.CharField(_("Telefon"), max_length=40, blank=True)
    # Opt-in: the offer of a freed seat goes by SMS to the phone number as well.
    sms_consent = models.BooleanField(_("Erinnerung per SMS"), default=False)
    earliest = models.TimeField(_("frühestens"), null=True, blank=True)
    latest = models.TimeField(_("spätestens"), null=True, blank=True)
    language = models.CharField(_("Sprache"), max_length=8, default="de")
    consent_at = models.DateTimeField(_("Einwilligung am"), null=True, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(
        _("Status"), max_length=10, choices=WaitlistStatus, default=WaitlistStatus.WAITING
    )
    offered_slot = models.ForeignKey(
        "appointments.Slot",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offers",
        verbose_name=_("angebotener Termin"),
    )
    offer_expires_at = models.DateTimeField(_("Angebot gilt bis"), null=True, blank=True)
    created_at = models.DateTimeField(_("eingetragen am"), auto_now_add=True)
    anonymised_at = models.DateTimeField(_("anonymisiert am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Wartelisten-Eintrag")
        verbose_name_plural = _("Warteliste")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(day__isnull=False) | Q(municipality__isnull=False),
                name="waitlist_has_day_or_municipality",
            ),
        ]

    def __str__(self):
        return f"{self.get_status_display()} – {self.day or self.municipality}"

    def offer_is_open(self, *, slot_id: int | None, now: datetime) -> bool:
        """Whether this entry holds a live offer of that slot."""
        return (
            self.status == WaitlistStatus.OFFERED
            and slot_id is not None
            and self.offered_slot_id == slot_id
            and self.offer_expires_at is not None
            and self.offer_expires_at > now
        )
