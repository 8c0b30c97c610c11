"""Texts that are data (topic names and explanations, a venue's directions and
accessibility notes) translated per language in a JSON field on the model:
{"uk": {"name": "…", "description": "…"}, "en": {…}}. Without a translation the German
text is shown, with a visible note that it is in German."""

from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# Languages that read the German original as it is.
GERMAN = ("de", "de-ls")


class DataText(NamedTuple):
    text: str
    german_fallback: bool


def translated(obj, field: str, language: str | None = None) -> DataText:
    """The field's text in the language (the active one by default)."""
    original = getattr(obj, field) or ""
    language = language or get_language() or settings.LANGUAGE_CODE
    if language in GERMAN or not original:
        return DataText(original, False)
    text = ((obj.translations or {}).get(language) or {}).get(field, "").strip()
    return DataText(text, False) if text else DataText(original, True)


@deconstructible
class TranslationsValidator:
    """Accepts {language: {field: text}} for the non-German LANGUAGES and the given fields."""

    def __init__(self, fields):
        self.fields = tuple(fields)

    def __call__(self, value):
        languages = [code for code, _name in settings.LANGUAGES if code not in GERMAN]
        if not isinstance(value, dict):
            raise ValidationError(_("Bitte ein JSON-Objekt angeben."))
        for language, texts in value.items():
            if language not in languages:
                raise ValidationError(
                    _("Unbekannte Sprache „%(language)s“. Erlaubt: %(allowed)s."),
                    params={"language": language, "allowed": ", ".join(languages)},
                )
            if not isinstance(texts, dict) or not all(
                key in self.fields and isinstance(text, str) for key, text in texts.items()
            ):
                raise ValidationError(
                    _("Pro Sprache nur Texte für: %(fields)s."),
                    params={"fields": ", ".join(self.fields)},
                )

    def __eq__(self, other):
        return isinstance(other, TranslationsValidator) and self.fields == other.fields


class TranslationsField(models.JSONField):
    """A JSON field of translations per language.

    Its form field leaves out the hidden "initial" copy Django adds for a callable
    default: that copy inherits the help text's aria-describedby, which is invalid HTML
    on a hidden input.
    """

    def formfield(self, **kwargs):
        return super().formfield(**{"show_hidden_initial": False, **kwargs})

    def deconstruct(self):
        # Stored exactly like a JSONField: the difference is only in the admin form.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs
