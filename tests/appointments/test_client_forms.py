"""The booking path's forms on a phone: the number pad for the phone, autofill, an error
summary that links to each field, plain messages, and a confirmation before anything is
destroyed."""

import re

import pytest

from appointments.models import Booking, BookingStatus
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    return factories.day(coaches=[factories.coach(specialisms=[factories.specialism()])])


def input_tag(body: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', body).group(0)


def test_the_phone_field_is_a_tel_input_once(client, day):
    book = client.get(f"/buchen/{day.slots.first().pk}/").content.decode()
    for slot in day.slots.all():
        factories.booking(slot)
    wait = client.get(f"/tag/{day.pk}/warteliste/").content.decode()
    assert 'name="join"' in wait
    for body in (book, wait):
        tag = input_tag(body, "phone")
        assert tag.count("type=") == 1 and 'type="tel"' in tag
        assert 'autocomplete="tel"' in tag
        assert 'autocomplete="name"' in input_tag(body, "name")
        assert 'autocomplete="email"' in input_tag(body, "email")


def test_a_failed_submit_shows_a_summary_linking_each_field(client, day):
    slot = day.slots.first()
    response = client.post(f"/buchen/{slot.pk}/", {"name": "", "email": "", "phone": ""})
    body = response.content.decode()
    summary = re.search(r'<div class="error-summary.*?</div>', body, re.S).group(0)
    assert 'id="error-summary"' in summary and 'tabindex="-1"' in summary
    assert '<a href="#id_name">Geben Sie Ihren Namen ein.</a>' in summary
    assert 'href="#id_phone"' in summary and 'href="#id_consent"' in summary
    assert "zwingend erforderlich" not in body
    assert "<title>Fehler:" in body
    assert not Booking.objects.exists()


def test_the_waiting_list_form_asks_plainly_for_the_email(client, day):
    for slot in day.slots.all():
        factories.booking(slot)
    body = client.post(f"/tag/{day.pk}/warteliste/", {"name": "Maria"}).content.decode()
    assert '<a href="#id_email">Geben Sie Ihre E-Mail-Adresse ein.</a>' in body


def test_cancelling_asks_first_and_changes_nothing_on_get(client, day):
    booking, token = factories.booking(day.slots.first())
    manage = client.get(f"/termin/{token}/").content.decode()
    assert f'<form method="post" action="/termin/{token}/absagen/"' not in manage
    assert f'href="/termin/{token}/absagen/"' in manage
    page = client.get(f"/termin/{token}/absagen/").content.decode()
    assert "Termin wirklich absagen?" in page and "Ja, Termin absagen" in page
    assert Booking.objects.get().status == BookingStatus.CONFIRMED
    client.post(f"/termin/{token}/absagen/", {"reason": ""})
    assert Booking.objects.get().status == BookingStatus.CANCELLED


def test_erasing_asks_first_and_changes_nothing_on_get(client, day):
    booking, token = factories.booking(day.slots.first(), name="Maria Schulz")
    manage = client.get(f"/termin/{token}/").content.decode()
    assert f'<form method="post" action="/termin/{token}/daten-loeschen/"' not in manage
    page = client.get(f"/termin/{token}/daten-loeschen/").content.decode()
    assert "Ihre Daten wirklich löschen?" in page
    assert Booking.objects.get().name == "Maria Schulz"
    client.post(f"/termin/{token}/daten-loeschen/", {"confirm": "on"})
    assert Booking.objects.get().name == ""


def test_moving_preselects_no_slot(client, day):
    _booking, token = factories.booking(day.slots.first())
    body = client.get(f"/termin/{token}/verschieben/").content.decode()
    assert 'name="slot"' in body
    assert not re.search(r'<input[^>]*name="slot"[^>]*checked', body)


def test_no_jargon_on_the_client_pages(client, day):
    _booking, token = factories.booking(day.slots.first())
    body = client.get(f"/termin/{token}/").content.decode()
    assert "In meinen Kalender eintragen" in body and "Meine Daten herunterladen" in body
    visible = re.sub(r"<[^>]+>", " ", body)
    assert ".ics" not in visible and "JSON" not in visible


def test_the_time_filter_lands_on_the_results(client, day):
    body = client.get(f"/tag/{day.pk}/").content.decode()
    assert f'action="/tag/{day.pk}/#times"' in body
    assert f'href="/tag/{day.pk}/?bis=12%3A00#times"' in body
    assert f'href="/tag/{day.pk}/?von=12%3A00#times"' in body
    assert 'id="times"' in body


def test_needs_are_repeated_on_the_manage_page_with_a_warning_for_steps(client):
    stairs = factories.site(step_free=False)
    step_free = factories.site(step_free=True, name="Gemeindehaus")
    day = factories.day(stairs)
    other = factories.day(step_free, on=factories.future_date(9))
    form = client.get(f"/buchen/{day.slots.first().pk}/").content.decode()
    assert "nicht ohne Stufen erreichbar" in form
    assert f'href="/tag/{other.pk}/"' in form
    _booking, token = factories.booking(day.slots.first(), need_step_free=True)
    manage = client.get(f"/termin/{token}/").content.decode()
    assert "Das haben Sie uns gesagt" in manage and "Zugang ohne Stufen" in manage


def test_the_day_page_gives_bus_stop_and_a_plain_map_link(client):
    site = factories.site(
        bus_stop="Rathaus", bus_lines="Bus 12", latitude="52.5372", longitude="10.1489"
    )
    day = factories.day(site)
    body = client.get(f"/tag/{day.pk}/").content.decode()
    assert "Haltestelle: Rathaus (Bus 12)" in body
    assert (
        'href="https://www.openstreetmap.org/?mlat=52.537200&amp;mlon=10.148900#map=17/52.537200/10.148900"'
        in body
    )
    assert "<iframe" not in body
