"""The coach's day keeps each day's rendered schedule in the cache under the day's
version (coaches/day_schedule.py). Every change the schedule shows raises the version,
so the next view shows it: one test per action renders the page first (filling the
cache), changes the day through the domain function, and renders again. Each fails when
the action's version bump is taken out.

The cache is only a saving: it holds nothing of the viewer's, never opens a day the
viewer may not see, expires, and an unreachable cache renders the page as before."""

import re
import time as clock
from datetime import time, timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from appointments.models import (
    AuditAction,
    AuditEntry,
    Booking,
    Call,
    CallReason,
    DayCoach,
    DayStatus,
    Slot,
)
from appointments.services import (
    accept_waitlist_offer,
    add_walk_in,
    book_slot,
    cancel_booking,
    cancel_day,
    change_day,
    erase_booking,
    erase_expired_personal_data,
    join_waitlist,
    mark_attendance,
    mark_call_done,
    move_booking,
    publish_day,
    record_calls,
    record_outcome,
    undo_attendance,
)
from appointments.services.planning import assign_coaches
from coaches import casework, day_schedule
from coaches.models import Coach
from joblokal.settings import redis_caches
from tests import factories
from tests.integration.conftest import free_port
from tests.personas import book


def page(client: Client, on=None) -> str:
    response = client.get("/team/", {"date": f"{on:%Y-%m-%d}"} if on else {})
    assert response.status_code == 200
    return response.content.decode()


def card(body: str, booking: Booking) -> str:
    """The markup of one booking's card on the page."""
    start = body.index(f'id="b{booking.pk}"')
    return body[start : body.index("</article>", start)]


@pytest.fixture
def alice(world, as_persona) -> Client:
    return as_persona("alice")


@pytest.fixture
def later_day(world):
    """A day of Alice's three days ahead, with one slot booked and one free."""
    on = world.day.date + timedelta(days=3)
    day = factories.day(world.day.site, on=on, end=time(10), seats=1, coaches=[world.alice])
    book(day.slots.order_by("starts_at")[0], name="Lena Lang", email="lena@example.org")
    return day


# --- each action shows on the next view ----------------------------------------------


def test_marking_attended_shows(world, alice):
    assert "status-confirmed" in card(page(alice), world.booking)
    mark_attendance(booking=world.booking, attended=True, user=world.alice.user)
    assert "status-attended" in card(page(alice), world.booking)


def test_marking_a_no_show_shows(world, alice):
    page(alice)
    mark_attendance(booking=world.booking, attended=False, user=world.alice.user)
    assert "status-no_show" in card(page(alice), world.booking)


def test_undoing_attendance_shows(world, alice):
    mark_attendance(booking=world.booking, attended=True, user=world.alice.user)
    assert "status-attended" in card(page(alice), world.booking)
    undo_attendance(booking=world.booking, user=world.alice.user)
    assert "status-confirmed" in card(page(alice), world.booking)


def test_a_walk_in_shows(world, alice):
    assert "Willi Walk" not in page(alice)
    slot = world.day.slots.order_by("starts_at")[1]
    add_walk_in(
        slot=slot, client=factories.client_details(name="Willi Walk"), user=world.alice.user
    )
    assert "Willi Walk" in page(alice)


def test_a_walk_in_extra_shows(world, alice):
    page(alice)
    add_walk_in(
        slot=world.booking.slot,
        client=factories.client_details(name="Ella Extra", email=""),
        user=world.alice.user,
    )
    assert "Ella Extra" in page(alice)


def test_an_outcome_shows(world, alice):
    mark_attendance(booking=world.booking, attended=True, user=world.alice.user)
    assert "Ergebnis:" not in card(page(alice), world.booking)
    record_outcome(booking=world.booking, codes=["advice"], user=world.alice.user)
    assert "Ergebnis:" in card(page(alice), world.booking)


def test_a_follow_up_shows(world, alice):
    mark_attendance(booking=world.booking, attended=True, user=world.alice.user)
    record_outcome(booking=world.booking, codes=["advice"], user=world.alice.user)
    assert "Nachfassen am" not in card(page(alice), world.booking)
    on = timezone.localdate() + timedelta(days=14)
    record_outcome(booking=world.booking, codes=["advice"], follow_up_on=on, user=world.alice.user)
    assert f"Nachfassen am {on:%d.%m.%Y}" in card(page(alice), world.booking)


def test_a_new_booking_shows(world, later_day, alice):
    assert "Nina Neu" not in page(alice, later_day.date)
    book(later_day.slots.order_by("starts_at")[1], name="Nina Neu")
    assert "Nina Neu" in page(alice, later_day.date)


def test_a_cancellation_shows(world, later_day, alice):
    assert "Lena Lang" in page(alice, later_day.date)
    booking = Booking.objects.get(name="Lena Lang")
    cancel_booking(booking=booking, reason="krank")
    body = page(alice, later_day.date)
    assert "Lena Lang" not in body
    assert body.count('<p class="free">frei</p>') == 2


def test_a_move_within_the_day_shows(world, later_day, alice):
    booking = Booking.objects.get(name="Lena Lang")
    body = page(alice, later_day.date)
    assert body.index(f'id="b{booking.pk}"') < body.index(">09:30</time>")
    move_booking(booking=booking, to_slot_id=later_day.slots.order_by("starts_at")[1].pk)
    body = page(alice, later_day.date)
    assert body.index(f'id="b{booking.pk}"') > body.index(">09:30</time>")


def test_a_move_to_another_day_shows_on_both(world, later_day, alice):
    booking = Booking.objects.get(name="Lena Lang")
    assert "Lena Lang" not in page(alice)
    assert "Lena Lang" in page(alice, later_day.date)
    free_today = Slot.objects.filter(day=world.day, seats_taken=0).order_by("starts_at").last()
    move_booking(
        booking=booking, to_slot_id=free_today.pk, now=free_today.starts_at - timedelta(days=1)
    )
    assert "Lena Lang" in page(alice)
    assert "Lena Lang" not in page(alice, later_day.date)


def test_a_waiting_list_booking_shows(world, later_day, alice):
    Slot.objects.filter(day=later_day).exclude(seats_taken=1).delete()
    entry = join_waitlist(day=later_day, name="Wanda Warte", email="wanda@example.org")
    cancel_booking(booking=Booking.objects.get(name="Lena Lang"))  # the seat is offered
    assert "Wanda Warte" not in page(alice, later_day.date)
    accept_waitlist_offer(entry_id=entry.pk, slot_id=later_day.slots.get().pk)
    assert "Wanda Warte" in page(alice, later_day.date)


def test_a_day_edit_shows(world, later_day, alice):
    assert "09:00–10:00 Uhr" in page(alice, later_day.date)
    change_day(
        day=later_day,
        on=later_day.date,
        start=time(9),
        end=time(11),
        seats_per_slot=1,
        coaches=[world.alice],
    )
    body = page(alice, later_day.date)
    assert "09:00–11:00 Uhr" in body
    assert ">10:30</time>" in body


def test_a_coach_joining_the_day_shows(world, alice):
    carl = factories.coach("Carl Conrad", "carl")
    assert "Carl Conrad" not in page(alice)
    assign_coaches(day=world.day, coaches=[world.alice, carl])
    assert "Jobcoaches: Alice Adler, Carl Conrad" in page(alice)


def test_a_cancelled_day_shows(world, later_day, alice):
    assert "Dieser Beratungstag ist abgesagt." not in page(alice, later_day.date)
    # Cancelling also takes the coaches off the day, so an administrator looks.
    admin = Client()
    admin.force_login(world.admin)
    page(admin, later_day.date)
    cancel_day(day=later_day, reason="Wasserschaden")
    assert "Dieser Beratungstag ist abgesagt." in page(admin, later_day.date)


def test_publishing_a_day_shows(world, alice):
    draft = factories.day(
        world.day.site,
        on=world.day.date + timedelta(days=5),
        coaches=[world.alice],
        status=DayStatus.DRAFT,
    )
    assert "noch nicht veröffentlicht" in page(alice, draft.date)
    publish_day(day=draft)
    assert "noch nicht veröffentlicht" not in page(alice, draft.date)


def test_a_clients_erasure_shows_at_once(world, alice):
    mark_attendance(booking=world.booking, attended=True, user=world.alice.user)
    assert "Maria Schulz" in page(alice)
    erase_booking(booking=world.booking)
    body = page(alice)
    assert "Maria Schulz" not in body
    assert "Ich kann erst ab 9 Uhr." not in body
    assert "(gelöscht)" in card(body, world.booking)


def test_the_erasure_on_schedule_shows_at_once(world, alice, settings):
    settings.RETENTION_DAYS = 90
    on = world.day.date - timedelta(days=100)
    old = factories.day(world.day.site, on=on, coaches=[world.alice])
    slot = old.slots.order_by("starts_at")[0]
    client = factories.client_details(name="Olga Alt", note="Bitte zurückrufen.")
    book_slot(slot_id=slot.pk, client=client, now=slot.starts_at - timedelta(days=3))
    assert "Olga Alt" in page(alice, on)
    erase_expired_personal_data()
    body = page(alice, on)
    assert "Olga Alt" not in body
    assert "Bitte zurückrufen." not in body


def test_a_follow_up_moved_when_an_accompaniment_ends_shows(case, person, settings):
    settings.RETENTION_DAYS = 90
    anna = Client()
    anna.force_login(case.anna.user)
    far = timezone.localdate() + timedelta(days=300)
    record_outcome(booking=case.booking, codes=["advice"], follow_up_on=far, user=case.anna.user)
    assert f"Nachfassen am {far:%d.%m.%Y}" in page(anna, case.day.date)
    casework.end_accompaniment(person=person, user=case.anna.user, reason="Arbeit gefunden")
    case.booking.refresh_from_db()
    body = page(anna, case.day.date)
    assert f"Nachfassen am {case.booking.follow_up_on:%d.%m.%Y}" in body
    assert f"Nachfassen am {far:%d.%m.%Y}" not in body


# --- what the cache holds and for whom -----------------------------------------------


def test_a_second_view_reads_the_schedule_from_the_cache(world, alice, django_assert_num_queries):
    # session, user, and one statement for the coach, the week's days, any open calls and the
    # audit insert; a first view also loads the day, slots, bookings, topics, outcomes and
    # coaches present.
    with django_assert_num_queries(9):
        first = page(alice)
    with django_assert_num_queries(3):
        second = page(alice)
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", first) == strip.sub("", second)


def test_every_view_is_in_the_audit_log_cache_or_not(world, alice):
    page(alice)
    page(alice)
    views = AuditEntry.objects.filter(action=AuditAction.VIEW_DAY, day=world.day)
    assert views.filter(user=world.alice.user).count() == 2


def test_the_forms_carry_the_viewers_own_token_and_address(world):
    alice = Client(enforce_csrf_checks=True)
    alice.force_login(world.alice.user)
    page(alice)  # fills the cache
    body = page(alice, world.day.date)
    assert day_schedule.CSRF_MARK not in body and day_schedule.NEXT_MARK not in body
    form = re.search(
        r'action="(/team/[^"]+)">'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">\s*'
        r'<input type="hidden" name="next" value="([^"]+)">',
        card(body, world.booking),
    )
    action, token, back = form.groups()
    assert back == f"/team/?date={world.day.date:%Y-%m-%d}#b{world.booking.pk}"
    response = alice.post(action, {"csrfmiddlewaretoken": token, "next": back})
    assert response.status_code == 302 and response["Location"] == back
    world.booking.refresh_from_db()
    assert world.booking.status == "attended"


def test_the_address_put_in_is_escaped(world, alice):
    page(alice)
    body = alice.get("/team/", {"date": f"{world.day.date:%Y-%m-%d}", "x": '"<'}).content
    query = f"date={world.day.date:%Y-%m-%d}&amp;x=%22%3C"
    assert f'name="next" value="/team/?{query}#b{world.booking.pk}"' in body.decode()


def test_a_coach_never_gets_a_day_they_do_not_serve_from_the_cache(world, as_persona):
    admin_view = page(as_persona("admin"))  # fills the cache with both days of the date
    assert "Maria Schulz" in admin_view and "Olaf Otto" in admin_view
    assert "Maria Schulz" not in page(as_persona("bob"))
    assert "Olaf Otto" not in page(as_persona("alice"))


# Who may see a day is decided from the database on every request, before any kept page
# is read: a change of it shows on the next view, though the page was kept a moment ago.


def test_a_coach_deactivated_after_a_view_is_refused(world, alice):
    assert "Maria Schulz" in page(alice)
    Coach.objects.filter(pk=world.alice.pk).update(active=False)
    response = alice.get("/team/")
    assert response.status_code == 403
    assert "Maria Schulz" not in response.content.decode()


def test_a_coach_taken_off_a_day_after_a_view_no_longer_sees_it(world, alice):
    assert "Maria Schulz" in page(alice)
    # Without the version bump a planner's change makes: the access check alone decides.
    DayCoach.objects.filter(day=world.day, coach=world.alice).delete()
    assert "Maria Schulz" not in page(alice)


def test_an_administrator_whose_permission_is_withdrawn_is_refused(world, client):
    paula = factories.user("paula", is_staff=True)
    view_booking = Permission.objects.get(codename="view_booking")
    paula.user_permissions.add(view_booking)
    client.force_login(paula)
    assert "Maria Schulz" in page(client)
    paula.user_permissions.remove(view_booking)
    response = client.get("/team/")
    assert response.status_code == 403
    assert "Maria Schulz" not in response.content.decode()


def test_english_readers_get_the_schedule_in_english(world, alice):
    assert "Details" in page(alice) and "gebucht" in page(alice)
    english = alice.get("/team/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "booked" in card(english, world.booking)
    assert "gebucht" not in card(english, world.booking)


def test_the_attendance_buttons_arrive_with_the_day(world, later_day, alice):
    booking = Booking.objects.get(name="Lena Lang")
    assert "ab dem Beratungstag möglich" in card(page(alice, later_day.date), booking)
    with mock.patch.object(timezone, "localdate", return_value=later_day.date):
        body = page(alice, later_day.date)
    assert "ab dem Beratungstag möglich" not in card(body, booking)
    assert f"/team/termine/{booking.pk}/erschienen/" in card(body, booking)


def test_entries_expire(world, alice):
    page(alice)
    world.day.refresh_from_db()
    key = day_schedule.cache_key(
        pk=world.day.pk, version=world.day.version, language="de", today=timezone.localdate()
    )
    assert "Maria Schulz" in cache.get(key)
    later = clock.time() + day_schedule.MAX_AGE.total_seconds() + 1
    with mock.patch("time.time", return_value=later):
        assert cache.get(key) is None


def test_the_schedule_renders_while_the_cache_is_down(world, alice, settings):
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{free_port()}/0")
    for _ in range(2):
        assert "Maria Schulz" in card(page(alice), world.booking)


# --- the print view shares the cache ---------------------------------------------------


def test_the_print_view_shows_each_change(world, alice, django_assert_num_queries):
    path = f"/team/tage/{world.day.pk}/drucken/"
    first = alice.get(path).content.decode()
    assert "Maria Schulz" in first and "status-confirmed" in first
    # session, user, coach, day, access check, audit insert: the schedule is cached.
    with django_assert_num_queries(6):
        alice.get(path)
    mark_attendance(booking=world.booking, attended=True, user=world.alice.user)
    assert "status-attended" in alice.get(path).content.decode()
    erase_booking(booking=world.booking)
    assert "Maria Schulz" not in alice.get(path).content.decode()


# --- the whole page, kept per user while nothing per request is on it -----------------


def test_a_message_is_shown_once_and_never_kept_in_the_page(world, alice):
    action = f"/team/termine/{world.booking.pk}/erschienen/"
    page(alice)
    first = alice.post(action, {"next": "/team/"}, follow=True).content.decode()
    assert "Gespeichert: erschienen." in first
    again = alice.post(action, {"next": "/team/"}, follow=True).content.decode()
    assert "Das war schon gespeichert." in again
    assert "Gespeichert: erschienen." not in again
    assert "schon gespeichert" not in page(alice)


def test_a_ticked_call_shows_on_the_next_view(world, alice):
    Booking.objects.filter(pk=world.booking.pk).update(email="", phone="05144 1234")
    record_calls(
        bookings=Booking.objects.filter(pk=world.booking.pk),
        reason=CallReason.REMINDER,
        for_date=world.day.date,
    )
    assert "Angerufen von" not in page(alice)
    mark_call_done(call=Call.objects.get(), user=world.alice.user)
    assert "Angerufen von" in page(alice)


def test_each_user_gets_their_own_page(world, alice):
    # Carl serves the same day and also has an admin login: the same days, another menu.
    carl = factories.coach("Carl Conrad", "carl")
    assign_coaches(day=world.day, coaches=[world.alice, carl])
    carl.user.is_staff = True
    carl.user.save(update_fields=["is_staff"])
    carls = Client()
    carls.force_login(carl.user)
    assert "Verwaltung" in page(carls)
    assert "Verwaltung" not in page(alice)
