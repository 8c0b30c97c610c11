from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from appointments.models import (
    Booking,
    BookingOutcome,
    BookingStatus,
    Channel,
    OutreachDay,
    OutreachSeries,
    Slot,
)
from appointments.models.outbox import MessageChannel, OutgoingMail
from appointments.services import dates_of_series
from coaches.models import Coach, FrontDesk, Team
from locations.models import District, Municipality, Site

MODELS = [District, Municipality, Site, Coach, Team, OutreachSeries, OutreachDay, Slot, Booking]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.mark.django_db
def test_it_seeds_the_landkreis_celle_and_a_second_run_changes_nothing(capsys):
    call_command("seed_demo")
    first = counts()
    assert first["Municipality"] == 3
    assert first["District"] == 1
    assert first["Coach"] == 3
    assert first["Booking"] > 0
    assert "admin" in capsys.readouterr().out

    call_command("seed_demo")
    assert counts() == first
    assert Site.objects.filter(room="Großer Sitzungssaal", municipality__slug="wathlingen").exists()


@pytest.mark.django_db
def test_the_demo_has_a_day_today_with_attended_clients_and_a_walk_in():
    call_command("seed_demo")
    today = OutreachDay.objects.get(date=timezone.localdate())
    assert today.status == "published"
    bookings = today.bookings.all()
    assert bookings.filter(status=BookingStatus.CONFIRMED).exists()
    assert bookings.filter(status=BookingStatus.ATTENDED, channel=Channel.ONLINE).count() == 2
    assert bookings.filter(channel=Channel.WALK_IN).count() == 1
    served = {dc.coach.user.username for dc in today.day_coaches.select_related("coach__user")}
    assert "anna" in served and "bernd" not in served


@pytest.mark.django_db
def test_the_demo_has_six_months_of_outcomes_and_days_in_and_beyond_the_window():
    call_command("seed_demo")
    today = timezone.localdate()
    past = OutreachDay.objects.filter(date__lt=today, date__gte=today - timedelta(days=183))
    months = {(d.year, d.month) for d in past.values_list("date", flat=True)}
    assert len(months) >= 6
    assert BookingOutcome.objects.filter(booking__day__date__lt=today).count() >= 30
    assert Booking.objects.exclude(follow_up_on=None).exclude(follow_up_by=None).exists()
    window_end = today + timedelta(days=settings.BOOKING_OPENS_DAYS)
    future = OutreachDay.objects.filter(date__gt=today, status="published")
    assert future.filter(date__lte=window_end).exists()
    assert future.filter(date__gt=window_end).exists()
    assert OutreachDay.objects.filter(status="draft").exists()


@pytest.mark.django_db
def test_the_coaches_serve_different_days():
    call_command("seed_demo")
    anna = set(OutreachDay.objects.served_by(Coach.objects.get(user__username="anna")))
    bernd = set(OutreachDay.objects.served_by(Coach.objects.get(user__username="bernd")))
    assert anna and bernd and not anna & bernd


@pytest.mark.django_db
def test_the_series_days_are_the_domains_dates_without_holidays():
    call_command("seed_demo")
    for series in OutreachSeries.objects.all():
        planned = dates_of_series(series=series)
        generated = set(series.days.values_list("date", flat=True))
        # Only today's day (made first, on its own) may take one of the series' dates.
        assert generated <= set(planned.dates)
        assert len(generated) >= len(planned.dates) - 1
        assert not generated & {on for on, _name in planned.skipped}


@pytest.mark.django_db
def test_the_demo_shows_the_front_desk_an_sms_client_and_a_call_list_client():
    call_command("seed_demo")
    desk = FrontDesk.objects.get(user__username="frida")
    assert list(desk.municipalities.values_list("slug", flat=True)) == ["wathlingen"]
    today = OutreachDay.objects.get(date=timezone.localdate())
    aylin = today.bookings.get(name="Aylin Demir")
    assert (aylin.sms_consent, aylin.language, aylin.phone) == (True, "tr", "0170 1234567")
    assert OutgoingMail.objects.filter(booking=aylin, channel=MessageChannel.SMS).exists()
    # Jan gave only a landline: his coming bookings are on the call lists.
    assert Booking.objects.on_call_list().filter(name="Jan Peters").exists()
