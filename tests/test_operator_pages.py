"""Who runs this: the operator's name in the header, the phone number in the footer, and
the pages in Leichte Sprache and German Sign Language, linked from every page."""

import pytest
from django.test import override_settings

from tests import factories

pytestmark = pytest.mark.django_db

OPERATOR = {"name": "Jobcenter Musterkreis", "phone": "05141 12-34", "email": "jc@example.org"}


@override_settings(OPERATOR=OPERATOR)
def test_every_client_page_names_the_operator_and_its_phone(client):
    day = factories.day()
    for path in ["/", f"/tag/{day.pk}/", f"/buchen/{day.slots.first().pk}/", "/impressum/"]:
        body = client.get(path).content.decode()
        assert '<span class="operator-name">Jobcenter Musterkreis</span>' in body
        assert 'Rufen Sie an: <a class="tap" href="tel:051411234">05141 12-34</a>' in body
        assert 'href="/leichte-sprache/"' in body and 'href="/gebaerdensprache/"' in body


@override_settings(OPERATOR=OPERATOR)
def test_the_confirmation_gives_the_phone_number(client):
    day = factories.day()
    response = client.post(
        f"/buchen/{day.slots.first().pk}/",
        {"name": "Maria", "phone": "0511 123", "consent": "on"},
        follow=True,
    )
    main = response.content.decode().split("<main", 1)[1].split("</main>")[0]
    assert 'href="tel:051411234"' in main


def test_the_easy_language_page_explains_joblokal_in_short_sentences(client):
    body = client.get("/leichte-sprache/").content.decode()
    assert "JobLokal in Leichter Sprache" in body
    assert "Sie brauchen kein Konto." in body


def test_the_sign_language_page_links_the_configured_video(client, settings):
    assert "kommt bald" in client.get("/gebaerdensprache/").content.decode()
    settings.OPERATOR = {**settings.OPERATOR, "sign_language_video_url": "https://v.example/dgs"}
    assert 'href="https://v.example/dgs"' in client.get("/gebaerdensprache/").content.decode()
