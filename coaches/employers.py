"""Employers, openings and referrals: propose a person to an opening or an employer, and
move the referral along its dated status history.

An employer's page (notes, contact person) is for the team that keeps the contact and for
administrators; a referral is seen with its person (coaches.casework).
"""

from datetime import date, datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import AuditAction, AuditEntry
from coaches.casework import CaseworkRefused, audit_person
from coaches.models import Coach, Team
from coaches.models_casework import Person
from coaches.models_employers import (
    REFERRAL_RANK,
    Employer,
    Opening,
    OpeningStatus,
    Referral,
    ReferralStatus,
    ReferralStep,
)


def employers_visible_to(user: AbstractBaseUser):
    """Employers whose private notes this user may see: all for an administrator, those
    kept by the coach's teams, none for anyone else."""
    if user.is_active and user.is_superuser:
        return Employer.objects.all()
    coach = Coach.objects.active().filter(user=user).first()
    if coach is None:
        return Employer.objects.none()
    return Employer.objects.filter(Q(team__members=coach) | Q(team__lead=coach)).distinct()


def audit_employer(*, user: AbstractBaseUser, employer: Employer, action: str, detail=""):
    """Write one audit entry about an employer."""
    AuditEntry.objects.create(
        user=user, action=action, detail=f"employer {employer.pk} {detail}".strip()[:200]
    )


def _refuse_unless_team_coach(*, user: AbstractBaseUser, team_id: int | None) -> None:
    coach = Coach.objects.active().filter(user=user).first()
    mine = coach and Team.objects.filter(Q(members=coach) | Q(lead=coach), pk=team_id).exists()
    if not mine:
        raise CaseworkRefused(_("Nur das Team dieses Arbeitgebers kann hier etwas ändern."))


def save_employer(*, employer: Employer, user: AbstractBaseUser) -> Employer:
    """Create or change an employer; only a coach of the employer's team may."""
    _refuse_unless_team_coach(user=user, team_id=employer.team_id)
    if employer.pk:
        kept_by = Employer.objects.filter(pk=employer.pk).values_list("team_id", flat=True)
        _refuse_unless_team_coach(user=user, team_id=kept_by.first())
    with transaction.atomic():
        detail = "changed" if employer.pk else "created"
        employer.save()
        audit_employer(
            user=user, employer=employer, action=AuditAction.CHANGE_EMPLOYER, detail=detail
        )
    return employer


def save_opening(*, opening: Opening, user: AbstractBaseUser) -> Opening:
    """Create or change an opening of an employer; only a coach of its team may."""
    _refuse_unless_team_coach(user=user, team_id=opening.employer.team_id)
    if opening.latest_start < opening.earliest_start:
        raise CaseworkRefused(_("Der späteste Beginn darf nicht vor dem frühesten liegen."))
    with transaction.atomic():
        detail = f"opening {'changed' if opening.pk else 'created'}"
        opening.save()
        audit_employer(
            user=user,
            employer=opening.employer,
            action=AuditAction.CHANGE_EMPLOYER,
            detail=f"{detail} {opening.pk}",
        )
    return opening


def open_openings_for(*, person: Person):
    """Open openings of employers in the person's Landkreis, with employer and place."""
    return Opening.objects.filter(
        status=OpeningStatus.OPEN,
        employer__municipality__district=person.municipality.district,
    ).select_related("employer__municipality")


def refer_person(
    *,
    person: Person,
    coach: Coach,
    opening: Opening | None = None,
    employer: Employer | None = None,
    now: datetime | None = None,
) -> Referral:
    """Propose an accompanied person to an open opening, or to an employer directly."""
    now = now or timezone.now()
    if not person.is_active or person.anonymised_at:
        raise CaseworkRefused(_("Diese Begleitung ist beendet."))
    if opening is None and employer is None:
        raise CaseworkRefused(_("Bitte wählen Sie eine Stelle oder einen Arbeitgeber."))
    with transaction.atomic():
        if opening is not None:
            # Locked, so a referral cannot slip in while the opening is being filled.
            opening = Opening.objects.select_for_update().get(pk=opening.pk)
            if not opening.is_open:
                raise CaseworkRefused(_("Diese Stelle ist schon besetzt."))
            employer = opening.employer
        try:
            with transaction.atomic():
                referral = Referral.objects.create(
                    person=person, employer=employer, opening=opening
                )
        except IntegrityError:
            raise CaseworkRefused(
                _("Die Person ist für diese Stelle schon vorgeschlagen.")
            ) from None
        ReferralStep.objects.create(
            referral=referral,
            status=ReferralStatus.PROPOSED,
            on=timezone.localdate(now),
            coach=coach,
        )
        audit_person(
            user=coach.user,
            person=person,
            action=AuditAction.CHANGE_PERSON,
            detail=f"referral {referral.pk} proposed",
        )
    return referral


def is_backwards(old: str, new: str) -> bool:
    """A step back along the path, or away from an end (hired, not hired, withdrawn)."""
    old_rank, new_rank = REFERRAL_RANK[old], REFERRAL_RANK[new]
    return new_rank < old_rank or (old_rank == 4 and new != old)


def change_referral_status(
    *,
    referral: Referral,
    status: str,
    on: date,
    coach: Coach,
    reason: str = "",
    now: datetime | None = None,
) -> bool:
    """Move a referral to a new status on a date. A step backwards needs a reason. Hired
    records the person's job start. Returns False if the status was already that."""
    now = now or timezone.now()
    if status not in ReferralStatus.values:
        raise CaseworkRefused(_("Bitte wählen Sie einen Stand aus der Liste."))
    if on > timezone.localdate(now):
        raise CaseworkRefused(_("Das Datum darf nicht in der Zukunft liegen."))
    with transaction.atomic():
        current = Referral.objects.select_for_update().get(pk=referral.pk)
        if current.status == status:
            return False
        if is_backwards(current.status, status) and not reason.strip():
            raise CaseworkRefused(
                _("Das ist ein Schritt zurück. Bitte schreiben Sie einen Grund dazu.")
            )
        ReferralStep.objects.create(
            referral=current, status=status, on=on, reason=reason[:200], coach=coach
        )
        current.status = status
        current.save(update_fields=["status", "updated_at"])
        current.person.refresh_job_start()
        audit_person(
            user=coach.user,
            person=current.person,
            action=AuditAction.CHANGE_PERSON,
            detail=f"referral {current.pk} {status}",
        )
    referral.refresh_from_db(fields=["status", "updated_at"])
    return True


def set_opening_status(*, opening: Opening, status: str, user: AbstractBaseUser) -> bool:
    """Mark an opening open or filled. Returns False if it already was."""
    if status not in OpeningStatus.values:
        raise CaseworkRefused(_("Bitte wählen Sie einen Stand aus der Liste."))
    with transaction.atomic():
        changed = Opening.objects.filter(pk=opening.pk).exclude(status=status).update(status=status)
        if changed:
            audit_employer(
                user=user,
                employer=opening.employer,
                action=AuditAction.CHANGE_EMPLOYER,
                detail=f"opening {opening.pk} {status}",
            )
    opening.refresh_from_db(fields=["status"])
    return changed == 1
