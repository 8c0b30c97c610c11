"""Accompaniment: a person the team accompanies with their consent, their visits, their
constraints for work and the contact log.

Imported at the end of coaches.models so Django registers the models. Foreign keys name
other apps by string, so this module imports nothing from appointments (no cycle).
"""

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Min, Q
from django.utils.translation import gettext_lazy as _

from coaches.models_employers import ReferralStatus, ReferralStep

CONSENT_TEXT_VERSION = "2026-11"
# appointments.OutcomeCode.JOB_START, named here without importing appointments.
JOB_START_OUTCOME = "job_start"


class PersonStatus(models.TextChoices):
    ACTIVE = "active", _("wird begleitet")
    CLOSED = "closed", _("Begleitung beendet")
    WITHDRAWN = "withdrawn", _("Einwilligung widerrufen")
    LAPSED = "lapsed", _("ohne Kontakt beendet")


class Childcare(models.TextChoices):
    NOT_NEEDED = "not_needed", _("keine nötig")
    ARRANGED = "arranged", _("geregelt")
    PARTLY = "partly", _("teilweise geregelt")
    MISSING = "missing", _("fehlt noch")


class Mobility(models.TextChoices):
    CAR = "car", _("eigenes Auto")
    BUS = "bus", _("nur Bus und Bahn")
    LOCAL = "local", _("nur zu Fuß oder mit dem Rad")


class Health(models.TextChoices):
    NONE = "none", _("keine")
    PHYSICAL = "physical", _("körperlich")
    MENTAL = "mental", _("seelisch")
    OTHER = "other", _("andere")


class PersonQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=PersonStatus.ACTIVE)

    def kept(self):
        """Persons whose personal data is still kept: not yet anonymised."""
        return self.filter(anonymised_at=None)

    def visible_to_coach(self, coach):
        """Persons accompanied by a team the coach belongs to or leads."""
        return self.filter(Q(team__members=coach) | Q(team__lead=coach)).distinct()


class Person(models.Model):
    """A Kundin/Kunde the team accompanies with their recorded, withdrawable consent.

    After erasure the row stays, anonymised: municipality, team, first visit and job
    start are anonymous facts that keep the figures the same."""

    municipality = models.ForeignKey(
        "locations.Municipality",
        on_delete=models.PROTECT,
        related_name="persons",
        verbose_name=_("Gemeinde"),
    )
    team = models.ForeignKey(
        "coaches.Team", on_delete=models.PROTECT, related_name="persons", verbose_name=_("Team")
    )
    name = models.CharField(_("Name"), max_length=120)
    email = models.EmailField(_("E-Mail"), blank=True)
    phone = models.CharField(_("Telefon"), max_length=40, blank=True)

    consent_at = models.DateTimeField(_("Einwilligung am"))
    consent_by = models.ForeignKey(
        "coaches.Coach",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Einwilligung aufgenommen von"),
    )
    consent_text_version = models.CharField(_("Fassung des Einwilligungstexts"), max_length=20)

    earliest_start = models.TimeField(_("frühester Arbeitsbeginn"), null=True, blank=True)
    hours_per_week = models.PositiveSmallIntegerField(
        _("gewünschte Stunden pro Woche"), null=True, blank=True
    )
    childcare = models.CharField(
        _("Kinderbetreuung"), max_length=12, choices=Childcare, default=Childcare.NOT_NEEDED
    )
    childcare_note = models.CharField(_("Notiz zur Kinderbetreuung"), max_length=200, blank=True)
    mobility = models.CharField(
        _("Mobilität"), max_length=8, choices=Mobility, default=Mobility.BUS
    )
    reachable = models.ManyToManyField(
        "locations.Municipality",
        related_name="+",
        blank=True,
        verbose_name=_("erreichbare Gemeinden"),
    )
    health = models.CharField(
        _("gesundheitliche Einschränkung"), max_length=10, choices=Health, default=Health.NONE
    )
    health_note = models.CharField(_("Notiz zur Gesundheit"), max_length=200, blank=True)
    has_qualification = models.BooleanField(_("hat eine Berufsausbildung"), default=False)
    qualification = models.CharField(_("welche Ausbildung"), max_length=120, blank=True)

    status = models.CharField(
        _("Status"), max_length=10, choices=PersonStatus, default=PersonStatus.ACTIVE
    )
    last_contact_at = models.DateTimeField(_("letzter Kontakt"))
    ended_at = models.DateTimeField(_("beendet am"), null=True, blank=True)
    end_reason = models.CharField(_("Grund"), max_length=200, blank=True)
    # Anonymous facts, kept after erasure for the figures.
    first_visit_on = models.DateField(_("erster Besuch"), null=True, blank=True)
    job_start_on = models.DateField(_("Arbeitsbeginn"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymisiert am"), null=True, blank=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("begleitete Person")
        verbose_name_plural = _("begleitete Personen")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=PersonStatus.ACTIVE, ended_at=None)
                | (~Q(status=PersonStatus.ACTIVE) & Q(ended_at__isnull=False)),
                name="person_ended_iff_not_active",
            ),
            models.CheckConstraint(
                condition=Q(hours_per_week__isnull=True) | Q(hours_per_week__lte=60),
                name="person_hours_max",
            ),
        ]

    def __str__(self):
        return self.name or _("(gelöscht)")

    @property
    def is_active(self) -> bool:
        return self.status == PersonStatus.ACTIVE

    def refresh_job_start(self) -> None:
        """Set the job start to the earliest of the hire dates of referrals now hired and
        the days of linked visits with the outcome "job start". Frozen once anonymised."""
        if self.anonymised_at:
            return
        hired = ReferralStep.objects.filter(
            referral__person=self,
            referral__status=ReferralStatus.HIRED,
            status=ReferralStatus.HIRED,
        ).aggregate(first=Min("on"))["first"]
        visit = PersonVisit.objects.filter(
            person=self, booking__outcomes__code=JOB_START_OUTCOME
        ).aggregate(first=Min("booking__day__date"))["first"]
        self.job_start_on = min(filter(None, [hired, visit]), default=None)
        Person.objects.filter(pk=self.pk).update(job_start_on=self.job_start_on)

    def erasure_due(self, retention_days: int) -> datetime | None:
        """When the personal data goes: RETENTION_DAYS after the end; None while active."""
        return self.ended_at + timedelta(days=retention_days) if self.ended_at else None


class PersonVisit(models.Model):
    """A booking or walk-in of the person, linked after a coach confirmed the match."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="visits", verbose_name=_("Person")
    )
    booking = models.OneToOneField(
        "appointments.Booking",
        on_delete=models.CASCADE,
        related_name="person_visit",
        verbose_name=_("Termin"),
    )
    linked_by = models.ForeignKey(
        "coaches.Coach", on_delete=models.PROTECT, related_name="+", verbose_name=_("verknüpft von")
    )
    linked_at = models.DateTimeField(_("verknüpft am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Besuch")
        verbose_name_plural = _("Besuche")

    def __str__(self):
        return f"{self.person_id}: {self.booking_id}"


class ContactKind(models.TextChoices):
    CALL = "call", _("Anruf")
    MAIL = "mail", _("E-Mail")
    LETTER = "letter", _("Brief")
    MEETING = "meeting", _("Treffen")


class ContactEntry(models.Model):
    """One entry of the contact log: a call, mail, letter or meeting with a short note."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("Person")
    )
    on = models.DateField(_("Datum"))
    kind = models.CharField(_("Art"), max_length=10, choices=ContactKind)
    coach = models.ForeignKey(
        "coaches.Coach", on_delete=models.PROTECT, related_name="+", verbose_name=_("Jobcoach")
    )
    note = models.CharField(_("Notiz"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("erfasst am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Kontakt")
        verbose_name_plural = _("Kontakte")
        ordering = ["-on", "-pk"]

    def __str__(self):
        return f"{self.on:%d.%m.%Y} {self.get_kind_display()}"
