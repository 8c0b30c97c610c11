"""Programmes: a cohort's sessions, publishing and cancelling it, enrolment, attendance,
leaving early, attendance rates and the flag for repeated absence.

Enrolment holds invariant 8 the way seats hold invariant 1: lock the cohort, re-check,
take a place with a conditional UPDATE, and let the cohort_never_overbooked constraint be
the database's last line. Notices go through the outbox, keyed so each goes out once.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import (
    Attendance,
    Cohort,
    CohortStatus,
    Enrolment,
    EnrolmentStatus,
    FormerVisit,
    LeaveReason,
    MailKind,
    Mark,
    Recurrence,
    Session,
    local_datetime,
)
from appointments.outbox import queue_mail
from appointments.services.planning import series_dates
from coaches.models import Coach
from coaches.models_casework import Person, PersonStatus


class ProgrammeRefused(Exception):
    """A programme change is not possible; the message says why, for the coach."""


class CohortFull(ProgrammeRefused):
    """The last place went to someone else a moment ago."""


def cohorts_visible_to(user: AbstractBaseUser):
    """The cohorts this user may see: all for an administrator, those of programmes the
    coach's team runs or the coach leads, none for anyone else (not even is_staff)."""
    if not user.is_active:
        return Cohort.objects.none()
    if user.is_superuser:
        return Cohort.objects.all()
    coach = Coach.objects.active().filter(user=user).first()
    if coach is None:
        return Cohort.objects.none()
    return Cohort.objects.filter(
        Q(programme__team__members=coach)
        | Q(programme__team__lead=coach)
        | Q(programme__lead=coach)
    ).distinct()


def open_cohorts(*, user: AbstractBaseUser, today: date | None = None) -> list[Cohort]:
    """The cohorts this user may fill that still have a free place and have not ended."""
    today = today or timezone.localdate()
    cohorts = (
        cohorts_visible_to(user)
        .exclude(status=CohortStatus.CANCELLED)
        .filter(places_taken__lt=F("capacity"))
        .select_related("programme__site")
        .order_by("starts_on", "pk")
    )
    return [cohort for cohort in cohorts if cohort.ends_on >= today]


@dataclass
class SessionPlan:
    dates: list[date]
    # (date, holiday name) pairs on a programme weekday that are public holidays.
    skipped: list[tuple[date, str]]


def plan_sessions(*, cohort: Cohort, language: str = "de") -> SessionPlan:
    """The session dates of a cohort on the programme's weekdays, without the public
    holidays of the venue's state, which are returned separately. No writes."""
    programme = cohort.programme
    dates, skipped = [], []
    for weekday in programme.weekday_list:
        found = series_dates(
            recurrence=Recurrence.WEEKLY,
            weekday=weekday,
            starts_on=cohort.starts_on,
            ends_on=cohort.ends_on,
            language=language,
        )
        dates += found.dates
        skipped += found.skipped
    return SessionPlan(dates=sorted(dates), skipped=sorted(skipped))


def generate_sessions(*, cohort: Cohort) -> int:
    """Create the cohort's missing sessions; running it again creates none. Returns how
    many were created."""
    if cohort.status == CohortStatus.CANCELLED:
        raise ProgrammeRefused(_("Dieser Durchgang ist abgesagt."))
    programme = cohort.programme
    plan = plan_sessions(cohort=cohort)
    with transaction.atomic():
        Cohort.objects.select_for_update().get(pk=cohort.pk)
        existing = set(cohort.sessions.values_list("on", flat=True))
        new = [
            Session(
                cohort=cohort,
                on=on,
                starts_at=local_datetime(on, programme.start_time),
                ends_at=local_datetime(on, programme.end_time),
            )
            for on in plan.dates
            if on not in existing
        ]
        Session.objects.bulk_create(new)
    return len(new)


def _notify_participants(cohort: Cohort, kind: str) -> int:
    enrolments = cohort.enrolments.filter(status=EnrolmentStatus.ACTIVE).select_related("person")
    queued = 0
    for enrolment in enrolments:
        if queue_mail(kind=kind, enrolment=enrolment, key=f"{kind}:{enrolment.pk}"):
            queued += 1
    return queued


def publish_cohort(*, cohort: Cohort) -> bool:
    """Publish a draft cohort with its sessions and tell the enrolled participants.
    Returns False if it was published already."""
    with transaction.atomic():
        locked = Cohort.objects.select_for_update().get(pk=cohort.pk)
        if locked.status == CohortStatus.CANCELLED:
            raise ProgrammeRefused(_("Dieser Durchgang ist abgesagt."))
        if locked.status == CohortStatus.PUBLISHED:
            return False
        if not locked.sessions.exists():
            raise ProgrammeRefused(_("Bitte erst die Termine des Durchgangs anlegen."))
        Cohort.objects.filter(pk=cohort.pk).update(status=CohortStatus.PUBLISHED)
        _notify_participants(cohort, MailKind.COHORT_PUBLISHED)
    cohort.refresh_from_db(fields=["status"])
    return True


def cancel_cohort(*, cohort: Cohort) -> bool:
    """Cancel a cohort and tell the enrolled participants. Returns False if it was
    cancelled already."""
    with transaction.atomic():
        locked = Cohort.objects.select_for_update().get(pk=cohort.pk)
        if locked.status == CohortStatus.CANCELLED:
            return False
        Cohort.objects.filter(pk=cohort.pk).update(status=CohortStatus.CANCELLED)
        if locked.status == CohortStatus.PUBLISHED:
            _notify_participants(cohort, MailKind.COHORT_CANCELLED)
    cohort.refresh_from_db(fields=["status"])
    return True


def lock_cohort(cohort_id: int) -> Cohort:
    # Every place change of a cohort takes this lock first, so a cohort being cancelled
    # never races an enrolment. On SQLite, IMMEDIATE transactions serialise instead.
    return Cohort.objects.select_for_update(no_key=True).get(pk=cohort_id)


def claim_place(cohort: Cohort) -> bool:
    """Take one place if one is free. The conditional UPDATE is the guard; the
    cohort_never_overbooked constraint is the database's last line behind it."""
    return (
        Cohort.objects.filter(pk=cohort.pk, places_taken__lt=F("capacity")).update(
            places_taken=F("places_taken") + 1
        )
        == 1
    )


def release_place(cohort_id: int) -> None:
    Cohort.objects.filter(pk=cohort_id, places_taken__gt=0).update(
        places_taken=F("places_taken") - 1
    )


def enrol_person(
    *, person: Person, cohort: Cohort, coach: Coach | None, today: date | None = None
) -> Enrolment:
    """Place an accompanied person in a cohort with a free place; the person's consent
    must be active, so the programme never outlives it (invariant 9)."""
    today = today or timezone.localdate()
    if not person.is_active or person.anonymised_at:
        raise ProgrammeRefused(_("Diese Begleitung ist beendet."))
    try:
        with transaction.atomic():
            locked = lock_cohort(cohort.pk)
            if locked.status == CohortStatus.CANCELLED:
                raise ProgrammeRefused(_("Dieser Durchgang ist abgesagt."))
            if locked.ends_on < today:
                raise ProgrammeRefused(_("Dieser Durchgang ist schon vorbei."))
            if Enrolment.objects.filter(person=person, cohort=locked).exists():
                raise ProgrammeRefused(_("Die Person ist in diesem Durchgang schon dabei."))
            if not claim_place(locked):
                raise CohortFull(_("In diesem Durchgang ist kein Platz mehr frei."))
            enrolment = Enrolment.objects.create(
                person=person, cohort=locked, enrolled_on=today, enrolled_by=coach
            )
            if locked.status == CohortStatus.PUBLISHED:
                queue_mail(
                    kind=MailKind.ENROLMENT_CONFIRMED,
                    enrolment=enrolment,
                    key=f"{MailKind.ENROLMENT_CONFIRMED}:{enrolment.pk}",
                )
    except IntegrityError:
        # The unique enrolment or the place constraint caught what the checks missed.
        if Enrolment.objects.filter(person=person, cohort=cohort).exists():
            raise ProgrammeRefused(_("Die Person ist in diesem Durchgang schon dabei.")) from None
        raise CohortFull(_("In diesem Durchgang ist kein Platz mehr frei.")) from None
    return enrolment


def mark_session(
    *, enrolment: Enrolment, session: Session, mark: str, coach: Coach | None
) -> Attendance:
    """Record present, excused or absent for one participant and session (one tap); an
    absence not excused queues one kind message to the participant."""
    if mark not in Mark.values:
        raise ProgrammeRefused(_("Bitte wählen Sie anwesend, entschuldigt oder fehlt."))
    if session.cohort_id != enrolment.cohort_id:
        raise ProgrammeRefused(_("Dieser Termin gehört nicht zu diesem Durchgang."))
    if enrolment.status != EnrolmentStatus.ACTIVE and (
        enrolment.ended_on and session.on > enrolment.ended_on
    ):
        raise ProgrammeRefused(_("Die Teilnahme war da schon beendet."))
    with transaction.atomic():
        attendance, _created = Attendance.objects.update_or_create(
            enrolment=enrolment, session=session, defaults={"mark": mark, "marked_by": coach}
        )
        if mark == Mark.ABSENT:
            queue_mail(
                kind=MailKind.SESSION_MISSED,
                enrolment=enrolment,
                key=f"{MailKind.SESSION_MISSED}:{enrolment.pk}:{session.pk}",
                context={"session_id": session.pk},
            )
            _flag_absences_to_lead(enrolment)
    return attendance


def _flag_absences_to_lead(enrolment: Enrolment) -> None:
    """Tell the programme's lead once per run of absences in a row that reaches the
    programme's threshold; excused sessions neither count nor break the run."""
    programme = enrolment.cohort.programme
    marks = (
        Attendance.objects.filter(enrolment=enrolment)
        .exclude(mark=Mark.EXCUSED)
        .order_by("-session__starts_at")
        .values_list("session_id", "mark")
    )
    run = []
    for session_id, mark in marks:
        if mark != Mark.ABSENT:
            break
        run.append(session_id)
    if len(run) < programme.absence_flag or programme.lead.user is None:
        return
    queue_mail(
        kind=MailKind.ABSENCE_FLAGGED,
        user=programme.lead.user,
        key=f"{MailKind.ABSENCE_FLAGGED}:{enrolment.pk}:{run[-1]}",
        context={"cohort_id": enrolment.cohort_id, "absences": len(run)},
    )


def record_former_visit(*, session: Session, coach: Coach | None) -> FormerVisit:
    """Count one visit of a former participant at a session."""
    if session.cohort.status == CohortStatus.CANCELLED:
        raise ProgrammeRefused(_("Dieser Durchgang ist abgesagt."))
    return FormerVisit.objects.create(session=session, recorded_by=coach)


def leave_programme(
    *, enrolment: Enrolment, reason: str, on: date, note: str = "", today: date | None = None
) -> bool:
    """End a participation early with its reason and date, freeing the place; a job start
    is recorded on the person as well. Returns False if it had ended."""
    today = today or timezone.localdate()
    if reason not in LeaveReason.values:
        raise ProgrammeRefused(_("Bitte wählen Sie einen Grund aus der Liste."))
    if on > today:
        raise ProgrammeRefused(_("Das Datum darf nicht in der Zukunft liegen."))
    if on < enrolment.enrolled_on:
        raise ProgrammeRefused(_("Das Datum liegt vor der Aufnahme in den Durchgang."))
    with transaction.atomic():
        lock_cohort(enrolment.cohort_id)
        ended = Enrolment.objects.filter(pk=enrolment.pk, status=EnrolmentStatus.ACTIVE).update(
            status=EnrolmentStatus.LEFT, ended_on=on, end_reason=reason, end_note=note[:200]
        )
        if ended:
            release_place(enrolment.cohort_id)
            if reason == LeaveReason.JOB_START:
                Person.objects.filter(pk=enrolment.person_id, job_start_on=None).update(
                    job_start_on=on
                )
    enrolment.refresh_from_db(fields=["status", "ended_on", "end_reason", "end_note"])
    return ended == 1


def end_enrolments_without_consent(*, now: datetime | None = None) -> int:
    """End every active participation whose person's accompaniment has ended, on the day
    it ended: no programme outlives the person's consent (invariant 9)."""
    now = now or timezone.now()
    ended = 0
    stale = Enrolment.objects.filter(status=EnrolmentStatus.ACTIVE).exclude(
        person__status=PersonStatus.ACTIVE
    )
    for enrolment in stale.select_related("person"):
        on = timezone.localdate(enrolment.person.ended_at or now)
        with transaction.atomic():
            lock_cohort(enrolment.cohort_id)
            if (
                Enrolment.objects.filter(pk=enrolment.pk, status=EnrolmentStatus.ACTIVE).update(
                    status=EnrolmentStatus.LEFT,
                    ended_on=max(on, enrolment.enrolled_on),
                    end_reason=LeaveReason.OTHER,
                )
                == 1
            ):
                release_place(enrolment.cohort_id)
                ended += 1
    return ended


@dataclass
class ParticipantRow:
    enrolment: Enrolment
    present: int = 0
    excused: int = 0
    absent: int = 0
    absent_in_a_row: int = 0
    flagged: bool = False

    @property
    def rate(self) -> float | None:
        """Present out of the sessions marked present or absent; excused ones don't count."""
        counted = self.present + self.absent
        return self.present / counted if counted else None


def participant_rows(*, cohort: Cohort) -> list[ParticipantRow]:
    """Each participant with their attendance counts, rate and absence flag; two queries."""
    enrolments = list(cohort.enrolments.select_related("person").order_by("person__name", "pk"))
    rows = {e.pk: ParticipantRow(enrolment=e) for e in enrolments}
    marks = (
        Attendance.objects.filter(enrolment__cohort=cohort)
        .order_by("session__starts_at")
        .values_list("enrolment_id", "mark")
    )
    for enrolment_id, mark in marks:
        row = rows[enrolment_id]
        setattr(row, mark, getattr(row, mark) + 1)
        if mark == Mark.ABSENT:
            row.absent_in_a_row += 1
        elif mark == Mark.PRESENT:
            row.absent_in_a_row = 0
    threshold = cohort.programme.absence_flag
    for row in rows.values():
        row.flagged = (
            row.enrolment.status == EnrolmentStatus.ACTIVE and row.absent_in_a_row >= threshold
        )
    return list(rows.values())


def cohort_attendance_rate(rows: list[ParticipantRow]) -> float | None:
    """Present out of all sessions marked present or absent, over all participants."""
    present = sum(r.present for r in rows)
    counted = present + sum(r.absent for r in rows)
    return present / counted if counted else None
