"""Local employers, their openings, and referrals of accompanied persons with a dated
status history. Imported at the end of coaches.models so Django registers the models."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Employer(models.Model):
    """An employer in a Landkreis (the district of its municipality). Its notes and contact
    person are private to the team that keeps the contact, and to administrators."""

    team = models.ForeignKey(
        "coaches.Team", on_delete=models.PROTECT, related_name="employers", verbose_name=_("Team")
    )
    municipality = models.ForeignKey(
        "locations.Municipality",
        on_delete=models.PROTECT,
        related_name="employers",
        verbose_name=_("Gemeinde"),
    )
    name = models.CharField(_("Name"), max_length=160)
    sector = models.CharField(_("Branche"), max_length=120)
    address = models.CharField(_("Adresse"), max_length=200, blank=True)
    contact_name = models.CharField(_("Ansprechperson"), max_length=120, blank=True)
    phone = models.CharField(_("Telefon"), max_length=40, blank=True)
    email = models.EmailField(_("E-Mail"), blank=True)
    notes = models.TextField(_("Notizen"), max_length=2000, blank=True)
    flexible_start = models.BooleanField(_("flexible Anfangszeiten"), default=False)
    part_time = models.BooleanField(_("Teilzeit möglich"), default=False)
    no_qualification = models.BooleanField(_("auch ohne Ausbildung"), default=False)
    step_free = models.BooleanField(_("stufenloser Arbeitsplatz"), default=False)
    by_bus = models.BooleanField(_("mit dem Bus erreichbar"), default=False)

    class Meta:
        verbose_name = _("Arbeitgeber")
        verbose_name_plural = _("Arbeitgeber")
        ordering = ["name"]

    def __str__(self):
        return self.name


class OpeningStatus(models.TextChoices):
    OPEN = "open", _("offen")
    FILLED = "filled", _("besetzt")


class Opening(models.Model):
    """A job opening of an employer."""

    employer = models.ForeignKey(
        Employer, on_delete=models.CASCADE, related_name="openings", verbose_name=_("Arbeitgeber")
    )
    title = models.CharField(_("Stelle"), max_length=160)
    hours_per_week = models.PositiveSmallIntegerField(_("Stunden pro Woche"))
    earliest_start = models.TimeField(_("Arbeitsbeginn frühestens"))
    latest_start = models.TimeField(_("Arbeitsbeginn spätestens"))
    needs_qualification = models.BooleanField(_("Ausbildung nötig"), default=False)
    starts_on = models.DateField(_("Beginn am"), null=True, blank=True)
    status = models.CharField(
        _("Status"), max_length=8, choices=OpeningStatus, default=OpeningStatus.OPEN
    )

    class Meta:
        verbose_name = _("Stellenangebot")
        verbose_name_plural = _("Stellenangebote")
        ordering = ["title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latest_start__gte=F("earliest_start")), name="opening_start_window"
            ),
            models.CheckConstraint(
                condition=Q(hours_per_week__gte=1, hours_per_week__lte=60), name="opening_hours"
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.employer})"

    @property
    def is_open(self) -> bool:
        return self.status == OpeningStatus.OPEN


class ReferralStatus(models.TextChoices):
    PROPOSED = "proposed", _("vorgeschlagen")
    APPLIED = "applied", _("beworben")
    INTERVIEW = "interview", _("Vorstellungsgespräch")
    INTERNSHIP = "internship", _("Praktikum")
    HIRED = "hired", _("eingestellt")
    NOT_HIRED = "not_hired", _("nicht eingestellt")
    WITHDRAWN = "withdrawn", _("zurückgezogen")


# The path's order; the three ends share the last rank.
REFERRAL_RANK = {
    ReferralStatus.PROPOSED: 0,
    ReferralStatus.APPLIED: 1,
    ReferralStatus.INTERVIEW: 2,
    ReferralStatus.INTERNSHIP: 3,
    ReferralStatus.HIRED: 4,
    ReferralStatus.NOT_HIRED: 4,
    ReferralStatus.WITHDRAWN: 4,
}


class Referral(models.Model):
    """A Vermittlungsvorschlag: a person proposed to an opening or to an employer."""

    person = models.ForeignKey(
        "coaches.Person",
        on_delete=models.CASCADE,
        related_name="referrals",
        verbose_name=_("Person"),
    )
    employer = models.ForeignKey(
        Employer, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("Arbeitgeber")
    )
    opening = models.ForeignKey(
        Opening,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("Stellenangebot"),
    )
    status = models.CharField(
        _("Status"), max_length=10, choices=ReferralStatus, default=ReferralStatus.PROPOSED
    )
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)

    class Meta:
        verbose_name = _("Vermittlungsvorschlag")
        verbose_name_plural = _("Vermittlungsvorschläge")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "opening"],
                condition=Q(opening__isnull=False),
                name="one_referral_per_person_and_opening",
            )
        ]

    def __str__(self):
        return f"{self.employer}: {self.get_status_display()}"


class ReferralStep(models.Model):
    """One dated step of a referral's status history."""

    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, related_name="steps", verbose_name=_("Vorschlag")
    )
    status = models.CharField(_("Status"), max_length=10, choices=ReferralStatus)
    on = models.DateField(_("Datum"))
    reason = models.CharField(_("Grund"), max_length=200, blank=True)
    coach = models.ForeignKey(
        "coaches.Coach",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("Jobcoach"),
    )
    at = models.DateTimeField(_("erfasst am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Schritt")
        verbose_name_plural = _("Schritte")
        ordering = ["on", "pk"]

    def __str__(self):
        return f"{self.on:%d.%m.%Y} {self.get_status_display()}"
