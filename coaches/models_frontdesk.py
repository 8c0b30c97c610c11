"""The front desk: town-hall or job-centre reception staff who book callers and visitors
into the days of their municipalities. They see names, times and contacts only."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FrontDeskKind(models.TextChoices):
    TOWN_HALL = "town_hall", _("Rathaus")
    JOB_CENTRE = "job_centre", _("Jobcenter-Empfang")


class FrontDesk(models.Model):
    """The front-desk role of one staff account, limited to some municipalities."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="front_desk",
        verbose_name=_("Benutzerkonto"),
    )
    kind = models.CharField(
        _("Empfang"), max_length=12, choices=FrontDeskKind, default=FrontDeskKind.TOWN_HALL
    )
    municipalities = models.ManyToManyField(
        "locations.Municipality", related_name="front_desks", verbose_name=_("Gemeinden")
    )
    active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        verbose_name = _("Empfang")
        verbose_name_plural = _("Empfänge")

    def __str__(self):
        name = self.user.get_full_name() or self.user.get_username()
        return f"{name} ({self.get_kind_display()})"
