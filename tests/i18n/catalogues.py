"""The client-facing part of the translation catalogues, found from the source references
(`#:` lines) of each entry."""

from pathlib import Path

import polib
from django.utils import translation

from appointments.models import BookingStatus

ROOT = Path(__file__).resolve().parents[2]
CLIENT_LANGUAGES = ("uk", "ar", "tr")

# Sources whose messages clients see: their pages, mails, SMS texts, calendar entries and
# forms, and what staff print and hand them (the front desk's slip, the letter, the poster).
CLIENT_SOURCES = (
    "templates/base.html",
    "templates/appointments/",
    "templates/locations/",
    "templates/includes/",
    "templates/pages/",
    "templates/emails/",
    "templates/sms/",
    "templates/print/letter.html",
    "templates/print/poster.html",
    "templates/coaches/frontdesk/slip.html",
    "templates/4",
    "templates/500.html",
    "appointments/forms.py",
    "appointments/sms.py",
    "appointments/sms_texts.py",
    "appointments/views.py",
    "appointments/views_manage.py",
    "appointments/views_consent.py",
    "appointments/ics.py",
    "appointments/messages.py",
    "appointments/templatetags/",
    "locations/",
    "joblokal/views.py",
    "joblokal/settings.py",
    "joblokal/templatetags/",
)


# Leichte Sprache covers the booking path through the catalogue; the legal pages and the
# page "JobLokal in Leichter Sprache" are written in it as pages of their own.
EASY_LANGUAGE = "de_LS"
EASY_LANGUAGE_SOURCES = (
    "templates/base.html",
    "templates/appointments/",
    "templates/locations/",
    "templates/includes/",
    "templates/emails/",
    "templates/sms/",
    "templates/print/letter.html",
    "templates/print/poster.html",
    "templates/coaches/frontdesk/slip.html",
    "templates/4",
    "templates/500.html",
    "appointments/forms.py",
    "appointments/sms_texts.py",
    "appointments/views.py",
    "appointments/views_manage.py",
    "appointments/ics.py",
    "locations/views.py",
    "locations/forms.py",
)

# Model choices shown on client pages (the manage page shows the booking's status).
CLIENT_CHOICES = (BookingStatus,)


def client_choice_labels() -> set[str]:
    with translation.override("de"):
        return {str(label) for choices in CLIENT_CHOICES for label in choices.labels}


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))


def is_client_facing(entry: polib.POEntry) -> bool:
    return entry.msgid in client_choice_labels() or any(
        path.startswith(CLIENT_SOURCES) for path, _line in entry.occurrences
    )


def is_translated(entry: polib.POEntry) -> bool:
    if entry.fuzzy or entry.obsolete:
        return False
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr.strip())


def missing(language: str) -> list[polib.POEntry]:
    """Client-facing entries untranslated in `language`, and those of the German source
    catalogue (`make messages` refreshes every catalogue from the code at once) that the
    language's catalogue lacks altogether."""
    po = catalogue(language)
    present = {e.msgid for e in po if not e.obsolete}
    absent = [
        e
        for e in catalogue("de")
        if not e.obsolete and is_client_facing(e) and e.msgid not in present
    ]
    return absent + [
        e for e in po if not e.obsolete and is_client_facing(e) and not is_translated(e)
    ]


def missing_easy_language() -> list[polib.POEntry]:
    return [
        e
        for e in catalogue(EASY_LANGUAGE)
        if not e.obsolete
        and any(path.startswith(EASY_LANGUAGE_SOURCES) for path, _line in e.occurrences)
        and not is_translated(e)
    ]
