"""The statistics' counts of each counselling day, kept so the statistics page reads one
row per day and not every booking."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from locations.models import District, Municipality


class DayFigures(models.Model):
    """What one day counts in the statistics, as of the day's `version`. Rebuilt from the
    bookings whenever the day's version has moved on (see services.figures); the retention
    erasure keeps every column these counts read, so a rebuild gives the same counts."""

    day = models.OneToOneField(
        "appointments.OutreachDay",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="figures",
        verbose_name=_("Tag"),
    )
    version = models.PositiveIntegerField()
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    # The day's end if it is published: from then on it counts as held.
    held_from = models.DateTimeField(null=True)
    slots_offered = models.PositiveIntegerField(default=0)
    seats_offered = models.PositiveIntegerField(default=0)
    bookings = models.PositiveIntegerField(default=0)
    seats_used = models.PositiveIntegerField(default=0)
    attended = models.PositiveIntegerField(default=0)
    no_shows = models.PositiveIntegerField(default=0)
    walk_ins = models.PositiveIntegerField(default=0)
    cancellations = models.PositiveIntegerField(default=0)
    # {outcome code: bookings with it}
    outcomes = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("Zahlen eines Tages")
        verbose_name_plural = _("Zahlen der Tage")
        indexes = [
            models.Index(fields=["district", "month"], name="figures_district_month"),
            models.Index(fields=["month"], name="figures_month"),
        ]

    def __str__(self):
        return f"{self.day_id} v{self.version}"
