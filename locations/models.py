import re
import unicodedata
from urllib.parse import urlencode

from django.db import models
from django.utils.translation import gettext_lazy as _

from joblokal.datatext import TranslationsField, TranslationsValidator

# German letters and their spellings on a keyboard without them: "Hambühren" is found as
# "Hambuehren" and as "Hambuhren".
FOLDS = [{"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}, {"ä": "a", "ö": "o", "ü": "u", "ß": "ss"}]


def fold(text: str, spelling: dict | None = None) -> str:
    """Lower-case text with umlauts spelled out and other accents dropped, for search."""
    text = text.casefold().replace("ß", "ss")
    for letter, spelled in (spelling or FOLDS[0]).items():
        text = text.replace(letter, spelled)
    text = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


def split_list(text: str) -> list[str]:
    return [item.strip() for item in re.split(r"[,;\n]", text or "") if item.strip()]


def osm_url(*, latitude, longitude, address: str) -> str:
    """A plain OpenStreetMap link: the point when coordinates are known, else a search."""
    if latitude is not None and longitude is not None:
        return (
            f"https://www.openstreetmap.org/?mlat={latitude}&mlon={longitude}"
            f"#map=17/{latitude}/{longitude}"
        )
    return "https://www.openstreetmap.org/search?" + urlencode({"query": address})


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

    def search(self, query: str):
        """Municipalities whose name, member villages or postcodes contain the query,
        with or without umlauts."""
        words = fold(query).split()
        found = self
        for word in words:
            found = found.filter(search_text__contains=word)
        return found


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
    postcodes = models.CharField(
        _("Postleitzahlen"), max_length=200, blank=True, help_text=_("durch Komma getrennt")
    )
    member_villages = models.TextField(
        _("Ortsteile und Mitgliedsgemeinden"),
        blank=True,
        help_text=_("durch Komma getrennt, z. B. Nienhagen, Wathlingen"),
    )
    latitude = models.DecimalField(
        _("Breitengrad"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("Längengrad"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    # Name, villages and postcodes in both umlaut-free spellings; kept by save().
    search_text = models.TextField(blank=True, editable=False)

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        verbose_name = _("Gemeinde")
        verbose_name_plural = _("Gemeinden")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.search_text = self.build_search_text()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def build_search_text(self) -> str:
        names = [self.name, *split_list(self.member_villages), *split_list(self.postcodes)]
        return " | ".join(sorted({fold(n, spelling) for n in names for spelling in FOLDS}))

    @property
    def villages(self) -> list[str]:
        return split_list(self.member_villages)


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
    contact_email = models.EmailField(
        _("E-Mail für Nachrichten an den Ort"),
        blank=True,
        help_text=_(
            "Bekommt eine kurze Nachricht, wenn Tage hier veröffentlicht oder abgesagt werden, "
            "und zwei Werktage vorher die Tagesliste. Leer: die E-Mail der Gemeinde."
        ),
    )
    translations = TranslationsField(
        _("Übersetzungen"),
        default=dict,
        blank=True,
        validators=[TranslationsValidator(["directions", "accessibility_notes"])],
        help_text=_('z. B. {"uk": {"directions": "…", "accessibility_notes": "…"}}'),
    )
    bus_stop = models.CharField(_("Haltestelle"), max_length=120, blank=True)
    bus_lines = models.CharField(
        _("Bus- und Bahnlinien"), max_length=120, blank=True, help_text=_("z. B. Bus 12, 14")
    )
    latitude = models.DecimalField(
        _("Breitengrad"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("Längengrad"), max_digits=9, decimal_places=6, null=True, blank=True
    )

    class Meta:
        verbose_name = _("Ort")
        verbose_name_plural = _("Orte")
        ordering = ["municipality__name", "name"]

    def __str__(self):
        return f"{self.name}, {self.municipality.name}"

    @property
    def map_url(self) -> str:
        address = ", ".join(p for p in [self.address, self.municipality.name] if p)
        return osm_url(latitude=self.latitude, longitude=self.longitude, address=address)

    @property
    def notice_email(self) -> str:
        """Where notices about days at this venue go: its own address, else the town hall's."""
        return self.contact_email or self.municipality.contact_email
