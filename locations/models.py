from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    """The German states, by the code the holiday calendar uses."""

    BW = "BW", _("Baden-Württemberg")
    BY = "BY", _("Bayern")
    BE = "BE", _("Berlin")
    BB = "BB", _("Brandenburg")
    HB = "HB", _("Bremen")
    HH = "HH", _("Hamburg")
    HE = "HE", _("Hessen")
    MV = "MV", _("Mecklenburg-Vorpommern")
    NI = "NI", _("Niedersachsen")
    NW = "NW", _("Nordrhein-Westfalen")
    RP = "RP", _("Rheinland-Pfalz")
    SL = "SL", _("Saarland")
    SN = "SN", _("Sachsen")
    ST = "ST", _("Sachsen-Anhalt")
    SH = "SH", _("Schleswig-Holstein")
    TH = "TH", _("Thüringen")


class District(models.Model):
    """A Landkreis (or kreisfreie Stadt); its state decides the public holidays."""

    name = models.CharField(_("Name"), max_length=120, unique=True)
    state = models.CharField(_("Bundesland"), max_length=2, choices=State, default=State.NI)

    class Meta:
        verbose_name = _("Landkreis")
        verbose_name_plural = _("Landkreise")
        ordering = ["name"]

    def __str__(self):
        return self.name


class MunicipalityQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Municipality(models.Model):
    """A Gemeinde or Samtgemeinde where counselling days are held."""

    name = models.CharField(_("Name"), max_length=120)
    slug = models.SlugField(_("Kurzname in der Adresse"), max_length=120, unique=True)
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        related_name="municipalities",
        verbose_name=_("Landkreis"),
    )
    active = models.BooleanField(_("aktiv"), default=True)
    contact_name = models.CharField(_("Ansprechperson im Rathaus"), max_length=120, blank=True)
    contact_email = models.EmailField(_("E-Mail der Ansprechperson"), blank=True)
    contact_phone = models.CharField(_("Telefon der Ansprechperson"), max_length=40, blank=True)

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        verbose_name = _("Gemeinde")
        verbose_name_plural = _("Gemeinden")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Site(models.Model):
    """A venue in a municipality, usually a room in the town hall."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="sites",
        verbose_name=_("Gemeinde"),
    )
    name = models.CharField(_("Name"), max_length=120, help_text=_("z. B. Rathaus"))
    address = models.CharField(_("Adresse"), max_length=200)
    room = models.CharField(_("Raum"), max_length=120, blank=True)
    directions = models.TextField(_("Anfahrt"), blank=True)
    step_free = models.BooleanField(_("stufenlos erreichbar"), default=False)
    accessibility_notes = models.TextField(_("Hinweise zur Barrierefreiheit"), blank=True)

    class Meta:
        verbose_name = _("Ort")
        verbose_name_plural = _("Orte")
        ordering = ["municipality__name", "name"]

    def __str__(self):
        return f"{self.name}, {self.municipality.name}"
