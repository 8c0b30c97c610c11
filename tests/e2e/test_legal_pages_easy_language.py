"""The legal pages in Leichte Sprache, in real Chromium: chosen through the language
switch, they speak German to assistive technology (lang="de"), and pass axe-core and the
Nu Html Checker."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGES = [
    ("/datenschutz/", "Datenschutz", "Ein Beratungstag ist ein Tag mit Beratung in Ihrem Ort."),
    ("/impressum/", "Impressum", "Impressum heißt: Hier steht, wem diese Internet-Seite gehört."),
    (
        "/barrierefreiheit/",
        "Erklärung zur Barrierefreiheit",
        "Barrierefrei heißt: Alle Menschen können etwas gut benutzen.",
    ),
]


def test_the_legal_pages_in_leichte_sprache(page, html_pages):
    page.goto("/datenschutz/")
    expect(page.locator("main")).not_to_contain_text("Ein Beratungstag ist")
    page.locator("button[name=language][value=de-ls]").click()
    page.wait_for_url("**/datenschutz/")
    for url, heading, explanation in PAGES:
        if not page.url.endswith(url):
            page.goto(url)
        assert page.evaluate("() => document.documentElement.lang") == "de"
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.locator("main")).to_contain_text(explanation)
        assert_accessible(page)
        html_pages(page, url.strip("/"))
