"""Applications for a programme place through the public form, without an account.

An application is a request, not a place: it never touches the cohort's counter. The
team answers it; only an enrolment (invariant 8) takes a place.
"""

from datetime import date, datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import (
    ApplicationStatus,
    AuditAction,
    AuditEntry,
    Cohort,
    CohortStatus,
    MailKind,
    ProgrammeApplication,
    Session,
)
from appointments.outbox import queue_mail
from appointments.services.programmes import cohorts_visible_to
from coaches.models import Coach

ERASED_APPLICATION_FIELDS = {
    "name": "",
    "email": "",
    "phone": "",
    "note": "",
    "submission_key": None,
}


class ApplicationRefused(Exception):
    """The application cannot be taken; the message says why, for the applicant."""


def cohorts_open_for_applications(*, today: date | None = None):
    """Published cohorts with a free place whose last session lies ahead."""
    today = today or timezone.localdate()
    return Cohort.objects.filter(
        status=CohortStatus.PUBLISHED,
        places_taken__lt=F("capacity"),
        sessions__on__gte=today,
    ).distinct()


def applications_visible_to(user: AbstractBaseUser, *, status: str = "", cohort=None):
    """The applications, with their contact data, to the cohorts this user may see
    (invariant 3), oldest first; optionally of one status or one cohort. Erased ones are
    left out: nothing in them is left to answer."""
    applications = ProgrammeApplication.objects.filter(
        cohort__in=cohorts_visible_to(user), anonymised_at=None
    )
    if status:
        applications = applications.filter(status=status)
    if cohort is not None:
        applications = applications.filter(cohort=cohort)
    return applications.select_related("cohort__programme__site").order_by("created_at", "pk")


def apply_for_cohort(
    *,
    cohort: Cohort,
    name: str,
    email: str,
    phone: str,
    note: str,
    language: str,
    submission_key: str,
    now: datetime | None = None,
) -> ProgrammeApplication:
    """Store one application for a cohort that takes applications and queue its receipt
    mail; a repeated submit of the same form returns the first application instead of a
    second one."""
    now = now or timezone.now()
    earlier = ProgrammeApplication.objects.filter(submission_key=submission_key).first()
    if earlier is not None and earlier.cohort_id == cohort.pk:
        return earlier
    if not cohorts_open_for_applications(today=timezone.localdate(now)).filter(pk=cohort.pk):
        raise ApplicationRefused(_("Für diesen Durchgang nehmen wir keine Bewerbungen mehr an."))
    email = email.strip()
    pending = ProgrammeApplication.objects.filter(
        cohort=cohort, status=ApplicationStatus.PENDING, anonymised_at=None
    )
    if (email and pending.filter(email__iexact=email).exists()) or (
        phone and pending.filter(phone=phone).exists()
    ):
        raise ApplicationRefused(
            _("Ihre Bewerbung für diesen Durchgang ist schon bei uns. Wir melden uns bei Ihnen.")
        )
    try:
        with transaction.atomic():
            application = ProgrammeApplication.objects.create(
                cohort=cohort,
                name=name,
                email=email,
                phone=phone,
                note=note,
                language=language,
                submission_key=submission_key,
                consent_at=now,
            )
            # In the same transaction: the receipt exists exactly when the application does.
            kind = MailKind.APPLICATION_RECEIVED
            queue_mail(kind=kind, application=application, key=f"{kind}:{application.pk}")
            return application
    except IntegrityError:
        earlier = ProgrammeApplication.objects.filter(submission_key=submission_key).first()
        if earlier is not None and earlier.cohort_id == cohort.pk:
            return earlier
        raise ApplicationRefused(_("Die Bewerbung konnte nicht gesendet werden.")) from None


def erase_expired_applications(*, cutoff: datetime, now: datetime) -> int:
    """Erase the contact data and note of every application whose cohort's last session
    ended before the cutoff, the schedule of bookings. Returns how many were erased."""
    later_session = Session.objects.filter(cohort=OuterRef("cohort"), ends_at__gte=cutoff)
    expired = ProgrammeApplication.objects.filter(
        anonymised_at=None, created_at__lt=cutoff
    ).exclude(Exists(later_session))
    return expired.update(**ERASED_APPLICATION_FIELDS, anonymised_at=now)


def decide_application(
    *,
    application: ProgrammeApplication,
    accept: bool,
    coach: Coach | None,
    user: AbstractBaseUser,
    now: datetime | None = None,
) -> bool:
    """Accept or decline a pending application, audit it, and queue one answer mail to the
    applicant. Accepting promises a place; the coach then takes the person's consent on
    the casework path and enrols them from the person's page. Returns False if it had
    been decided already."""
    now = now or timezone.now()
    status = ApplicationStatus.ACCEPTED if accept else ApplicationStatus.DECLINED
    kind = MailKind.APPLICATION_ACCEPTED if accept else MailKind.APPLICATION_DECLINED
    with transaction.atomic():
        decided = ProgrammeApplication.objects.filter(
            pk=application.pk, status=ApplicationStatus.PENDING, anonymised_at=None
        ).update(status=status, decided_at=now, decided_by=coach)
        if decided:
            application.refresh_from_db()
            AuditEntry.objects.create(
                user=user,
                action=AuditAction.CHANGE_COHORT,
                detail=f"cohort {application.cohort_id} application {application.pk} {status}",
            )
            queue_mail(kind=kind, application=application, key=f"{kind}:{application.pk}")
    return decided == 1
