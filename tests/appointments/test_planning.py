"""Day lifecycle rules: cancel with notices, edits that never lose a booked seat, and no
coach on two days at once (in code and in the database)."""

from datetime import time, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from appointments.models import (
    Booking,
    BookingStatus,
    CancelledBy,
    DayCoach,
    DayStatus,
    MailKind,
    OutgoingMail,
)
from appointments.services import (
    PlanningError,
    SlotNotBookable,
    book_slot,
    cancel_day,
    change_day,
    coach_clashes,
    create_day,
    publish_days,
)
from tests import factories

pytestmark = pytest.mark.django_db


def book_five(day):
    slots = list(day.slots.all())
    return [factories.booking(slots[i % len(slots)])[0] for i in range(5)]


def test_cancelling_a_day_with_five_bookings_sends_exactly_five_notices(
    django_capture_on_commit_callbacks,
):
    day = factories.day(seats=2)
    bookings = book_five(day)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = cancel_day(day=day, reason="Der Saal ist wegen eines Wasserschadens zu.")

    assert cancelled == 5
    day.refresh_from_db()
    assert day.status == DayStatus.CANCELLED
    assert day.cancel_reason == "Der Saal ist wegen eines Wasserschadens zu."
    notices = OutgoingMail.objects.filter(kind=MailKind.DAY_CANCELLED)
    assert notices.count() == 5
    assert not OutgoingMail.objects.filter(kind=MailKind.BOOKING_CANCELLED).exists()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(b.email for b in bookings)
    assert all(b.status == BookingStatus.CANCELLED for b in Booking.objects.filter(day=day))
    assert set(Booking.objects.filter(day=day).values_list("cancelled_by", flat=True)) == {
        CancelledBy.OFFICE
    }


def test_nothing_freed_by_a_cancelled_day_can_be_booked():
    day = factories.day(seats=1)
    book_five(day)
    cancel_day(day=day, reason="Krankheit im Team")
    for slot in day.slots.all():
        with pytest.raises(SlotNotBookable):
            book_slot(slot_id=slot.pk, client=factories.client_details())
    assert Booking.objects.filter(day=day, status=BookingStatus.CONFIRMED).count() == 0


def test_cancelling_twice_sends_nothing_twice(django_capture_on_commit_callbacks):
    day = factories.day()
    book_five(day)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_day(day=day, reason="Sturm")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert cancel_day(day=day, reason="Sturm") == 0
    assert mail.outbox == []
    assert OutgoingMail.objects.filter(kind=MailKind.DAY_CANCELLED).count() == 5


def test_a_cancel_needs_a_reason():
    day = factories.day()
    with pytest.raises(PlanningError):
        cancel_day(day=day, reason="   ")
    day.refresh_from_db()
    assert day.status == DayStatus.PUBLISHED


def test_a_cancelled_day_frees_its_coaches_for_a_replacement():
    anna = factories.coach("Anna")
    day = factories.day(coaches=[anna])
    cancel_day(day=day, reason="Rathaus geschlossen")
    replacement = factories.day(on=day.date, coaches=[anna])
    assert list(replacement.coaches.all()) == [anna]


def edit(day, **changes):
    local_start = timezone.localtime(day.starts_at).time()
    local_end = timezone.localtime(day.ends_at).time()
    values = {
        "on": day.date,
        "start": local_start,
        "end": local_end,
        "seats_per_slot": day.seats_per_slot,
        "coaches": list(day.coaches.all()),
        "team": day.team,
    }
    values.update(changes)
    return change_day(day=day, **values)


def test_a_published_day_can_grow_by_a_longer_window():
    day = factories.day(start=time(9), end=time(11))
    factories.booking(day.slots.first())
    edit(day, end=time(12))
    assert day.slots.count() == 6


def test_more_seats_are_fine_on_a_booked_day():
    day = factories.day(seats=1)
    factories.booking(day.slots.first())
    edit(day, seats_per_slot=3)
    assert set(day.slots.values_list("capacity", flat=True)) == {3}


def test_capacity_cannot_shrink_below_the_seats_already_booked():
    day = factories.day(seats=3)
    first = day.slots.first()
    factories.booking(first)
    factories.booking(first)
    with pytest.raises(PlanningError) as error:
        edit(day, seats_per_slot=1)
    assert "schon 2 Plätze gebucht" in str(error.value)
    assert "mindestens 2 Plätze" in str(error.value)
    assert set(day.slots.values_list("capacity", flat=True)) == {3}


def test_a_booked_slot_cannot_fall_away():
    day = factories.day(start=time(9), end=time(12))
    factories.booking(day.slots.last())
    with pytest.raises(PlanningError) as error:
        edit(day, end=time(11))
    assert "11:30 Uhr" in str(error.value)
    assert day.slots.count() == 6


def test_unbooked_slots_may_fall_away():
    day = factories.day(start=time(9), end=time(12))
    factories.booking(day.slots.first())
    edit(day, end=time(10))
    assert day.slots.count() == 2


def test_a_coach_on_two_overlapping_days_is_refused_with_the_clash_named():
    anna = factories.coach("Anna Berg")
    bergen = factories.site(factories.municipality("Bergen"), name="Rathaus")
    first = factories.day(bergen, start=time(9), end=time(12), coaches=[anna])
    other = factories.day(on=first.date, start=time(13), end=time(15))
    with pytest.raises(PlanningError) as error:
        edit(other, start=time(11), coaches=[anna])
    message = str(error.value)
    assert "Anna Berg" in message
    assert "Bergen (Rathaus)" in message
    assert f"{first.date:%d.%m.%Y}" in message
    assert "09:00 bis 12:00" in message


def test_back_to_back_days_are_no_clash():
    anna = factories.coach("Anna")
    first = factories.day(start=time(9), end=time(12), coaches=[anna])
    later = factories.day(on=first.date, start=time(12), end=time(14), coaches=[anna])
    assert (
        coach_clashes(
            coaches=[anna], starts_at=later.starts_at, ends_at=later.ends_at, exclude_day=later
        )
        == []
    )


def test_the_database_refuses_a_coach_on_two_overlapping_days(postgres):
    anna = factories.coach("Anna")
    first = factories.day(start=time(9), end=time(12), coaches=[anna])
    second = factories.day(on=first.date, start=time(11), end=time(13))
    with pytest.raises(IntegrityError), transaction.atomic():
        DayCoach.objects.create(day=second, coach=anna)
    third = factories.day(on=first.date, start=time(12), end=time(13))
    DayCoach.objects.create(day=third, coach=anna)  # touching is not overlapping


def test_publishing_in_bulk_skips_past_and_non_draft_days():
    draft = factories.day(status=DayStatus.DRAFT)
    published = factories.day(status=DayStatus.PUBLISHED)
    past = create_day(
        site=factories.site(),
        on=timezone.localdate() - timedelta(days=3),
        start=time(9),
        end=time(12),
    )
    assert publish_days(days=[draft, published, past]) == 1
    draft.refresh_from_db()
    past.refresh_from_db()
    assert draft.status == DayStatus.PUBLISHED
    assert past.status == DayStatus.DRAFT


def test_a_day_that_has_taken_place_cannot_be_cancelled():
    held = create_day(
        site=factories.site(),
        on=timezone.localdate() - timedelta(days=2),
        start=time(9),
        end=time(12),
        status=DayStatus.PUBLISHED,
    )
    with pytest.raises(PlanningError):
        cancel_day(day=held, reason="zu spät")
    held.refresh_from_db()
    assert held.status == DayStatus.PUBLISHED


def test_a_cancelled_day_cannot_be_edited():
    day = factories.day()
    cancel_day(day=day, reason="Sturm")
    with pytest.raises(PlanningError):
        edit(day, seats_per_slot=4)


def test_generation_leaves_out_a_coach_who_is_elsewhere_and_says_so():
    from datetime import date

    from appointments.models import OutreachSeries
    from appointments.services import generate_days

    anna, ben = factories.coach("Anna Berg"), factories.coach("Ben Koch")
    bergen = factories.site(factories.municipality("Bergen"))
    factories.day(bergen, on=date(2027, 2, 9), start=time(10), end=time(13), coaches=[anna])
    series = OutreachSeries.objects.create(
        site=factories.site(),
        team=factories.team(anna, ben),
        week_of_month=2,
        weekday=1,
        start_time=time(9),
        end_time=time(12),
        starts_on=date(2027, 1, 1),
        ends_on=date(2027, 3, 31),
    )
    result = generate_days(series=series)
    assert len(result.created) == 3
    assert len(result.clashes) == 1 and "Anna Berg" in result.clashes[0]
    clashed = series.days.get(date=date(2027, 2, 9))
    assert list(clashed.coaches.all()) == [ben]
    assert set(series.days.get(date=date(2027, 1, 12)).coaches.all()) == {anna, ben}


def test_the_embedded_sqlite_database_still_migrates(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}"}
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
