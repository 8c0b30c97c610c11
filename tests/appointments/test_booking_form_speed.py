"""The booking form's speed work: the empty form's markup comes from the cache and is
exactly what crispy-forms renders; the form's GET and POST stay within their queries."""

import re

import pytest
from django.template import Context, Template

from appointments import services
from appointments.forms import BookingForm
from appointments.models import Booking
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


def test_the_form_runs_three_queries(client, django_assert_num_queries):
    slot = a_day().slots.first()
    client.get(f"/buchen/{slot.pk}/")
    # The slot with its venue, whether it is bookable, and the step-free days nearby (its
    # site has steps); the topics come with the cached form.
    with django_assert_num_queries(3):
        client.get(f"/buchen/{slot.pk}/")


def test_a_booking_runs_within_its_query_budget(client, django_assert_num_queries):
    slot = a_day().slots.first()
    client.get(f"/buchen/{slot.pk}/")
    data = form_data(slot.day)
    # 26 before the topics went in one INSERT, the two origin caps into one query and the
    # slot read into the day lock's statement; the day version's UPDATE is new.
    with django_assert_num_queries(24):
        response = client.post(f"/buchen/{slot.pk}/", data)
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert [t.name for t in booking.topics.all()] == ["Familie und Beruf"]
