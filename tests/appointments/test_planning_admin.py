"""The admin path an administrator takes: municipality with venue, series, preview,
generate, publish, cancel with a reason, and the edit rules shown as form errors."""

from datetime import date, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from appointments.models import (
    BookingStatus,
    DayStatus,
    MailKind,
    OutgoingMail,
    OutreachDay,
    OutreachSeries,
)
from locations.models import Municipality
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("chefin", "chefin@example.org", "pw-123456")
    client.force_login(user)
    return client


def inline_management(prefix="sites", total=1):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "1",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_a_new_municipality_with_its_venue_leads_straight_to_planning(admin_client):
    response = admin_client.post(
        reverse("admin:locations_municipality_add"),
        {
            "name": "Hambühren",
            "slug": "hambuehren",
            "district": factories.district("Landkreis Celle").pk,
            "active": "on",
            "contact_name": "Frau Meyer",
            "contact_email": "meyer@hambuehren.example",
            "contact_phone": "05084 1234",
            **inline_management(),
            "sites-0-name": "Rathaus",
            "sites-0-address": "Celler Straße 2, 29313 Hambühren",
            "sites-0-room": "Sitzungssaal, Erdgeschoss",
            "sites-0-step_free": "on",
            "sites-0-accessibility_notes": "Rampe am Seiteneingang",
            "sites-0-directions": "Bus 10 bis Rathaus",
        },
    )
    municipality = Municipality.objects.get(slug="hambuehren")
    site = municipality.sites.get()
    assert site.step_free and site.room == "Sitzungssaal, Erdgeschoss"
    assert municipality.contact_name == "Frau Meyer"
    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('admin:appointments_outreachseries_add')}?site={site.pk}"
    )
    form = admin_client.get(response["Location"])
    assert form.status_code == 200
    assert form.context["adminform"].form.initial["site"] == str(site.pk)


def test_a_municipality_needs_its_venue(admin_client):
    response = admin_client.post(
        reverse("admin:locations_municipality_add"),
        {
            "name": "Eicklingen",
            "slug": "eicklingen",
            "district": factories.district("Landkreis Celle").pk,
            **inline_management(total=0),
        },
    )
    assert response.status_code == 200
    assert not Municipality.objects.filter(slug="eicklingen").exists()


def series_post(site, team, **fields):
    data = {
        "site": site.pk,
        "team": team.pk,
        "recurrence": "monthly",
        "week_of_month": "2",
        "weekday": "1",
        "interval_weeks": "1",
        "start_time": "09:00",
        "end_time": "12:00",
        "slot_minutes": "30",
        "seats_per_slot": "1",
        "starts_on": "2027-01-01",
        "ends_on": "2027-12-31",
    }
    data.update(fields)
    return data


def test_saving_a_series_opens_its_preview_with_the_skipped_holidays(admin_client):
    site, team = factories.site(), factories.team()
    response = admin_client.post(
        reverse("admin:appointments_outreachseries_add"),
        series_post(site, team, week_of_month="-1", weekday="4"),
    )
    series = OutreachSeries.objects.get()
    preview_url = reverse("admin:appointments_outreachseries_preview", args=[series.pk])
    assert response["Location"] == preview_url
    page = admin_client.get(preview_url).content.decode()
    assert "11 Tage" in page
    assert "Karfreitag" in page
    assert "Freitag, 29.01.2027" in page
    assert not OutreachDay.objects.exists()  # a preview creates nothing


def test_a_monthly_series_needs_its_week(admin_client):
    site, team = factories.site(), factories.team()
    response = admin_client.post(
        reverse("admin:appointments_outreachseries_add"),
        series_post(site, team, week_of_month=""),
    )
    assert response.status_code == 200
    assert "Bitte wählen Sie die Woche im Monat" in response.content.decode()


def test_series_times_are_checked_with_plain_messages(admin_client):
    site, team = factories.site(), factories.team()
    response = admin_client.post(
        reverse("admin:appointments_outreachseries_add"),
        series_post(site, team, start_time="12:00", end_time="09:00", ends_on="2026-01-01"),
    )
    page = response.content.decode()
    assert "Das Ende muss nach dem Beginn liegen." in page
    assert "Das Ende des Zeitraums muss nach dem Anfang liegen." in page
    assert not OutreachSeries.objects.exists()


def test_generating_from_the_preview_twice_creates_each_day_once(admin_client):
    site, team = factories.site(), factories.team()
    admin_client.post(reverse("admin:appointments_outreachseries_add"), series_post(site, team))
    series = OutreachSeries.objects.get()
    url = reverse("admin:appointments_outreachseries_preview", args=[series.pk])
    first = admin_client.post(url)
    admin_client.post(url)
    assert first["Location"].endswith(f"?series__id__exact={series.pk}")
    assert OutreachDay.objects.filter(series=series, status=DayStatus.DRAFT).count() == 12
    listing = admin_client.get(first["Location"])
    assert listing.status_code == 200


def test_publishing_in_bulk_from_the_list(admin_client):
    days = [factories.day(status=DayStatus.DRAFT, on=factories.future_date(n)) for n in (3, 4)]
    response = admin_client.post(
        reverse("admin:appointments_outreachday_changelist"),
        {"action": "publish_selected", "_selected_action": [d.pk for d in days]},
    )
    assert response.status_code == 302
    assert OutreachDay.objects.filter(status=DayStatus.PUBLISHED).count() == 2


def test_cancelling_asks_for_a_reason_then_cancels_and_notifies(
    admin_client, django_capture_on_commit_callbacks
):
    day = factories.day(seats=2)
    for slot in list(day.slots.all())[:3]:
        factories.booking(slot)
    response = admin_client.post(
        reverse("admin:appointments_outreachday_changelist"),
        {"action": "cancel_selected", "_selected_action": [day.pk]},
    )
    cancel_url = response["Location"]
    page = admin_client.get(cancel_url)
    assert "3 Buchungen" in page.content.decode()
    empty = admin_client.post(cancel_url, {"ids": str(day.pk), "reason": ""})
    assert empty.status_code == 200
    day.refresh_from_db()
    assert day.status == DayStatus.PUBLISHED

    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(cancel_url, {"ids": str(day.pk), "reason": "Rathaus zu"})
    assert done.status_code == 302
    day.refresh_from_db()
    assert day.status == DayStatus.CANCELLED and day.cancel_reason == "Rathaus zu"
    assert not day.bookings.filter(status=BookingStatus.CONFIRMED).exists()
    assert OutgoingMail.objects.filter(kind=MailKind.DAY_CANCELLED).count() == 3


def day_post(day, **fields):
    data = {
        "site": day.site.pk,
        "date": day.date.isoformat(),
        "start": timezone.localtime(day.starts_at).strftime("%H:%M"),
        "end": timezone.localtime(day.ends_at).strftime("%H:%M"),
        "seats_per_slot": str(day.seats_per_slot),
        "team": day.team.pk if day.team else "",
        "present_coaches": [c.pk for c in day.coaches.all()],
        "slots-TOTAL_FORMS": "0",
        "slots-INITIAL_FORMS": "0",
        "slots-MIN_NUM_FORMS": "0",
        "slots-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


def test_editing_cannot_shrink_seats_below_the_bookings(admin_client):
    day = factories.day(seats=2)
    slot = day.slots.first()
    factories.booking(slot)
    factories.booking(slot)
    url = reverse("admin:appointments_outreachday_change", args=[day.pk])
    response = admin_client.post(url, day_post(day, seats_per_slot="1"))
    assert response.status_code == 200
    assert "Weniger Plätze geht nicht" in response.content.decode()
    assert set(day.slots.values_list("capacity", flat=True)) == {2}


def test_editing_a_published_day_can_add_slots_and_change_coaches(admin_client):
    anna, ben = factories.coach("Anna"), factories.coach("Ben")
    day = factories.day(start=time(9), end=time(11), coaches=[anna])
    factories.booking(day.slots.first())
    url = reverse("admin:appointments_outreachday_change", args=[day.pk])
    response = admin_client.post(url, day_post(day, end="12:00", present_coaches=[ben.pk]))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert day.slots.count() == 6
    assert list(day.coaches.all()) == [ben]


def test_a_coach_clash_is_named_on_the_day_form(admin_client):
    anna = factories.coach("Anna Berg")
    bergen = factories.site(factories.municipality("Bergen"))
    busy = factories.day(bergen, start=time(9), end=time(12), coaches=[anna])
    other = factories.site(factories.municipality("Wathlingen"))
    response = admin_client.post(
        reverse("admin:appointments_outreachday_add"),
        {
            "site": other.pk,
            "date": busy.date.isoformat(),
            "start": "10:00",
            "end": "13:00",
            "slot_minutes": "30",
            "seats_per_slot": "1",
            "present_coaches": [anna.pk],
            "slots-TOTAL_FORMS": "0",
            "slots-INITIAL_FORMS": "0",
            "slots-MIN_NUM_FORMS": "0",
            "slots-MAX_NUM_FORMS": "1000",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Anna Berg ist am" in page and "Bergen (Rathaus)" in page
    assert OutreachDay.objects.count() == 1


def test_adding_a_single_day_by_hand(admin_client):
    team = factories.team(factories.coach("Anna"), factories.coach("Ben"))
    site = factories.site()
    on = date.today() + timedelta(days=20)
    response = admin_client.post(
        reverse("admin:appointments_outreachday_add"),
        {
            "site": site.pk,
            "date": on.isoformat(),
            "start": "09:00",
            "end": "12:00",
            "slot_minutes": "20",
            "seats_per_slot": "1",
            "team": team.pk,
            "slots-TOTAL_FORMS": "0",
            "slots-INITIAL_FORMS": "0",
            "slots-MIN_NUM_FORMS": "0",
            "slots-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    day = OutreachDay.objects.get()
    assert day.slots.count() == 9
    assert day.coaches.count() == 2


def test_the_day_list_needs_the_same_queries_for_many_days(admin_client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("admin:appointments_outreachday_changelist")
    factories.day()
    admin_client.get(url)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    for n in range(2, 12):
        factories.day(on=factories.future_date(n), team_=factories.team())
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)
    assert len(many) == len(few)


def test_the_series_list_needs_the_same_queries_for_many_series(admin_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("admin:appointments_outreachseries_changelist")
    site, team = factories.site(), factories.team()
    admin_client.post(reverse("admin:appointments_outreachseries_add"), series_post(site, team))
    admin_client.get(url)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    for _ in range(5):
        admin_client.post(
            reverse("admin:appointments_outreachseries_add"),
            series_post(factories.site(), factories.team()),
        )
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)
    assert len(many) == len(few)


def test_the_statistics_page_speaks_english(admin_client):
    page = admin_client.get(reverse("admin:appointments_statistics"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Figures per municipality and month" in page.content.decode()


def test_the_admin_index_links_to_planning_and_statistics(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:appointments_statistics") in page
    assert reverse("admin:locations_municipality_add") in page
