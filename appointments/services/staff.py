"""Staff actions on the day itself: attendance, walk-ins, outcomes and follow-ups.

Every change and every look at client data leaves an AuditEntry (invariant 3).
"""

from datetime import date, datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import (
    AuditAction,
    AuditEntry,
    Booking,
    BookingOutcome,
    BookingStatus,
    Channel,
    DayStatus,
    OutcomeCode,
    Slot,
)
from appointments.services.privacy import erasure_due
from appointments.services.seats import (
    BookingError,
    ClientDetails,
    claim_seat,
    create_booking_row,
    lock_day,
    touch_day,
)
from coaches.models_casework import Person, PersonStatus


class StaffActionRefused(BookingError):
    """A staff change is not possible in the booking's current state; the message says
    why, for the coach."""


def log_access(*, user: AbstractBaseUser, action: str, days=(), bookings=()) -> None:
    """Record that a staff member saw client data: one entry per day and per booking."""
    entries = [AuditEntry(user=user, action=action, day=day) for day in days]
    entries += [
        AuditEntry(user=user, action=action, day_id=booking.day_id, booking=booking)
        for booking in bookings
    ]
    AuditEntry.objects.bulk_create(entries)


def _audit_change(user, booking: Booking, detail: str, action=AuditAction.CHANGE_BOOKING):
    AuditEntry.objects.create(
        user=user, action=action, day_id=booking.day_id, booking=booking, detail=detail[:200]
    )


def _refuse_before_day(day_date: date, now: datetime) -> None:
    if timezone.localdate(now) < day_date:
        raise StaffActionRefused(_("Das geht erst am Beratungstag."))


def mark_attendance(
    *, booking: Booking, attended: bool, user: AbstractBaseUser, now: datetime | None = None
) -> bool:
    """Mark a booked client as attended or not attended, from the day on. Returns False
    when the booking already had that status (a double click changes nothing)."""
    now = now or timezone.now()
    status = BookingStatus.ATTENDED if attended else BookingStatus.NO_SHOW
    _refuse_before_day(booking.day.date, now)
    with transaction.atomic():
        # The statistics count attendance; their day figures follow the version. Raised
        # first: every path takes the day's row before a booking's, so none deadlocks.
        touch_day(booking.day_id)
        # Conditional on the status, so two coaches clicking at once change it once.
        changed = Booking.objects.filter(pk=booking.pk, status=BookingStatus.CONFIRMED).update(
            status=status, updated_at=now
        )
        booking.refresh_from_db(fields=["status", "updated_at"])
        if not changed:
            if booking.status == status:
                return False
            raise StaffActionRefused(_("Dieser Termin ist schon erfasst oder abgesagt."))
        _audit_change(user, booking, status)
    return True


def undo_attendance(
    *, booking: Booking, user: AbstractBaseUser, now: datetime | None = None
) -> bool:
    """Set an attended or no-show booking back to booked. Refused for walk-ins and once an
    outcome is recorded, so no outcome is left on a booking nobody attended."""
    now = now or timezone.now()
    with transaction.atomic():
        touch_day(booking.day_id)  # first, as in mark_attendance
        changed = Booking.objects.filter(
            pk=booking.pk,
            status__in=[BookingStatus.ATTENDED, BookingStatus.NO_SHOW],
            channel=Channel.ONLINE,
            outcome_recorded_at=None,
        ).update(status=BookingStatus.CONFIRMED, updated_at=now)
        booking.refresh_from_db(fields=["status", "channel", "outcome_recorded_at", "updated_at"])
        if not changed:
            if booking.status == BookingStatus.CONFIRMED:
                return False
            if booking.channel == Channel.WALK_IN:
                raise StaffActionRefused(_("Eine Person ohne Termin kann man nicht zurücksetzen."))
            if booking.outcome_recorded_at:
                raise StaffActionRefused(_("Für diesen Termin gibt es schon ein Ergebnis."))
            raise StaffActionRefused(_("Dieser Termin ist abgesagt."))
        _audit_change(user, booking, "undo")
    return True


def add_walk_in(
    *,
    slot: Slot,
    client: ClientDetails,
    user: AbstractBaseUser,
    submission_key: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Record a client who came without a booking as attended. They take a free seat of
    the slot if there is one, else they are an extra (takes_seat=False); either way they
    count in the statistics. The same form posted twice records one person."""
    now = now or timezone.now()
    if submission_key:
        earlier = Booking.objects.filter(submission_key=submission_key).first()
        if earlier:
            return earlier
    try:
        return _record_walk_in(slot, client, user, submission_key, now)
    except IntegrityError:
        # A concurrent double submit can only lose on the unique submission key.
        earlier = Booking.objects.filter(submission_key=submission_key).first()
        if submission_key and earlier:
            return earlier
        raise


@transaction.atomic
def _record_walk_in(slot, client, user, submission_key, now) -> Booking:
    day = lock_day(slot.day_id)
    if day.status != DayStatus.PUBLISHED:
        raise StaffActionRefused(_("An diesem Tag findet keine Beratung statt."))
    _refuse_before_day(day.date, now)
    # The same conditional claim as book_slot: never more seats than the slot has.
    takes_seat = claim_seat(slot)
    if not takes_seat:
        # An extra takes no seat, but the statistics count the walk-in.
        touch_day(slot.day_id)
    booking = create_booking_row(
        slot,
        client,
        submission_key,
        status=BookingStatus.ATTENDED,
        channel=Channel.WALK_IN,
        takes_seat=takes_seat,
    )
    _audit_change(user, booking, "seat" if takes_seat else "extra", action=AuditAction.ADD_WALK_IN)
    return booking


def latest_follow_up(*, booking: Booking) -> date | None:
    """The last date a follow-up of the booking may have (invariant 9): the day before its
    data is erased, or None while it belongs to an active accompaniment, which keeps it."""
    accompanied = Person.objects.filter(
        visits__booking=booking, status=PersonStatus.ACTIVE, anonymised_at=None
    ).exists()
    if accompanied:
        return None
    return timezone.localdate(erasure_due(day=booking.day)) - timedelta(days=1)


def follow_up_too_late_message(last: date) -> str:
    return _(
        "An diesem Tag sind die Daten schon gelöscht. Nachfassen geht bis %(last)s. "
        "Soll der Kontakt länger bleiben, nehmen Sie die Einwilligung zur Begleitung auf."
    ) % {"last": f"{last:%d.%m.%Y}"}


def record_outcome(
    *,
    booking: Booking,
    codes: list[str],
    note: str = "",
    follow_up_on: date | None = None,
    user: AbstractBaseUser,
    now: datetime | None = None,
) -> Booking:
    """Store what was agreed with an attended client: outcome codes, a short note and an
    optional follow-up date. Recording again replaces the earlier outcome."""
    now = now or timezone.now()
    if not codes:
        raise StaffActionRefused(_("Bitte wählen Sie mindestens ein Ergebnis."))
    if not set(codes) <= set(OutcomeCode.values):
        raise StaffActionRefused(_("Bitte wählen Sie nur Ergebnisse aus der Liste."))
    last = latest_follow_up(booking=booking) if follow_up_on else None
    if last and follow_up_on > last:
        raise StaffActionRefused(follow_up_too_late_message(last))
    with transaction.atomic():
        touch_day(booking.day_id)  # first, as in mark_attendance
        # Locked so two coaches saving at once do not mix their codes.
        current = Booking.objects.select_for_update().get(pk=booking.pk)
        if current.status != BookingStatus.ATTENDED:
            raise StaffActionRefused(_("Ein Ergebnis gibt es nur, wenn die Person da war."))
        current.outcomes.exclude(code__in=codes).delete()
        BookingOutcome.objects.bulk_create(
            [BookingOutcome(booking=current, code=code) for code in codes],
            ignore_conflicts=True,
        )
        if follow_up_on != current.follow_up_on:
            current.follow_up_done_at = None
            # Whoever sets (or moves) the date owns the follow-up.
            current.follow_up_by = user if follow_up_on else None
        current.outcome_note = note[:1000]
        current.outcome_recorded_at = now
        current.follow_up_on = follow_up_on
        current.save(
            update_fields=[
                "outcome_note",
                "outcome_recorded_at",
                "follow_up_on",
                "follow_up_done_at",
                "follow_up_by",
                "updated_at",
            ]
        )
        follow_up = f" follow-up {follow_up_on:%Y-%m-%d}" if follow_up_on else ""
        _audit_change(user, current, "outcome " + ",".join(sorted(codes)) + follow_up)
        # A job start on a visit of an accompanied person is the person's job start.
        person = Person.objects.filter(visits__booking=current).first()
        if person is not None:
            person.refresh_job_start()
    return current


def complete_follow_up(
    *, booking: Booking, user: AbstractBaseUser, now: datetime | None = None
) -> bool:
    """Mark a booking's follow-up as done. Returns False if it was already done."""
    now = now or timezone.now()
    with transaction.atomic():
        done = (
            Booking.objects.filter(pk=booking.pk, follow_up_done_at=None)
            .exclude(follow_up_on=None)
            .update(follow_up_done_at=now, updated_at=now)
        )
        if done:
            _audit_change(user, booking, "follow-up done")
    return done == 1
