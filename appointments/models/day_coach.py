"""A coach present on a counselling day (the through model of OutreachDay.coaches)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from coaches.models import Coach


class DayCoach(models.Model):
    """A coach present on a day. The day's times are copied here so the database can
    refuse one coach on two overlapping days (an exclusion constraint on PostgreSQL)."""

    day = models.ForeignKey(
        "appointments.OutreachDay",
        on_delete=models.CASCADE,
        related_name="day_coaches",
        verbose_name=_("Tag"),
    )
    coach = models.ForeignKey(
        Coach, on_delete=models.PROTECT, related_name="day_coaches", verbose_name=_("Jobcoach")
    )
    starts_at = models.DateTimeField(_("Beginn"))
    ends_at = models.DateTimeField(_("Ende"))

    class Meta:
        verbose_name = _("Jobcoach am Tag")
        verbose_name_plural = _("Jobcoaches am Tag")
        constraints = [
            models.UniqueConstraint(fields=["day", "coach"], name="one_coach_once_per_day"),
        ]

    def __str__(self):
        return f"{self.coach} – {self.day}"

    def save(self, *args, **kwargs):
        # The times always follow the day; they are only here for the constraint.
        self.starts_at, self.ends_at = self.day.starts_at, self.day.ends_at
        super().save(*args, **kwargs)
