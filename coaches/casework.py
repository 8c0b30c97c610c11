"""Accompaniment: consent, the person's constraints, linking visits, the contact log and
the end of an accompaniment (closed by the coach, or consent withdrawn).

Who may see a person (invariant 3): the coaches of the person's team, and administrators.
A team may accompany a person only in a municipality it serves, i.e. where it holds a
counselling day or a series at one of the municipality's sites. Every change and every
look is written to the audit log.
"""

from dataclasses import dataclass, fields
from datetime import date, datetime, time

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import AuditAction, AuditEntry, Booking
from appointments.services import StaffActionRefused, end_enrolments_without_consent
from coaches import retention
from coaches.models import Coach, Team
from coaches.models_casework import (
    CONSENT_TEXT_VERSION,
    ContactEntry,
    ContactKind,
    Person,
    PersonStatus,
    PersonVisit,
)
from locations.models import Municipality


class CaseworkRefused(StaffActionRefused):
    """A casework change is not possible; the message says why, for the coach."""


@dataclass
class WorkConstraints:
    """What matters for work, as structured fields."""

    earliest_start: time | None = None
    hours_per_week: int | None = None
    childcare: str = "not_needed"
    childcare_note: str = ""
    mobility: str = "bus"
    reachable: list = None
    health: str = "none"
    health_note: str = ""
    has_qualification: bool = False
    qualification: str = ""


def audit_person(
    *,
    user: AbstractBaseUser | None,
    person: Person,
    action: str,
    detail: str = "",
    actor: str = "",
):
    """Write one audit entry about a person; the person is named by id only. Without a
    staff user, `actor` names who acted."""
    AuditEntry.objects.create(
        user=user,
        actor=actor[:40],
        action=action,
        detail=f"person {person.pk} {detail}".strip()[:200],
    )


def audit_persons(*, user: AbstractBaseUser, persons, action: str) -> None:
    """Write one audit entry per person, in one query."""
    AuditEntry.objects.bulk_create(
        [AuditEntry(user=user, action=action, detail=f"person {p.pk}") for p in persons]
    )


def teams_serving(*, municipality: Municipality):
    """The teams that hold a day or a series at a site of the municipality."""
    return Team.objects.filter(
        Q(days__site__municipality=municipality) | Q(series__site__municipality=municipality)
    ).distinct()


def accompanying_team(*, coach: Coach, municipality: Municipality) -> Team | None:
    """The coach's team (member or lead) that serves the municipality, if any."""
    mine = Team.objects.filter(Q(members=coach) | Q(lead=coach))
    return teams_serving(municipality=municipality).filter(pk__in=mine.values("pk")).first()


def persons_visible_to(user: AbstractBaseUser):
    """The persons this user may see: all for an administrator, the persons of their
    teams for an active coach, none for anyone else."""
    if user.is_active and user.is_superuser:
        return Person.objects.all()
    coach = Coach.objects.active().filter(user=user).first()
    if coach is None:
        return Person.objects.none()
    return Person.objects.visible_to_coach(coach)


def _apply(person: Person, constraints: WorkConstraints) -> list[str]:
    changed = []
    for field in fields(WorkConstraints):
        if field.name == "reachable":
            continue
        setattr(person, field.name, getattr(constraints, field.name))
        changed.append(field.name)
    return changed


def start_accompaniment(
    *,
    booking: Booking,
    coach: Coach,
    consent: bool,
    constraints: WorkConstraints,
    now: datetime | None = None,
) -> Person:
    """Create a person from a booking or walk-in, only with their recorded consent, and
    link the visit to them. The coach's team must serve the booking's municipality."""
    now = now or timezone.now()
    if not consent:
        raise CaseworkRefused(_("Ohne Einwilligung der Person geht das nicht."))
    if booking.anonymised_at:
        raise CaseworkRefused(_("Die Daten dieses Termins sind schon gelöscht."))
    municipality = booking.day.site.municipality
    team = accompanying_team(coach=coach, municipality=municipality)
    if team is None:
        raise CaseworkRefused(
            _("Ihr Team betreut %(place)s nicht. Die Person kann hier nicht begleitet werden.")
            % {"place": municipality.name}
        )
    with transaction.atomic():
        if PersonVisit.objects.filter(booking=booking).exists():
            raise CaseworkRefused(_("Dieser Termin gehört schon zu einer begleiteten Person."))
        person = Person(
            municipality=municipality,
            team=team,
            name=booking.name,
            email=booking.email,
            phone=booking.phone,
            consent_at=now,
            consent_by=coach,
            consent_text_version=CONSENT_TEXT_VERSION,
            last_contact_at=now,
            first_visit_on=booking.day.date,
        )
        _apply(person, constraints)
        person.save()
        person.reachable.set(constraints.reachable or [])
        try:
            with transaction.atomic():
                PersonVisit.objects.create(person=person, booking=booking, linked_by=coach)
        except IntegrityError:
            raise CaseworkRefused(
                _("Dieser Termin gehört schon zu einer begleiteten Person.")
            ) from None
        audit_person(
            user=coach.user,
            person=person,
            action=AuditAction.CHANGE_PERSON,
            detail=f"consent {CONSENT_TEXT_VERSION} booking {booking.pk}",
        )
    return person


def update_constraints(
    *, person: Person, constraints: WorkConstraints, user: AbstractBaseUser
) -> Person:
    """Replace the person's constraints for work."""
    if person.anonymised_at or not person.is_active:
        raise CaseworkRefused(_("Diese Begleitung ist beendet."))
    with transaction.atomic():
        changed = _apply(person, constraints)
        person.save(update_fields=changed)
        person.reachable.set(constraints.reachable or [])
        audit_person(user=user, person=person, action=AuditAction.CHANGE_PERSON, detail="work")
    return person


def matching_persons(*, booking: Booking, user: AbstractBaseUser):
    """Persons this user's teams accompany whose email or phone equals the booking's, and
    who are not linked to it yet. Only an offer: the coach confirms the link."""
    if booking.anonymised_at or PersonVisit.objects.filter(booking=booking).exists():
        return Person.objects.none()
    same = Q()
    if booking.email:
        same |= Q(email__iexact=booking.email)
    if booking.phone:
        same |= Q(phone=booking.phone)
    if not same:
        return Person.objects.none()
    return persons_visible_to(user).active().kept().filter(same)


def link_visit(
    *, person: Person, booking: Booking, coach: Coach, now: datetime | None = None
) -> bool:
    """Link a booking or walk-in to an accompanied person after the coach confirmed it.
    Returns False if it was linked to this person already."""
    now = now or timezone.now()
    existing = PersonVisit.objects.filter(booking=booking).first()
    if existing:
        if existing.person_id == person.pk:
            return False
        raise CaseworkRefused(_("Dieser Termin gehört schon zu einer anderen Person."))
    if not person.is_active or person.anonymised_at:
        raise CaseworkRefused(_("Diese Begleitung ist beendet."))
    if booking.anonymised_at:
        raise CaseworkRefused(_("Die Daten dieses Termins sind schon gelöscht."))
    try:
        with transaction.atomic():
            PersonVisit.objects.create(person=person, booking=booking, linked_by=coach)
            first = min(filter(None, [person.first_visit_on, booking.day.date]))
            Person.objects.filter(pk=person.pk).update(
                first_visit_on=first, last_contact_at=max(person.last_contact_at, now)
            )
            audit_person(
                user=coach.user,
                person=person,
                action=AuditAction.CHANGE_PERSON,
                detail=f"link booking {booking.pk}",
            )
    except IntegrityError:
        raise CaseworkRefused(_("Dieser Termin gehört schon zu einer anderen Person.")) from None
    person.refresh_from_db(fields=["first_visit_on", "last_contact_at"])
    # The visit may already carry the outcome "job start".
    person.refresh_job_start()
    return True


def log_contact(
    *,
    person: Person,
    kind: str,
    on: date,
    note: str,
    coach: Coach,
    now: datetime | None = None,
) -> ContactEntry:
    """Add a call, mail, letter or meeting to the person's contact log."""
    now = now or timezone.now()
    if not person.is_active or person.anonymised_at:
        raise CaseworkRefused(_("Diese Begleitung ist beendet."))
    if kind not in ContactKind.values:
        raise CaseworkRefused(_("Bitte wählen Sie eine Art aus der Liste."))
    if on > timezone.localdate(now):
        raise CaseworkRefused(_("Das Datum darf nicht in der Zukunft liegen."))
    with transaction.atomic():
        entry = ContactEntry.objects.create(
            person=person, kind=kind, on=on, note=note[:300], coach=coach
        )
        Person.objects.filter(pk=person.pk, last_contact_at__lt=now).update(last_contact_at=now)
        audit_person(
            user=coach.user, person=person, action=AuditAction.CHANGE_PERSON, detail="contact"
        )
    return entry


def end_accompaniment(
    *,
    person: Person,
    user: AbstractBaseUser | None,
    actor: str = "",
    withdrawn: bool = False,
    reason: str = "",
    now: datetime | None = None,
) -> bool:
    """End an accompaniment at once, closed by the coach or because the person withdrew
    consent; erasure follows RETENTION_DAYS later, and no follow-up or open referral
    outlives it. Returns False if it had ended."""
    now = now or timezone.now()
    if user is None and not actor:
        actor = "client"
    status = PersonStatus.WITHDRAWN if withdrawn else PersonStatus.CLOSED
    with transaction.atomic():
        # Conditional, so two clicks at once end it once.
        ended = Person.objects.filter(pk=person.pk, status=PersonStatus.ACTIVE).update(
            status=status, ended_at=now, end_reason=reason[:200]
        )
        if ended:
            # A withdrawal through the client's own link has no staff user: the actor says so.
            audit_person(
                user=user,
                actor=actor,
                person=person,
                action=AuditAction.CHANGE_PERSON,
                detail=str(status),
            )
            person.refresh_from_db(fields=["status", "ended_at", "end_reason"])
            retention.settle_ended_accompaniment(person=person, user=user, actor=actor, now=now)
            # No programme outlives the consent it rests on (invariant 9).
            end_enrolments_without_consent(now=now)
    person.refresh_from_db(fields=["status", "ended_at", "end_reason"])
    return ended == 1


def booking_panel(*, booking: Booking, user: AbstractBaseUser) -> dict:
    """What the booking page offers about accompaniment: the linked person (if this user
    may see them), or persons of the user's teams with the same contact data."""
    visit = PersonVisit.objects.filter(booking=booking).select_related("person").first()
    if visit:
        visible = persons_visible_to(user).filter(pk=visit.person_id).exists()
        return {"person": visit.person if visible else None, "linked": True}
    return {"matches": list(matching_persons(booking=booking, user=user))}


def withdraw_consent_by_link(*, booking: Booking, now: datetime | None = None) -> bool:
    """The person withdraws consent through the manage link of a booking linked to them:
    the accompaniment ends at once. Returns False if there was none active."""
    visit = PersonVisit.objects.filter(booking=booking).select_related("person").first()
    if visit is None or not visit.person.is_active:
        return False
    return end_accompaniment(
        person=visit.person,
        user=None,
        actor="client via manage link",
        withdrawn=True,
        reason="withdrawn through the booking link",
        now=now,
    )
