"""The outbox: every notice to a client or a staff member, written in the transaction
that causes it."""

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MailKind(models.TextChoices):
    BOOKING_CONFIRMED = "booking_confirmed", _("Buchung bestätigt")
    BOOKING_MOVED = "booking_moved", _("Termin verschoben")
    BOOKING_CANCELLED = "booking_cancelled", _("Termin abgesagt")
    REMINDER = "reminder", _("Erinnerung")
    DAY_CANCELLED = "day_cancelled", _("Beratungstag abgesagt")
    WAITLIST_OFFER = "waitlist_offer", _("Platz von der Warteliste")
    PASSWORD_RESET = "password_reset", _("Passwort zurücksetzen")
    ENROLMENT_CONFIRMED = "enrolment_confirmed", _("Platz im Programm bestätigt")
    COHORT_PUBLISHED = "cohort_published", _("Programm beginnt")
    COHORT_CANCELLED = "cohort_cancelled", _("Programm abgesagt")
    SESSION_MISSED = "session_missed", _("im Programm vermisst")
    APPLICATION_RECEIVED = "application_received", _("Bewerbung angekommen")
    APPLICATION_ACCEPTED = "application_accepted", _("Bewerbung angenommen")
    APPLICATION_DECLINED = "application_declined", _("Bewerbung abgelehnt")
    PROGRAMME_REMINDER = "programme_reminder", _("Erinnerung an den Programmbeginn")
    ABSENCE_FLAGGED = "absence_flagged", _("Hinweis auf Fehltage an die Leitung")
    VENUE_PUBLISHED = "venue_published", _("Tage veröffentlicht (an den Ort)")
    VENUE_CANCELLED = "venue_cancelled", _("Tag abgesagt (an den Ort)")
    VENUE_DAY_LIST = "venue_day_list", _("Tagesliste (an den Ort)")


@dataclass(frozen=True)
class VenueRecipient:
    """A venue's contact address as the recipient of a notice; it reads German."""

    email: str
    language: str = "de"


class MessageChannel(models.TextChoices):
    """How a notice travels: the same outbox row, claim and retry for each channel."""

    MAIL = "mail", _("E-Mail")
    SMS = "sms", _("SMS")


# The client notices that also go by SMS to a client who agreed to it.
SMS_KINDS = {
    MailKind.BOOKING_CONFIRMED,
    MailKind.BOOKING_MOVED,
    MailKind.BOOKING_CANCELLED,
    MailKind.REMINDER,
    MailKind.DAY_CANCELLED,
    MailKind.WAITLIST_OFFER,
}


class MailStatus(models.TextChoices):
    QUEUED = "queued", _("wartet auf Versand")
    SENDING = "sending", _("wird gesendet")
    SENT = "sent", _("gesendet")
    RETRYING = "retrying", _("neuer Versuch geplant")
    FAILED = "failed", _("fehlgeschlagen")
    # Not sent because it no longer applied (reminder of a cancelled or moved booking,
    # an offer already gone, an address erased); last_error says why.
    SKIPPED = "skipped", _("nicht mehr nötig")


class OutgoingMail(models.Model):
    """An email or SMS to send, written in the same transaction as the change it reports.

    The row is the durable record: a worker claims it, sends, and marks it sent. The
    address, number and text are built at send time from the booking, so no personal
    data sits in this table or in the broker. Each channel of a notice is a row of its
    own, so a mail already sent is never repeated because its SMS failed, and vice versa.
    """

    kind = models.CharField(_("Art"), max_length=20, choices=MailKind)
    channel = models.CharField(
        _("Weg"), max_length=4, choices=MessageChannel, default=MessageChannel.MAIL
    )
    # Makes queueing idempotent: the same notice for the same event is queued once per
    # channel (an SMS row's key is the mail key with an "sms:" prefix).
    key = models.CharField(max_length=120, unique=True)
    booking = models.ForeignKey(
        "appointments.Booking",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mails",
        verbose_name=_("Termin"),
    )
    waitlist_entry = models.ForeignKey(
        "appointments.WaitlistEntry",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mails",
        verbose_name=_("Wartelisten-Eintrag"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Benutzerkonto"),
    )
    enrolment = models.ForeignKey(
        "appointments.Enrolment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mails",
        verbose_name=_("Teilnahme"),
    )
    application = models.ForeignKey(
        "appointments.ProgrammeApplication",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mails",
        verbose_name=_("Bewerbung"),
    )
    # Notices to a venue (the town hall) about its days; no client is named in them.
    day = models.ForeignKey(
        "appointments.OutreachDay",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="venue_mails",
        verbose_name=_("Beratungstag"),
    )
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("Status"), max_length=10, choices=MailStatus, default=MailStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("Versuche"), default=0)
    last_error = models.CharField(_("letzter Fehler"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("übernommen am"), null=True, blank=True)
    sent_at = models.DateTimeField(_("gesendet am"), null=True, blank=True)

    class Meta:
        verbose_name = _("ausgehende E-Mail")
        verbose_name_plural = _("ausgehende E-Mails")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        channel = self.get_channel_display()
        return f"{self.get_kind_display()}, {channel} ({self.get_status_display()})"

    @property
    def recipient(self):
        """Who receives it: the booking, waiting-list entry, account or participant."""
        if self.enrolment_id:
            return self.enrolment.person
        if self.day_id:
            return VenueRecipient(email=self.day.site.notice_email)
        return self.booking or self.waitlist_entry or self.application or self.user
