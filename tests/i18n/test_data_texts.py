"""Texts that are data (topic names and explanations, a venue's directions and
accessibility notes) are shown in the reader's language when translated, else in German
with a visible note."""

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    topic = factories.specialism("Familie und Beruf")
    topic.translations = {"uk": {"name": "Сім'я і робота", "description": "Речення."}}
    topic.save()
    site = factories.site(
        directions="Eingang an der Rückseite.",
        accessibility_notes="Aufzug im Hof.",
        translations={"uk": {"directions": "Вхід із заднього боку."}},
    )
    return factories.day(site, coaches=[factories.coach("Anna", specialisms=[topic])])


def page(client, day, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(f"/tag/{day.pk}/").content.decode()


def test_translated_data_texts_show_in_the_readers_language(client, day):
    html = page(client, day, "uk")
    assert "Сім&#x27;я і робота" in html and "Речення." in html
    assert "Вхід із заднього боку." in html and "Eingang an der Rückseite." not in html


def test_untranslated_data_texts_fall_back_to_german_with_a_note(client, day):
    html = page(client, day, "uk")
    assert '<span lang="de" dir="ltr">Aufzug im Hof.</span> <span class="datatext-german">' in html
    assert "(німецькою мовою)" in html
    html = page(client, day, "tr")
    assert '<span lang="de" dir="ltr">Familie und Beruf</span>' in html and "(Almanca)" in html


def test_german_pages_show_the_german_text_without_a_note(client, day):
    for language in ("de", "de-ls"):
        html = page(client, day, language)
        assert "Eingang an der Rückseite." in html and "datatext-german" not in html


def test_the_form_names_topics_in_the_readers_language(client, day):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    html = client.get(f"/buchen/{day.slots.first().pk}/").content.decode()
    assert "Сім&#x27;я і робота" in html


def test_the_mail_gives_the_directions_in_the_bookings_language(
    day, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        factories.booking(day.slots.first(), language="uk")
    (message,) = mail.outbox
    assert "Вхід із заднього боку." in message.body


@pytest.mark.parametrize(
    "value",
    [
        {"xx": {"directions": "a"}},
        {"uk": {"name": "a"}},
        {"uk": "a"},
        {"uk": {"directions": 1}},
    ],
)
def test_bad_translations_are_refused_with_a_message(value):
    site = factories.site()
    site.translations = value
    with pytest.raises(ValidationError):
        site.full_clean()


def test_the_admin_edits_the_translations(admin_client, day):
    topic = day.coaches.first().specialisms.first()
    html = admin_client.get(f"/{settings.ADMIN_URL}coaches/specialism/{topic.pk}/change/")
    assert 'name="translations"' in html.content.decode()
    html = admin_client.get(
        f"/{settings.ADMIN_URL}locations/municipality/{day.site.municipality.pk}/change/"
    )
    assert 'name="sites-0-translations"' in html.content.decode()
