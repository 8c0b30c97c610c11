"""Programmes: a course of sessions several times a week for a cohort of accompanied
persons, e.g. 8 weeks, Monday, Wednesday and Friday 09:00-12:00.

A cohort's sessions are appointments like counselling days; enrolment takes a place from a
counter on the cohort that a CHECK constraint keeps within its capacity (invariant 8).
Persons are named by string, so this module imports nothing from coaches' casework.
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

__all__ = [
    "ApplicationStatus",
    "Attendance",
    "Cohort",
    "CohortStatus",
    "Enrolment",
    "EnrolmentStatus",
    "FormerVisit",
    "LeaveReason",
    "Mark",
    "Programme",
    "ProgrammeApplication",
    "Session",
]

DEFAULT_ABSENCE_FLAG = 2


class CohortStatus(models.TextChoices):
    DRAFT = "draft", _("Entwurf")
    PUBLISHED = "published", _("veröffentlicht")
    CANCELLED = "cancelled", _("abgesagt")


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", _("nimmt teil")
    LEFT = "left", _("vorzeitig beendet")


class LeaveReason(models.TextChoices):
    JOB_START = "job_start", _("Arbeitsaufnahme")
    INTERNSHIP = "internship", _("Praktikum")
    TRAINING = "training", _("Ausbildung")
    ILLNESS = "illness", _("Krankheit")
    OTHER = "other", _("anderer Grund")


class Mark(models.TextChoices):
    PRESENT = "present", _("anwesend")
    EXCUSED = "excused", _("entschuldigt")
    ABSENT = "absent", _("fehlt")


def parse_weekdays(value: str) -> list[int]:
    """The weekday numbers of a stored "0,2,4"; raises ValueError on anything else."""
    days = sorted({int(part) for part in value.split(",") if part.strip()})
    if not days or any(not 0 <= day <= 6 for day in days):
        raise ValueError(value)
    return days


class Programme(models.Model):
    """A programme such as "Durchstarten": where, on which weekdays and times, how many
    weeks, how many places per cohort, and which team runs it under which lead."""

    name = models.CharField(_("Name"), max_length=120)
    site = models.ForeignKey(
        "locations.Site", on_delete=models.PROTECT, related_name="programmes", verbose_name=_("Ort")
    )
    weekdays = models.CharField(
        _("Wochentage"), max_length=20, help_text=_("z. B. 0,2,4 für Montag, Mittwoch, Freitag")
    )
    start_time = models.TimeField(_("Beginn"))
    end_time = models.TimeField(_("Ende"))
    weeks = models.PositiveSmallIntegerField(_("Wochen"), default=8)
    capacity = models.PositiveSmallIntegerField(_("Plätze pro Durchgang"))
    team = models.ForeignKey(
        "coaches.Team", on_delete=models.PROTECT, related_name="programmes", verbose_name=_("Team")
    )
    lead = models.ForeignKey(
        "coaches.Coach",
        on_delete=models.PROTECT,
        related_name="programmes_led",
        verbose_name=_("Leitung"),
    )
    absence_flag = models.PositiveSmallIntegerField(
        _("Hinweis an die Leitung nach so vielen Fehltagen in Folge"), default=DEFAULT_ABSENCE_FLAG
    )

    class Meta:
        verbose_name = _("Programm")
        verbose_name_plural = _("Programme")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="programme_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(weeks__gte=1, weeks__lte=52), name="programme_weeks_range"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="programme_capacity_min"),
            models.CheckConstraint(condition=Q(absence_flag__gte=1), name="programme_flag_min"),
        ]

    def __str__(self):
        return self.name

    @property
    def weekday_list(self) -> list[int]:
        return parse_weekdays(self.weekdays)

    def clean(self):
        try:
            parse_weekdays(self.weekdays or "")
        except ValueError:
            raise ValidationError(
                {"weekdays": _("Bitte Wochentage als Zahlen 0 (Montag) bis 6 (Sonntag) angeben.")}
            ) from None
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": _("Das Ende muss nach dem Beginn liegen.")})


class Cohort(models.Model):
    """One run of a programme from its start date; `places_taken` counts the active
    enrolments and never passes `capacity`."""

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="cohorts", verbose_name=_("Programm")
    )
    starts_on = models.DateField(_("Beginn"))
    status = models.CharField(
        _("Status"), max_length=10, choices=CohortStatus, default=CohortStatus.DRAFT
    )
    capacity = models.PositiveSmallIntegerField(_("Plätze"))
    places_taken = models.PositiveSmallIntegerField(_("belegte Plätze"), default=0)

    class Meta:
        verbose_name = _("Durchgang")
        verbose_name_plural = _("Durchgänge")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(places_taken__lte=F("capacity")), name="cohort_never_overbooked"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="cohort_capacity_min"),
            models.UniqueConstraint(
                fields=["programme", "starts_on"], name="one_cohort_per_programme_start"
            ),
        ]

    def __str__(self):
        return f"{self.programme} ({self.starts_on:%d.%m.%Y})"

    def save(self, *args, **kwargs):
        if self.capacity is None and self.programme_id:
            self.capacity = self.programme.capacity
        super().save(*args, **kwargs)

    @property
    def ends_on(self) -> date:
        return self.starts_on + timedelta(weeks=self.programme.weeks, days=-1)

    @property
    def places_free(self) -> int:
        return max(self.capacity - self.places_taken, 0)


class Session(models.Model):
    """One meeting of a cohort, generated from the programme's weekdays and times."""

    cohort = models.ForeignKey(
        Cohort, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("Durchgang")
    )
    on = models.DateField(_("Datum"))
    starts_at = models.DateTimeField(_("Beginn"))
    ends_at = models.DateTimeField(_("Ende"))

    class Meta:
        verbose_name = _("Programmtermin")
        verbose_name_plural = _("Programmtermine")
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "on"], name="one_session_per_cohort_day"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.on:%d.%m.%Y}"


class Enrolment(models.Model):
    """A person's place in a cohort. Leaving early records the date and the reason; the
    row stays, without personal text, for the figures after the person's erasure."""

    person = models.ForeignKey(
        "coaches.Person",
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("Person"),
    )
    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("Durchgang")
    )
    status = models.CharField(
        _("Status"), max_length=10, choices=EnrolmentStatus, default=EnrolmentStatus.ACTIVE
    )
    enrolled_on = models.DateField(_("aufgenommen am"))
    enrolled_by = models.ForeignKey(
        "coaches.Coach",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("aufgenommen von"),
    )
    ended_on = models.DateField(_("beendet am"), null=True, blank=True)
    end_reason = models.CharField(_("Grund"), max_length=12, choices=LeaveReason, blank=True)
    end_note = models.CharField(_("Notiz"), max_length=200, blank=True)
    # Set when the reminder before the first session is queued; it is sent once.
    reminded_at = models.DateTimeField(_("erinnert am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Teilnahme")
        verbose_name_plural = _("Teilnahmen")
        ordering = ["cohort", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["person", "cohort"], name="one_enrolment_per_person"),
            models.CheckConstraint(
                condition=Q(status=EnrolmentStatus.ACTIVE, ended_on=None, end_reason="")
                | (Q(status=EnrolmentStatus.LEFT, ended_on__isnull=False) & ~Q(end_reason="")),
                name="enrolment_left_with_date_and_reason",
            ),
        ]

    def __str__(self):
        return f"{self.cohort_id}: {self.person_id}"


class Attendance(models.Model):
    """Whether a participant was at a session: present, excused or absent."""

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("Teilnahme")
    )
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("Termin")
    )
    mark = models.CharField(_("Anwesenheit"), max_length=10, choices=Mark)
    marked_by = models.ForeignKey(
        "coaches.Coach",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("erfasst von"),
    )
    marked_at = models.DateTimeField(_("erfasst am"), auto_now=True)

    class Meta:
        verbose_name = _("Anwesenheit")
        verbose_name_plural = _("Anwesenheiten")
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "session"], name="one_attendance_per_session"
            )
        ]

    def __str__(self):
        return self.get_mark_display()


class FormerVisit(models.Model):
    """A former participant dropped in at a session; counted, without personal data."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="former_visits", verbose_name=_("Termin")
    )
    recorded_by = models.ForeignKey(
        "coaches.Coach",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("erfasst von"),
    )
    recorded_at = models.DateTimeField(_("erfasst am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Besuch früherer Teilnehmender")
        verbose_name_plural = _("Besuche früherer Teilnehmender")

    def __str__(self):
        return f"{self.session}"


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("offen")
    ACCEPTED = "accepted", _("angenommen")
    DECLINED = "declined", _("abgelehnt")


class ProgrammeApplication(models.Model):
    """Someone without an account applies for a place in a published cohort. Only what
    the team needs to answer is stored; it is erased RETENTION_DAYS after the cohort."""

    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, related_name="applications", verbose_name=_("Durchgang")
    )
    name = models.CharField(_("Name"), max_length=120, blank=True)
    email = models.EmailField(_("E-Mail"), max_length=254, blank=True)
    phone = models.CharField(_("Telefon"), max_length=40, blank=True)
    note = models.TextField(_("Nachricht"), max_length=1000, blank=True)
    language = models.CharField(_("Sprache"), max_length=10, default="de")
    status = models.CharField(
        _("Status"), max_length=10, choices=ApplicationStatus, default=ApplicationStatus.PENDING
    )
    submission_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    consent_at = models.DateTimeField(_("Einwilligung am"))
    created_at = models.DateTimeField(_("eingegangen am"), auto_now_add=True)
    anonymised_at = models.DateTimeField(_("gelöscht am"), null=True, blank=True)
    decided_at = models.DateTimeField(_("entschieden am"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "coaches.Coach",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entschieden von"),
    )

    class Meta:
        verbose_name = _("Bewerbung")
        verbose_name_plural = _("Bewerbungen")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.cohort_id}: {self.pk}"
