"""Series: the rules that generate counselling days, e.g. "2nd Tuesday, 9:00-12:00"."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Recurrence(models.TextChoices):
    MONTHLY = "monthly", _("n-ter Wochentag im Monat")
    WEEKLY = "weekly", _("alle n Wochen")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Montag")
    TUESDAY = 1, _("Dienstag")
    WEDNESDAY = 2, _("Mittwoch")
    THURSDAY = 3, _("Donnerstag")
    FRIDAY = 4, _("Freitag")
    SATURDAY = 5, _("Samstag")
    SUNDAY = 6, _("Sonntag")


class WeekOfMonth(models.IntegerChoices):
    FIRST = 1, _("1.")
    SECOND = 2, _("2.")
    THIRD = 3, _("3.")
    FOURTH = 4, _("4.")
    LAST = -1, _("letzter")


class OutreachSeries(models.Model):
    """The rule that generates counselling days, e.g. "2nd Tuesday, 9:00-12:00"."""

    site = models.ForeignKey(
        "locations.Site", on_delete=models.PROTECT, related_name="series", verbose_name=_("Ort")
    )
    team = models.ForeignKey(
        "coaches.Team", on_delete=models.PROTECT, related_name="series", verbose_name=_("Team")
    )
    recurrence = models.CharField(
        _("Wiederholung"), max_length=10, choices=Recurrence, default=Recurrence.MONTHLY
    )
    week_of_month = models.SmallIntegerField(
        _("Woche im Monat"), choices=WeekOfMonth, null=True, blank=True
    )
    weekday = models.SmallIntegerField(_("Wochentag"), choices=Weekday)
    interval_weeks = models.PositiveSmallIntegerField(_("alle n Wochen"), default=1)
    start_time = models.TimeField(_("Beginn"))
    end_time = models.TimeField(_("Ende"))
    slot_minutes = models.PositiveSmallIntegerField(_("Minuten pro Termin"), default=30)
    seats_per_slot = models.PositiveSmallIntegerField(_("Plätze pro Termin"), default=1)
    starts_on = models.DateField(_("von"))
    ends_on = models.DateField(_("bis"))

    class Meta:
        verbose_name = _("Terminreihe")
        verbose_name_plural = _("Terminreihen")
        ordering = ["site__municipality__name", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="series_end_after_start"
            ),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="series_range"),
            models.CheckConstraint(condition=Q(seats_per_slot__gte=1), name="series_seats_min"),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5), name="series_slot_min"),
            models.CheckConstraint(condition=Q(interval_weeks__gte=1), name="series_interval_min"),
            # A monthly rule without its week has no dates; generation would fail on it.
            models.CheckConstraint(
                condition=~Q(recurrence=Recurrence.MONTHLY) | Q(week_of_month__isnull=False),
                name="series_monthly_has_week",
            ),
        ]

    def __str__(self):
        return f"{self.site} ({self.get_recurrence_display()})"
