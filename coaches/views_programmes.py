"""Programme pages for staff: a cohort with its sessions and participants, the register
of a session (one tap per mark), enrolling a person, leaving early, and the figures.

Access (invariant 3): the coaches of the programme's team, its lead and administrators;
`is_staff` alone gives nothing. Every look is written to the audit log here, every
change by the domain function that makes it or here, next to it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from appointments import programme_figures
from appointments.models import (
    ApplicationStatus,
    Attendance,
    AuditAction,
    AuditEntry,
    Cohort,
    Enrolment,
    FormerVisit,
    ProgrammeApplication,
    Session,
)
from appointments.services import (
    ProgrammeRefused,
    applications_visible_to,
    cohort_attendance_rate,
    cohorts_visible_to,
    decide_application,
    enrol_person,
    leave_programme,
    mark_session,
    open_cohorts,
    participant_rows,
    record_former_visit,
)
from coaches import casework
from coaches.forms_programmes import ApplicationFilterForm, EnrolForm, LeaveForm, MarkForm
from coaches.models import Coach
from coaches.views import _first_or_404
from coaches.views_casework import _coach, _get_person, _person_url


def _audit(user, action: str, detail: str) -> None:
    AuditEntry.objects.create(user=user, action=action, detail=detail[:200])


def _get_cohort(request, cohort_id: int) -> Cohort:
    cohort = _first_or_404(Cohort.objects.select_related("programme__site"), cohort_id)
    if not cohorts_visible_to(request.user).filter(pk=cohort.pk).exists():
        raise PermissionDenied
    return cohort


def _get_session(request, session_id: int) -> Session:
    session = _first_or_404(Session.objects.select_related("cohort__programme__site"), session_id)
    if not cohorts_visible_to(request.user).filter(pk=session.cohort_id).exists():
        raise PermissionDenied
    return session


def _cohort_url(cohort_id: int) -> str:
    return reverse("coaches:cohort", args=[cohort_id])


@login_required
@never_cache
@require_GET
def cohort_detail(request, cohort_id: int):
    cohort = _get_cohort(request, cohort_id)
    rows = participant_rows(cohort=cohort)
    casework.audit_persons(
        user=request.user,
        persons=[r.enrolment.person for r in rows],
        action=AuditAction.VIEW_PERSON,
    )
    _audit(request.user, AuditAction.VIEW_COHORT, f"cohort {cohort.pk}")
    figures = programme_figures.collect(cohorts=Cohort.objects.filter(pk=cohort.pk))
    context = {
        "cohort": cohort,
        "sessions": list(cohort.sessions.all()),
        "rows": rows,
        "rate": programme_figures.percent(cohort_attendance_rate(rows)),
        "figures": figures[0] if figures else None,
        "former_visits": FormerVisit.objects.filter(session__cohort=cohort).count(),
        "applications": list(
            cohort.applications.filter(status=ApplicationStatus.PENDING, anonymised_at=None)
        ),
    }
    return render(request, "coaches/cohort.html", context)


def _render_register(request, session: Session, status=200):
    enrolments = list(
        Enrolment.objects.filter(cohort_id=session.cohort_id)
        .select_related("person")
        .prefetch_related(
            Prefetch(
                "attendances",
                queryset=Attendance.objects.filter(session=session),
                to_attr="marks",
            )
        )
        .order_by("person__name", "pk")
    )
    for enrolment in enrolments:
        enrolment.mark = enrolment.marks[0].mark if enrolment.marks else ""
    casework.audit_persons(
        user=request.user, persons=[e.person for e in enrolments], action=AuditAction.VIEW_PERSON
    )
    context = {
        "session": session,
        "cohort": session.cohort,
        "enrolments": enrolments,
        "former_visits": session.former_visits.count(),
    }
    return render(request, "coaches/session_register.html", context, status=status)


@login_required
@never_cache
@require_GET
def session_register(request, session_id: int):
    return _render_register(request, _get_session(request, session_id))


@login_required
@require_POST
def mark(request, session_id: int):
    session = _get_session(request, session_id)
    coach = _coach(request.user)
    form = MarkForm(request.POST)
    enrolment = None
    if form.is_valid():
        enrolment = Enrolment.objects.filter(
            pk=form.cleaned_data["enrolment"], cohort_id=session.cohort_id
        ).first()
    if enrolment is None:
        messages.error(request, _("Bitte wählen Sie anwesend, entschuldigt oder fehlt."))
        return _render_register(request, session, status=400)
    try:
        mark_session(
            enrolment=enrolment, session=session, mark=form.cleaned_data["mark"], coach=coach
        )
    except ProgrammeRefused as refusal:
        messages.error(request, str(refusal))
        return _render_register(request, session, status=400)
    casework.audit_person(
        user=request.user,
        person=enrolment.person,
        action=AuditAction.CHANGE_PERSON,
        detail=f"session {session.pk} {form.cleaned_data['mark']}",
    )
    url = reverse("coaches:session_register", args=[session.pk])
    return redirect(f"{url}#p{enrolment.pk}")


def _visible_cohorts_or_403(request):
    """The user's cohorts; a user who runs none has no programme pages (not even staff)."""
    cohorts = cohorts_visible_to(request.user)
    if not request.user.is_superuser and not cohorts.exists():
        raise PermissionDenied
    return cohorts


@login_required
@never_cache
@require_GET
def application_list(request):
    cohorts = _visible_cohorts_or_403(request)
    choices = cohorts.select_related("programme").order_by("-starts_on", "pk")
    form = ApplicationFilterForm(request.GET or None, cohorts=choices)
    filters = form.filters()
    applications = list(applications_visible_to(request.user, **filters))
    cohort = filters["cohort"]
    _audit(
        request.user,
        AuditAction.VIEW_COHORT,
        f"applications {filters['status'] or 'all'} cohort {cohort.pk if cohort else 'all'}",
    )
    context = {"form": form, "applications": applications}
    return render(
        request, "coaches/application_list.html", context, status=400 if form.errors else 200
    )


def _after_decision_url(request, cohort_id: int) -> str:
    # A fixed choice of two pages, never a URL from the request.
    if request.POST.get("back") == "list":
        return reverse("coaches:applications")
    return _cohort_url(cohort_id) + "#applications"


@login_required
@require_POST
def decide(request, application_id: int):
    application = _first_or_404(ProgrammeApplication.objects.all(), application_id)
    cohort = _get_cohort(request, application.cohort_id)
    decision = request.POST.get("decision")
    if decision not in {"accept", "decline"}:
        messages.error(request, _("Bitte wählen Sie annehmen oder ablehnen."))
        return redirect(_after_decision_url(request, cohort.pk))
    coach = Coach.objects.active().filter(user=request.user).first()
    if decide_application(
        application=application, accept=decision == "accept", coach=coach, user=request.user
    ):
        messages.success(request, _("Entscheidung gespeichert. Die Antwort geht per E-Mail raus."))
    else:
        messages.error(request, _("Über diese Bewerbung ist schon entschieden."))
    return redirect(_after_decision_url(request, cohort.pk))


@login_required
@require_POST
def former_visit(request, session_id: int):
    session = _get_session(request, session_id)
    coach = _coach(request.user)
    try:
        record_former_visit(session=session, coach=coach)
    except ProgrammeRefused as refusal:
        messages.error(request, str(refusal))
    else:
        _audit(request.user, AuditAction.CHANGE_COHORT, f"session {session.pk} former visit")
        messages.success(request, _("Besuch gezählt."))
    return redirect(reverse("coaches:session_register", args=[session.pk]) + "#former")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request, person_id: int):
    person = _get_person(request, person_id)
    coach = _coach(request.user)
    cohorts = open_cohorts(user=request.user)
    form = EnrolForm(request.POST if request.method == "POST" else None, cohorts=cohorts)
    if request.method == "POST" and form.is_valid():
        try:
            enrol_person(person=person, cohort=form.cleaned_data["cohort"], coach=coach)
        except ProgrammeRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            casework.audit_person(
                user=request.user,
                person=person,
                action=AuditAction.CHANGE_PERSON,
                detail=f"enrol cohort {form.cleaned_data['cohort'].pk}",
            )
            messages.success(request, _("Die Person ist jetzt im Programm."))
            return redirect(_person_url(person, "programmes"))
    casework.audit_person(user=request.user, person=person, action=AuditAction.VIEW_PERSON)
    context = {"person": person, "form": form, "cohorts": cohorts}
    return render(request, "coaches/enrol.html", context, status=400 if form.errors else 200)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def leave(request, enrolment_id: int):
    enrolment = _first_or_404(
        Enrolment.objects.select_related("person", "cohort__programme"), enrolment_id
    )
    if not cohorts_visible_to(request.user).filter(pk=enrolment.cohort_id).exists():
        raise PermissionDenied
    form = LeaveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        _coach(request.user)
        try:
            leave_programme(
                enrolment=enrolment,
                reason=form.cleaned_data["reason"],
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"],
            )
        except ProgrammeRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            casework.audit_person(
                user=request.user,
                person=enrolment.person,
                action=AuditAction.CHANGE_PERSON,
                detail=f"leave cohort {enrolment.cohort_id}",
            )
            messages.success(request, _("Die Teilnahme ist beendet."))
            return redirect(_cohort_url(enrolment.cohort_id))
    casework.audit_person(
        user=request.user, person=enrolment.person, action=AuditAction.VIEW_PERSON
    )
    context = {"enrolment": enrolment, "form": form}
    return render(request, "coaches/leave.html", context, status=400 if form.errors else 200)


def _figure_rows(request):
    return programme_figures.collect(cohorts=_visible_cohorts_or_403(request))


@login_required
@never_cache
@require_GET
def figures(request):
    rows = _figure_rows(request)
    context = {
        "tables": [
            (_("Je Durchgang"), rows),
            (_("Je Programm"), programme_figures.totals(rows, by="programme")),
            (_("Je Monat des Beginns"), programme_figures.totals(rows, by="month")),
            (_("Je Jahr des Beginns"), programme_figures.totals(rows, by="year")),
        ],
        "rows": rows,
        "charts": programme_figures.charts_for(rows),
    }
    return render(request, "coaches/programme_figures.html", context)


@login_required
@never_cache
@require_GET
def figures_csv(request):
    rows = _figure_rows(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="programme.csv"'
    by = request.GET.get("je", "")
    if by in ("programme", "month", "year"):
        rows = programme_figures.totals(rows, by=by)
    programme_figures.write_csv(response, rows)
    return response
