"""The booking form's speed work: the empty form's markup comes from the cache and is
exactly what crispy-forms renders; the form's GET and POST stay within their queries."""

import re

import pytest
from django.template import Context, Template
from django.test import Client

from appointments import services
from appointments.forms import BookingForm
from appointments.models import Booking, Slot
from tests import factories
from tests.appointments.test_booking_form import a_day, form_data

pytestmark = pytest.mark.django_db

KEY = re.compile(r'name="submission_key" value="([^"]+)"')


def test_the_cached_form_is_exactly_what_crispy_renders(client):
    day = a_day()
    slot = day.slots.first()
    client.get(f"/buchen/{slot.pk}/")  # fills the cache
    body = client.get(f"/buchen/{slot.pk}/").content.decode()
    key = KEY.search(body).group(1)
    form = BookingForm(day=day, initial={"submission_key": key})
    crispy = Template("{% load crispy_forms_tags %}{% crispy form %}").render(
        Context({"form": form})
    )
    assert crispy.strip() in body
    assert "Familie und Beruf" in body


def test_each_cached_form_still_gets_its_own_submission_key(client):
    slot = a_day().slots.first()
    keys = {KEY.search(client.get(f"/buchen/{slot.pk}/").content.decode()).group(1) for _ in "abc"}
    assert len(keys) == 3
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{20,64}", key) for key in keys)


def test_new_coaches_on_the_day_change_the_topics_offered(client):
    day = a_day()
    slot = day.slots.first()
    assert "Gesundheit" not in client.get(f"/buchen/{slot.pk}/").content.decode()
    coach = factories.coach("Ben", specialisms=[factories.specialism("Gesundheit")])
    services.assign_coaches(day=day, coaches=[*day.coaches.all(), coach])
    assert "Gesundheit" in client.get(f"/buchen/{slot.pk}/").content.decode()


def test_the_form_runs_one_query(client, django_assert_num_queries):
    slot = a_day().slots.first()
    client.get(f"/buchen/{slot.pk}/")
    # Whether the slot is bookable, with its day's version; the page (venue, topics, the
    # step-free days nearby) comes from the cache. Three before the cache.
    with django_assert_num_queries(1):
        client.get(f"/buchen/{slot.pk}/")


def test_a_full_slot_is_never_served_from_the_cache(client):
    slot = a_day().slots.first()
    client.get(f"/buchen/{slot.pk}/")
    # Filled behind the cache's back, without raising the version.
    Slot.objects.filter(pk=slot.pk).update(seats_taken=1)
    response = client.get(f"/buchen/{slot.pk}/")
    assert response.status_code == 409


def test_a_shared_page_carries_each_visitors_own_token_and_books(client):
    slot = a_day().slots.first()
    Client().get(f"/buchen/{slot.pk}/")  # another visitor fills the cache
    strict = Client(enforce_csrf_checks=True)
    body = strict.get(f"/buchen/{slot.pk}/").content.decode()
    token = body.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    data = form_data(slot.day, csrfmiddlewaretoken=token, submission_key=KEY.search(body)[1])
    assert strict.post(f"/buchen/{slot.pk}/", data).status_code == 302
    assert Booking.objects.count() == 1


def test_a_logged_in_visitor_gets_a_page_of_their_own(client):
    slot = a_day().slots.first()
    client.get(f"/buchen/{slot.pk}/")
    client.force_login(factories.coach().user)
    assert "Abmelden" in client.get(f"/buchen/{slot.pk}/").content.decode()
    assert "Abmelden" not in Client().get(f"/buchen/{slot.pk}/").content.decode()


def test_a_booking_runs_within_its_query_budget(client, django_assert_num_queries):
    slot = a_day().slots.first()
    client.get(f"/buchen/{slot.pk}/")
    data = form_data(slot.day)
    # 26 before the topics went in one INSERT, the two origin caps into one query and the
    # slot read into the day lock's statement; then 24 with the day version's UPDATE.
    # Now 15: the new session written once at the end (was a SELECT, an INSERT and an
    # UPDATE, with their savepoints), no submission-key lookup before the lock, the
    # person and the caps from one read, the notice rows in one INSERT (was get_or_create).
    # 14: the slot is read only by the day lock (the topics' check finds the day itself).
    with django_assert_num_queries(14):
        response = client.post(f"/buchen/{slot.pk}/", data)
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert [t.name for t in booking.topics.all()] == ["Familie und Beruf"]
