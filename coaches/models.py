from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from joblokal.datatext import TranslationsField, TranslationsValidator, translated


class Specialism(models.Model):
    """A counselling topic a coach covers; clients pick these as their concerns."""

    name = models.CharField(_("Name"), max_length=120)
    slug = models.SlugField(_("Kurzname"), max_length=120, unique=True)
    description = models.CharField(
        _("Erklärung für Ratsuchende"),
        max_length=300,
        help_text=_("Ein kurzer Satz in einfacher Sprache."),
    )
    translations = TranslationsField(
        _("Übersetzungen"),
        default=dict,
        blank=True,
        validators=[TranslationsValidator(["name", "description"])],
        help_text=_('z. B. {"uk": {"name": "…", "description": "…"}, "tr": {…}}'),
    )

    class Meta:
        verbose_name = _("Themenschwerpunkt")
        verbose_name_plural = _("Themenschwerpunkte")
        ordering = ["name"]

    def __str__(self):
        # In the reader's language; German names are marked on the client pages.
        name, german = translated(self, "name")
        return f"{name} {gettext('(auf Deutsch)')}" if german else name


def sees_every_day(user) -> bool:
    """Whether the user holds the explicit permission to view bookings (administrators),
    which opens every day's client data. `is_staff` alone only opens the admin's door; it
    is checked first only to spare coaches (never staff) the permission queries."""
    return user.is_staff and user.has_perm("appointments.view_booking")


class CoachQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Coach(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="coach",
        verbose_name=_("Benutzerkonto"),
    )
    name = models.CharField(_("Name"), max_length=120)
    specialisms = models.ManyToManyField(
        Specialism, related_name="coaches", blank=True, verbose_name=_("Themenschwerpunkte")
    )
    active = models.BooleanField(_("aktiv"), default=True)

    objects = CoachQuerySet.as_manager()

    class Meta:
        verbose_name = _("Jobcoach")
        verbose_name_plural = _("Jobcoaches")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Team(models.Model):
    """A standing group of coaches with complementary specialisms."""

    name = models.CharField(_("Name"), max_length=120, unique=True)
    lead = models.ForeignKey(
        Coach,
        on_delete=models.PROTECT,
        related_name="teams_led",
        verbose_name=_("Teamleitung"),
    )
    members = models.ManyToManyField(Coach, related_name="teams", verbose_name=_("Mitglieder"))

    class Meta:
        verbose_name = _("Team")
        verbose_name_plural = _("Teams")
        ordering = ["name"]

    def __str__(self):
        return self.name


# Casework and employers are capabilities of their own, in modules of their own; imported
# here so that Django registers them and `coaches.models` names every model of the app.
from coaches.models_casework import (  # noqa: E402
    ContactEntry,
    Person,
    PersonStatus,
    PersonVisit,
)
from coaches.models_employers import (  # noqa: E402
    Employer,
    Opening,
    OpeningStatus,
    Referral,
    ReferralStatus,
    ReferralStep,
)
from coaches.models_frontdesk import FrontDesk, FrontDeskKind  # noqa: E402

__all__ = [
    "ContactEntry",
    "Employer",
    "FrontDesk",
    "FrontDeskKind",
    "Opening",
    "OpeningStatus",
    "Person",
    "PersonStatus",
    "PersonVisit",
    "Referral",
    "ReferralStatus",
    "ReferralStep",
]
