"""The access log: who saw or changed client data (invariant 3)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    VIEW_DAY = "view_day", _("Tagesplan angesehen")
    VIEW_BOOKING = "view_booking", _("Termin angesehen")
    PRINT_DAY = "print_day", _("Tagesplan gedruckt")
    CHANGE_BOOKING = "change_booking", _("Termin geändert")
    ADD_WALK_IN = "add_walk_in", _("Person ohne Termin erfasst")
    EXPORT = "export", _("Daten exportiert")
    VIEW_WAITLIST = "view_waitlist", _("Wartelisten-Eintrag angesehen")
    VIEW_PERSON = "view_person", _("begleitete Person angesehen")
    CHANGE_PERSON = "change_person", _("begleitete Person geändert")
    VIEW_EMPLOYER = "view_employer", _("Arbeitgeber angesehen")
    VIEW_COHORT = "view_cohort", _("Durchgang angesehen")
    CHANGE_COHORT = "change_cohort", _("Durchgang geändert")
    CHANGE_EMPLOYER = "change_employer", _("Arbeitgeber geändert")
    BOOK_FOR_CLIENT = "book_for_client", _("Termin für eine Person gebucht")
    CALL_DONE = "call_done", _("Anruf erledigt")


class AuditEntry(models.Model):
    """Who looked at or changed client data, and when."""

    at = models.DateTimeField(_("Zeitpunkt"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("Benutzerkonto"),
    )
    # Who acted when there is no staff account: the client through their manage link,
    # or the scheduled erasure.
    actor = models.CharField(_("Handelnde Stelle"), max_length=40, blank=True)
    action = models.CharField(_("Aktion"), max_length=20, choices=AuditAction)
    day = models.ForeignKey(
        "appointments.OutreachDay",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Tag"),
    )
    booking = models.ForeignKey(
        "appointments.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Termin"),
    )
    detail = models.CharField(_("Details"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Protokolleintrag")
        verbose_name_plural = _("Zugriffsprotokoll")
        ordering = ["-at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(actor=""),
                name="audit_entry_names_who_acted",
            )
        ]

    def __str__(self):
        who = self.user or self.actor
        return f"{self.at:%Y-%m-%d %H:%M} {who} {self.get_action_display()}"
