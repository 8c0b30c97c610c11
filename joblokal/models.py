"""The operator's own texts on the legal pages, translated per language like other data
texts and shown in German with a note where a translation is missing."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from joblokal.datatext import TranslationsField, TranslationsValidator


class LegalText(models.Model):
    class Page(models.TextChoices):
        PRIVACY = "privacy", _("Datenschutz")
        IMPRINT = "imprint", _("Impressum")
        ACCESSIBILITY = "accessibility", _("Erklärung zur Barrierefreiheit")

    page = models.CharField(_("Seite"), max_length=20, choices=Page.choices, unique=True)
    text = models.TextField(
        _("Text"),
        help_text=_(
            "Der eigene Text des Betreibers auf Deutsch. Er steht unter dem Text der Seite."
        ),
    )
    translations = TranslationsField(
        _("Übersetzungen"),
        default=dict,
        blank=True,
        validators=[TranslationsValidator(["text"])],
        help_text=_('z. B. {"uk": {"text": "…"}}'),
    )

    class Meta:
        verbose_name = _("Rechtstext")
        verbose_name_plural = _("Rechtstexte")
        ordering = ["page"]

    def __str__(self):
        return self.get_page_display()
