"""The operator's own texts on the privacy, imprint and accessibility pages are data:
shown in the reader's language when translated, else in German with a visible note."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from joblokal.models import LegalText

pytestmark = pytest.mark.django_db

PAGES = {
    LegalText.Page.PRIVACY: "/datenschutz/",
    LegalText.Page.IMPRINT: "/impressum/",
    LegalText.Page.ACCESSIBILITY: "/barrierefreiheit/",
}


UKRAINIAN = "Нашу уповноважену із захисту даних можна застати у вівторок."


@pytest.fixture
def privacy():
    return LegalText.objects.create(
        page=LegalText.Page.PRIVACY,
        text="Unsere Datenschutzbeauftragte erreichen Sie dienstags.",
        translations={"uk": {"text": UKRAINIAN}},
    )


def page(client, url, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_urls_are_the_legal_pages():
    from django.urls import reverse

    assert reverse("privacy") == PAGES[LegalText.Page.PRIVACY]


def test_a_translated_legal_text_shows_in_the_readers_language(client, privacy):
    html = page(client, "/datenschutz/", "uk")
    assert UKRAINIAN in html
    assert "Unsere Datenschutzbeauftragte" not in html


def test_an_untranslated_legal_text_falls_back_to_german_with_a_note(client, privacy):
    html = page(client, "/datenschutz/", "tr")
    assert (
        '<span lang="de" dir="ltr">Unsere Datenschutzbeauftragte erreichen Sie dienstags.</span>'
        in html
    )
    assert "(Almanca)" in html


@pytest.mark.parametrize("language", ["de", "de-ls"])
def test_german_readers_get_the_text_without_a_note(client, privacy, language):
    html = page(client, "/datenschutz/", language)
    assert "Unsere Datenschutzbeauftragte erreichen Sie dienstags." in html
    assert "datatext-german" not in html


@pytest.mark.parametrize(("kind", "url"), list(PAGES.items()))
def test_each_legal_page_shows_its_own_text(client, kind, url):
    LegalText.objects.create(page=kind, text=f"Eigener Text: {kind}")
    html = page(client, url, "de")
    assert f"Eigener Text: {kind}" in html
    others = [other for other in PAGES if other != kind]
    assert not any(f"Eigener Text: {other}" in html for other in others)


def test_without_a_legal_text_the_page_has_only_its_own_text(client):
    assert 'class="legal-text"' not in page(client, "/impressum/", "en")


def test_translations_accept_only_known_languages_and_the_text(privacy):
    privacy.translations = {"xx": {"text": "…"}}
    with pytest.raises(ValidationError):
        privacy.full_clean()
    privacy.translations = {"ar": {"title": "…"}}
    with pytest.raises(ValidationError):
        privacy.full_clean()
    privacy.translations = {"ar": {"text": "نص."}}
    privacy.full_clean()
