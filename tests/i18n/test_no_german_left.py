"""Every client page renders in every language, and the pages in English, Ukrainian,
Arabic and Turkish carry none of the project's own German UI words: a missing or empty
translation would show the German text instead."""

import re
from datetime import time
from html.parser import HTMLParser

import pytest
from django.conf import settings

from joblokal.languages import HTML_LANG
from tests import factories
from tests.appointments.test_booking_form import form_data

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]
# JobLokal's own German UI words. Data (place and topic names) is kept neutral below;
# "Jobcenter", "Rathaus" and "Beratungstag" are deliberately kept as recognisable terms.
GERMAN_TERMS = re.compile(
    r"\b(Termin\w*|buchen|gebucht|Buchung\w*|Warteliste|absagen|abgesagt|verschieben|Uhr|"
    r"Bitte|Ihr|Ihre|Ihren|Sie|Datenschutz\w*|Barrierefreiheit|Impressum|Gebärdensprache|"
    r"Anfahrt|Zurück|Weiter|Zeiten|nicht|oder|für|Gemeinde|Beratung|Hinweis\w*|Anliegen|"
    r"Kontakt|Seite|Fehler|Startseite)\b"
)
NEUTRAL_OPERATOR = {
    **settings.OPERATOR,
    "name": "Operator X",
    "address": "Street 1, 29221 Celle",
    "representative": "Ann Example",
    "supervisory_authority": "Authority X",
}
ATTRIBUTES = ("aria-label", "placeholder", "title", "alt")


class VisibleText(HTMLParser):
    """The text a reader meets: element text and labelling attributes, without scripts,
    styles, and the language switch's own names of the languages."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skip: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style") or attrs.get("lang") == "de":
            self.skip.append(tag)
            return
        self.parts += [attrs[a] for a in ATTRIBUTES if attrs.get(a)]
        if tag == "input" and attrs.get("type") == "submit" and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if self.skip and self.skip[-1] == tag:
            self.skip.pop()

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture
def world(settings):
    settings.OPERATOR = NEUTRAL_OPERATOR
    place = factories.municipality("Wathlingen", district="Celle")
    coach = factories.coach("Anna", specialisms=[factories.specialism("Thema A")])
    day = factories.day(factories.site(place, name="Town Hall", room="Room 1"), coaches=[coach])
    full = factories.day(
        factories.site(place, name="Town Hall", room="Room 2"),
        on=factories.future_date(9),
        start=time(9),
        end=time(9, 30),
    )
    factories.booking(full.slots.first())
    booking, token = factories.booking(day.slots.last())
    return {"day": day, "full": full, "slot": day.slots.first(), "token": token}


def client_pages(client, world):
    """(name, response) for every client page."""
    day, full, slot, token = world["day"], world["full"], world["slot"], world["token"]
    for name, url in [
        ("start", "/"),
        ("search", "/?q=Nirgendwo"),
        ("first free", "/freie-termine/"),
        ("day", f"/tag/{day.pk}/"),
        ("form", f"/buchen/{slot.pk}/"),
        ("slot taken", f"/buchen/{full.slots.first().pk}/"),
        ("waitlist", f"/tag/{full.pk}/warteliste/"),
        ("manage", f"/termin/{token}/"),
        ("move", f"/termin/{token}/verschieben/"),
        ("cancel", f"/termin/{token}/absagen/"),
        ("erase", f"/termin/{token}/daten-loeschen/"),
        ("privacy", "/datenschutz/"),
        ("accessibility", "/barrierefreiheit/"),
        ("imprint", "/impressum/"),
        ("easy language", "/leichte-sprache/"),
        ("sign language", "/gebaerdensprache/"),
        ("not found", "/gibt-es-nicht/"),
    ]:
        yield name, client.get(url)
    yield (
        "form errors",
        client.post(f"/buchen/{slot.pk}/", form_data(day, name="", email="", note="")),
    )
    yield "confirmation", client.post(f"/buchen/{slot.pk}/", form_data(day), follow=True)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_client_page_speaks_the_chosen_language(client, world, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    leftovers = {}
    for name, response in client_pages(client, world):
        assert response.status_code in (200, 404, 409), (name, response.status_code)
        html = response.content.decode()
        assert f'<html lang="{HTML_LANG.get(language, language)}"' in html, name
        if language not in ("de", "de-ls"):
            found = sorted(set(GERMAN_TERMS.findall(visible_text(html))))
            if found:
                leftovers[name] = found
    assert leftovers == {}


def test_the_check_finds_german_left_in_a_page():
    html = '<p>Привіт</p><button aria-label="Termin buchen">x</button><a lang="de">Sie</a>'
    assert GERMAN_TERMS.findall(visible_text(html)) == ["Termin", "buchen"]


def test_arabic_pages_run_right_to_left_with_the_rtl_stylesheet(client, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    html = client.get(f"/tag/{world['day'].pk}/").content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "bootstrap.rtl.min" in html and "bootstrap.min.css" not in html
    assert re.search(r"\d{2}:\d{2}", visible_text(html))  # Western digits, 24-hour times


def test_the_switch_offers_every_language_by_its_own_name_and_keeps_the_page(client, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "tr"
    path = f"/tag/{world['day'].pk}/"
    html = client.get(path).content.decode()
    for name in ("Deutsch", "English", "Українська", "العربية", "Türkçe", "Leichte Sprache"):
        assert name in html
    assert f'name="next" type="hidden" value="{path}"' in html
    response = client.post("/i18n/setlang/", {"language": "uk", "next": path})
    assert response.status_code == 302 and response.url == path
    assert '<html lang="uk"' in client.get(path).content.decode()


def test_staff_pages_offer_only_german_and_english(client, admin_client):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    html = admin_client.get("/team/").content.decode()
    assert '<html lang="de" dir="ltr">' in html
    assert "English" in html and "Українська" not in html


def test_leichte_sprache_is_german_in_short_sentences(client, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de-ls"
    html = client.get(f"/buchen/{world['slot'].pk}/").content.decode()
    assert '<html lang="de" dir="ltr">' in html
    assert "Ich kann keine Treppen gehen." in html
    assert '<span class="badge text-bg-dark" lang="de" dir="ltr">Leichte Sprache</span>' in html
