from datetime import time

import pytest

from appointments import services
from appointments.models import DayStatus, WaitlistEntry, WaitlistStatus
from tests import factories

pytestmark = pytest.mark.django_db


def full_day(**fields):
    day = factories.day(start=time(9), end=time(10), **fields)
    for slot in day.slots.all():
        factories.booking(slot)
    return day


def waitlist_data(**fields):
    data = {
        "name": "Maria Muster",
        "email": "Maria@Example.org",
        "phone": "",
        "earliest": "09:00",
        "latest": "12:00",
        "consent": "on",
        "website": "",
        "submission_key": "w" * 32,
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_a_client_joins_the_waiting_list_of_a_full_day(client):
    day = full_day()
    response = client.post(f"/tag/{day.pk}/warteliste/", waitlist_data())
    assert response.status_code == 302
    entry = WaitlistEntry.objects.get()
    assert entry.day == day and entry.email == "maria@example.org"
    assert entry.earliest == time(9) and entry.latest == time(12)
    assert entry.status == WaitlistStatus.WAITING and entry.consent_at is not None
    assert len(entry.token_hash) == 64
    body = client.get(response["Location"]).content.decode()
    assert "Sie stehen auf der Warteliste" in body
    assert "maria@example.org" in body


def test_joining_twice_keeps_one_entry(client):
    day = full_day()
    client.post(f"/tag/{day.pk}/warteliste/", waitlist_data())
    client.post(f"/tag/{day.pk}/warteliste/", waitlist_data(submission_key="v" * 32))
    assert WaitlistEntry.objects.count() == 1


def test_a_day_with_free_slots_in_the_window_says_book_instead(client):
    day = factories.day(start=time(9), end=time(11))
    factories.booking(day.slots.order_by("starts_at").first())
    response = client.post(
        f"/tag/{day.pk}/warteliste/", waitlist_data(earliest="09:00", latest="11:00")
    )
    assert "In dieser Zeit sind noch Termine frei." in response.content.decode()
    assert not WaitlistEntry.objects.exists()
    # Only the early slot is taken: a parent who can come only then may still wait.
    response = client.post(f"/tag/{day.pk}/warteliste/", waitlist_data(earliest="", latest="09:30"))
    assert response.status_code == 302


def test_the_day_page_links_the_filter_to_the_waiting_list(client):
    day = factories.day(start=time(9), end=time(11))
    factories.booking(day.slots.order_by("starts_at").first())
    body = client.get(f"/tag/{day.pk}/", {"von": "09:00", "bis": "09:30"}).content.decode()
    assert f"/tag/{day.pk}/warteliste/?von=09:00&amp;bis=09:30" in body
    body = client.get(f"/tag/{day.pk}/warteliste/", {"von": "09:00", "bis": "09:30"}).content
    assert b'value="09:00"' in body and b'value="09:30"' in body


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"email": ""}, "Geben Sie Ihre E-Mail-Adresse ein."),
        ({"email": "keine-mail"}, "Diese E-Mail-Adresse stimmt nicht."),
        ({"earliest": "12:00", "latest": "09:00"}, "„bis“ muss nach „ab“ liegen."),
        ({"consent": None}, "Bitte stimmen Sie der Datenschutz-Erklärung zu."),
        ({"name": "Maria\r\nBcc: x@example.org"}, "Bitte nur eine Zeile"),
        ({"website": "spam"}, "Die Anfrage konnte nicht gesendet werden."),
    ],
)
def test_bad_waitlist_input_gets_a_message(client, fields, message):
    day = full_day()
    response = client.post(f"/tag/{day.pk}/warteliste/", waitlist_data(**fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_cancelled_and_draft_days_have_no_waiting_list(client):
    cancelled = full_day(status=DayStatus.PUBLISHED)
    cancelled.status = DayStatus.CANCELLED
    cancelled.save(update_fields=["status"])
    response = client.post(f"/tag/{cancelled.pk}/warteliste/", waitlist_data())
    assert "Für diesen Tag gibt es keine Warteliste mehr." in response.content.decode()
    draft = factories.day(factories.site(), status=DayStatus.DRAFT)
    assert client.get(f"/tag/{draft.pk}/warteliste/").status_code == 404
    assert not WaitlistEntry.objects.exists()


def test_join_waitlist_refuses_a_day_that_has_begun():
    day = full_day()
    with pytest.raises(services.SlotNotBookable):
        services.join_waitlist(day=day, name="Maria", email="m@example.org", now=day.starts_at)


def test_the_joined_page_needs_the_session_that_joined(client):
    day = full_day()
    client.post(f"/tag/{day.pk}/warteliste/", waitlist_data())
    from django.test import Client

    assert Client().get(f"/tag/{day.pk}/warteliste/eingetragen/").status_code == 404


def running_day():
    """A published day that began an hour ago and ends in two: no slot is bookable."""
    from datetime import timedelta

    from django.utils import timezone

    from appointments.models import OutreachDay, Slot

    day = factories.day(start=time(9), end=time(12))
    shift = timezone.now() - timedelta(hours=1) - day.starts_at
    OutreachDay.objects.filter(pk=day.pk).update(
        starts_at=day.starts_at + shift, ends_at=day.ends_at + shift
    )
    for slot in day.slots.all():
        Slot.objects.filter(pk=slot.pk).update(
            starts_at=slot.starts_at + shift, ends_at=slot.ends_at + shift
        )
    day.refresh_from_db()
    return day


def test_a_running_day_offers_no_waiting_list_the_form_would_refuse(client):
    """The page and the domain ask one rule (OutreachDay.takes_waitlist): during a running
    day the page offered the waiting list, and the form then refused it."""
    day = running_day()
    page = client.get(f"/tag/{day.pk}/").content.decode()
    assert "Auf die Warteliste" not in page
    response = client.post(f"/tag/{day.pk}/warteliste/", waitlist_data())
    assert response.status_code == 200
    assert not WaitlistEntry.objects.exists()


def test_a_full_day_that_has_not_begun_takes_the_waiting_list(client):
    day = full_day()
    assert "Auf die Warteliste" in client.get(f"/tag/{day.pk}/").content.decode()
