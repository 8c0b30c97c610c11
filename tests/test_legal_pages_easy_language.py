"""The privacy notice, imprint and accessibility statement in Leichte Sprache: each is a
page of its own, not the standard German, and reads in short sentences (one statement
each, on average at most 15 words, none over 25). Job-centre words stay recognisable:
"Jobcenter" is kept, and "Beratungstag" is explained where it first appears."""

import re

import pytest
from django.conf import settings

from joblokal.models import LegalText
from tests.test_plain_language import WORD, VisibleText, reading_ease

pytestmark = pytest.mark.django_db

PAGES = {
    "privacy": "/datenschutz/",
    "imprint": "/impressum/",
    "accessibility": "/barrierefreiheit/",
}
HEADINGS = {
    "privacy": "Datenschutz",
    "imprint": "Impressum",
    "accessibility": "Erklärung zur Barrierefreiheit",
}


def get(client, url, language) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def sentences(html: str) -> list[str]:
    """The sentences a reader meets in <main>: each block (paragraph, list item, heading,
    address line) split after . ! or ?"""
    parser = VisibleText()
    parser.feed(html)
    parser.flush()
    return [
        s for block in parser.blocks for s in re.split(r"(?<=[.!?])\s+", block) if WORD.search(s)
    ]


def words(sentence: str) -> int:
    return len(WORD.findall(sentence))


@pytest.mark.parametrize("page", PAGES)
def test_each_legal_page_is_written_in_leichte_sprache(client, page):
    easy = get(client, PAGES[page], "de-ls")
    standard = get(client, PAGES[page], "de")

    assert f'<h1 class="h2">{HEADINGS[page]}</h1>' in easy
    assert '<html lang="de"' in easy
    assert 'class="col-lg-8 easy-language"' in easy
    easy_text, standard_text = sentences(easy), sentences(standard)
    assert easy_text != standard_text
    # No sentence of the standard page is copied; short lines such as a heading, the
    # operator's address or "Telefon: …" may be the same.
    copied = {s for s in set(easy_text) & set(standard_text) if words(s) >= 5}
    assert copied == set()
    assert reading_ease(easy) > reading_ease(standard)


@pytest.mark.parametrize("page", PAGES)
def test_the_sentences_are_short(client, page):
    found = sentences(get(client, PAGES[page], "de-ls"))
    lengths = [words(s) for s in found]
    assert len(found) >= 10
    assert sum(lengths) / len(lengths) <= 15, sum(lengths) / len(lengths)
    assert max(lengths) <= 25, max(found, key=words)


def test_the_measure_finds_a_long_sentence():
    long = "<main><p>" + " ".join(["Wort"] * 26) + ".</p><p>Kurz.</p></main>"
    assert [words(s) for s in sentences(long)] == [26, 1]


def test_beratungstag_is_explained_where_it_first_appears_and_jobcenter_is_kept(client):
    text = " ".join(sentences(get(client, "/datenschutz/", "de-ls")))
    first = text.index("Beratungstag")
    assert text.index("Ein Beratungstag ist ein Tag mit Beratung in Ihrem Ort.") - first < 80
    assert "Jobcenter" in text
    assert "Ein Job-Coach ist eine Beraterin oder ein Berater vom Jobcenter." in text


def test_the_easy_pages_say_what_the_standard_ones_say(client, settings):
    settings.RETENTION_DAYS = 30
    settings.OPERATOR = settings.OPERATOR | {
        "privacy_officer_email": "dsb@celle.example",
        "accessibility_email": "hilfe@celle.example",
        "supervisory_authority": "Aufsicht Niedersachsen",
        "representative": "Frau Beispiel",
    }
    privacy = get(client, "/datenschutz/", "de-ls")
    assert "30 Tage nach dem Beratungstag löschen wir Ihre Daten." in privacy
    assert "dsb@celle.example" in privacy and "Aufsicht Niedersachsen" in privacy
    accessibility = get(client, "/barrierefreiheit/", "de-ls")
    assert "hilfe@celle.example" in accessibility and "2 Wochen" in accessibility
    assert "BITV 2.0" in accessibility and "WCAG 2.1" in accessibility
    imprint = get(client, "/impressum/", "de-ls")
    assert settings.OPERATOR["address"] in imprint and "Frau Beispiel" in imprint


def test_the_operators_own_text_stays_on_the_easy_page(client):
    LegalText.objects.create(page=LegalText.Page.IMPRINT, text="Eigener Text des Betreibers.")
    assert "Eigener Text des Betreibers." in get(client, "/impressum/", "de-ls")


@pytest.mark.parametrize("language", ["de", "en", "uk", "ar", "tr"])
def test_the_other_languages_keep_their_pages(client, language):
    html = get(client, "/datenschutz/", language)
    assert "easy-language" not in html
