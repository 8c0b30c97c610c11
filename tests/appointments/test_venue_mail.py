"""The town hall is told: days published or cancelled at its venue, and a day list two
working days before each day, with counts only and no client named."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import transaction

from appointments.models import DayStatus, MailKind, OutgoingMail
from appointments.services import cancel_day, publish_day, publish_days
from appointments.services.venue import day_list_date, queue_day_lists
from tests import factories

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def town_hall():
    wathlingen = factories.municipality("Wathlingen", contact_email="rathaus@wathlingen.example")
    return factories.site(wathlingen, name="Rathaus Wathlingen")


def venue_mails(kind):
    return OutgoingMail.objects.filter(kind=kind)


def test_publishing_several_days_together_sends_one_mail_per_venue(
    town_hall, django_capture_on_commit_callbacks
):
    other = factories.site(factories.municipality("Bergen", contact_email="info@bergen.example"))
    drafts = [
        factories.day(town_hall, on=factories.future_date(7 * n), status=DayStatus.DRAFT)
        for n in (1, 2, 3)
    ]
    drafts.append(factories.day(other, status=DayStatus.DRAFT))
    with django_capture_on_commit_callbacks(execute=True):
        assert publish_days(days=drafts) == 4
    assert venue_mails(MailKind.VENUE_PUBLISHED).count() == 2
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"rathaus@wathlingen.example", "info@bergen.example"}
    text = by_address["rathaus@wathlingen.example"].body
    for day in drafts[:3]:
        assert f"{day.date:%d.%m.%Y}"[:5] in text or day.date.strftime("%-d.") in text
    assert text.count("09:00–12:00 Uhr") == 3


def test_a_single_publish_tells_the_venue_once(town_hall, django_capture_on_commit_callbacks):
    day = factories.day(town_hall, status=DayStatus.DRAFT)
    with django_capture_on_commit_callbacks(execute=True):
        assert publish_day(day=day)
        assert not publish_day(day=day)
    assert venue_mails(MailKind.VENUE_PUBLISHED).count() == 1
    assert mail.outbox[0].subject == "Neue Beratungstage in Wathlingen"


def test_the_site_address_wins_over_the_municipality(town_hall, django_capture_on_commit_callbacks):
    town_hall.contact_email = "saal@wathlingen.example"
    town_hall.save(update_fields=["contact_email"])
    with django_capture_on_commit_callbacks(execute=True):
        publish_day(day=factories.day(town_hall, status=DayStatus.DRAFT))
    assert [m.to for m in mail.outbox] == [["saal@wathlingen.example"]]


def test_no_address_no_mail(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        publish_day(day=factories.day(status=DayStatus.DRAFT))
    assert not venue_mails(MailKind.VENUE_PUBLISHED).exists()


def test_a_failed_publish_leaves_no_mail_behind(town_hall):
    """The notice is written in the publishing transaction: rolled back with it."""
    day = factories.day(town_hall, status=DayStatus.DRAFT)
    with pytest.raises(RuntimeError), transaction.atomic():
        publish_day(day=day)
        raise RuntimeError
    assert not venue_mails(MailKind.VENUE_PUBLISHED).exists()


def test_cancelling_tells_the_venue_with_the_reason_and_no_client(
    town_hall, django_capture_on_commit_callbacks
):
    day = factories.day(town_hall)
    factories.booking(day.slots.first(), name="Maria Schulz", email="maria@example.org")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_day(day=day, reason="Wasserschaden im Saal")
        cancel_day(day=day, reason="Wasserschaden im Saal")
    (notice,) = [m for m in mail.outbox if m.to == ["rathaus@wathlingen.example"]]
    assert "Grund: Wasserschaden im Saal" in notice.body
    assert "Maria" not in notice.body and "maria@" not in notice.body
    assert venue_mails(MailKind.VENUE_CANCELLED).count() == 1


@pytest.mark.parametrize(
    ("day", "sends_on"),
    [
        (date(2026, 12, 10), date(2026, 12, 8)),  # Thursday: Tuesday
        (date(2026, 12, 14), date(2026, 12, 10)),  # Monday: the Thursday before
        (date(2026, 12, 29), date(2026, 12, 24)),  # 25 and 26 Dec and a weekend between
        (date(2027, 4, 1), date(2027, 3, 30)),
        (date(2027, 3, 30), date(2027, 3, 24)),  # Good Friday 26 Mar, Easter Monday 29 Mar
    ],
)
def test_the_day_list_date_skips_weekends_and_holidays(day, sends_on):
    assert day_list_date(on=day, state="NI") == sends_on


def test_the_day_list_date_follows_the_state():
    # 6 January is a holiday in Bayern, not in Niedersachsen.
    assert day_list_date(on=date(2027, 1, 8), state="NI") == date(2027, 1, 6)
    assert day_list_date(on=date(2027, 1, 8), state="BY") == date(2027, 1, 5)


def test_the_day_list_goes_out_once_two_working_days_ahead_with_counts_only(
    town_hall, django_capture_on_commit_callbacks
):
    # Inside the booking window, so the bookings go through the real booking path.
    on = factories.future_date(20)
    sends_on = day_list_date(on=on, state="NI")
    day = factories.day(town_hall, on=on, seats=2)
    slots = list(day.slots.order_by("starts_at"))
    book = factories.booking
    book(slots[0], name="Maria Schulz", need_step_free=True, interpreter_language="Ukrainisch")
    book(slots[0], name="Olga Berg", need_child=True, interpreter_language="Ukrainisch")
    book(slots[2], name="Ali Kaya", interpreter_language="Arabisch", phone="0171 2345678")
    mail.outbox.clear()
    due = datetime.combine(sends_on, time(0, 30), tzinfo=BERLIN)
    with django_capture_on_commit_callbacks(execute=True):
        assert queue_day_lists(now=due - timedelta(hours=1)) == 0
        assert queue_day_lists(now=due) == 1
        assert queue_day_lists(now=due + timedelta(hours=1)) == 0
    (message,) = mail.outbox
    assert message.to == ["rathaus@wathlingen.example"]
    text, (html, _mime) = message.body, message.alternatives[0]
    for body in (text, html):
        assert "09:00: 2 Plätze gebucht" in body
        assert "09:30: 0 Plätze gebucht" in body
        assert "10:00: 1 Platz gebucht" in body
        assert "Gebucht insgesamt: 3" in body
        assert "Braucht stufenlosen Zugang: 1" in body
        assert "Bringt ein Kind mit: 1" in body
        assert "Dolmetschen für Ukrainisch: 2" in body
        assert "Dolmetschen für Arabisch: 1" in body
        for private in ("Maria", "Olga", "Ali", "Schulz", "@example.org", "2345678"):
            assert private not in body


def test_a_day_list_queued_before_the_day_was_cancelled_is_skipped(
    town_hall, django_capture_on_commit_callbacks
):
    day = factories.day(town_hall, on=date(2030, 6, 13))
    due = datetime(2030, 6, 11, 7, tzinfo=BERLIN)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        assert queue_day_lists(now=due) == 1
    cancel_day(day=day, reason="Sturm", now=due)
    for deliver in pending:
        deliver()
    assert venue_mails(MailKind.VENUE_DAY_LIST).get().status == "skipped"
    # After the cancellation, no new list is queued for the day.
    assert queue_day_lists(now=due + timedelta(hours=1)) == 0


def test_the_beat_runs_the_day_list_task():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["send-venue-day-lists"]
    assert entry["task"] == "appointments.tasks.send_venue_day_lists"
    from appointments import tasks

    assert tasks.send_venue_day_lists.name == entry["task"]


def test_the_task_queues_the_due_day_lists(town_hall, django_capture_on_commit_callbacks):
    from appointments import tasks

    # Tomorrow's day: its list is due now whatever today is.
    factories.day(town_hall, on=factories.future_date(1), start=time(23), end=time(23, 30))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_venue_day_lists.delay().get() == 1
    assert [m.to for m in mail.outbox] == [["rathaus@wathlingen.example"]]
