"""Every client-facing message has a translation in Ukrainian, Arabic and Turkish; fuzzy
entries count as missing. Client-facing means: referenced from a client template or from
the client-side Python (tests/i18n/catalogues.py lists the sources)."""

import re

import polib
import pytest

from tests.i18n import catalogues
from tests.i18n.catalogues import (
    CLIENT_LANGUAGES,
    EASY_LANGUAGE,
    catalogue,
    is_client_facing,
    missing,
    missing_easy_language,
)


@pytest.mark.parametrize("language", CLIENT_LANGUAGES)
def test_every_client_facing_message_is_translated(language):
    gaps = [f"{e.occurrences[0][0]}: {e.msgid!r}" for e in missing(language)]
    assert gaps == [], f"{len(gaps)} client-facing messages untranslated in {language}:\n" + (
        "\n".join(gaps)
    )


@pytest.mark.parametrize("language", CLIENT_LANGUAGES)
def test_the_catalogue_covers_the_client_pages(language):
    # Guards the check above against a catalogue that lost its source references.
    client = [e for e in catalogue(language) if is_client_facing(e)]
    assert len(client) > 300


def test_the_booking_path_is_written_in_leichte_sprache():
    gaps = [f"{e.occurrences[0][0]}: {e.msgid!r}" for e in missing_easy_language()]
    assert gaps == [], "\n".join(gaps)


@pytest.mark.parametrize("language", [*CLIENT_LANGUAGES, EASY_LANGUAGE])
def test_translations_keep_their_placeholders(language):
    placeholder = re.compile(r"%\(\w+\)s")
    wrong = []
    for entry in catalogue(language):
        if not entry.translated():
            continue
        expected = set(placeholder.findall(entry.msgid))
        forms = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        wrong += [entry.msgid for form in forms if set(placeholder.findall(form)) != expected]
    assert wrong == []


def test_fuzzy_entries_count_as_missing(tmp_path, monkeypatch):
    po = catalogue("tr")
    entry = next(e for e in po if is_client_facing(e) and e.translated())
    entry.flags.append("fuzzy")
    path = tmp_path / "django.po"
    po.save(str(path))
    monkeypatch.setattr(catalogues, "catalogue", lambda language: polib.pofile(str(path)))
    assert [e.msgid for e in catalogues.missing("tr")] == [entry.msgid]
