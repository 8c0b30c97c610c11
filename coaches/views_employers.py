"""Employer pages and the figures per person.

An employer's page shows private notes and the contact person: only the team that keeps
the contact and administrators see it. The figures per person are anonymous counts.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from appointments.models import AuditAction
from coaches import casework, employers, figures, forms_casework
from coaches.models import Coach, Team
from coaches.models_employers import Employer, Opening, OpeningStatus
from coaches.views import _first_or_404
from coaches.views_casework import _viewer


@login_required
@never_cache
@require_GET
def employer_list(request):
    _viewer(request.user)
    found = (
        employers.employers_visible_to(request.user)
        .select_related("municipality")
        .annotate(open_openings=Count("openings", filter=Q(openings__status=OpeningStatus.OPEN)))
        .order_by("name")
    )
    may_add = Coach.objects.active().filter(user=request.user).exists()
    context = {"employers": found, "may_add": may_add}
    return render(request, "coaches/employer_list.html", context)


def _get_employer(request, employer_id: int) -> Employer:
    employer = _first_or_404(Employer.objects.select_related("municipality", "team"), employer_id)
    if not employers.employers_visible_to(request.user).filter(pk=employer.pk).exists():
        raise PermissionDenied
    return employer


@login_required
@never_cache
@require_GET
def employer_detail(request, employer_id: int):
    employer = _get_employer(request, employer_id)
    employer = (
        Employer.objects.select_related("municipality", "team")
        .prefetch_related(
            Prefetch("openings", queryset=Opening.objects.order_by("status", "title"))
        )
        .get(pk=employer.pk)
    )
    employers.audit_employer(user=request.user, employer=employer, action=AuditAction.VIEW_EMPLOYER)
    may_edit = Team.objects.filter(
        Q(members__user=request.user) | Q(lead__user=request.user), pk=employer.team_id
    ).exists()
    context = {"employer": employer, "may_edit": may_edit}
    return render(request, "coaches/employer.html", context)


@login_required
@require_POST
def opening_status(request, employer_id: int, opening_id: int):
    employer = _get_employer(request, employer_id)
    opening = _first_or_404(employer.openings.all(), opening_id)
    status = request.POST.get("status", "")
    try:
        employers.set_opening_status(opening=opening, status=status, user=request.user)
    except casework.CaseworkRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("coaches:employer", employer.pk)


def _teams_of(user):
    coach = Coach.objects.active().filter(user=user).first()
    if coach is None:
        raise PermissionDenied
    return Team.objects.filter(Q(members=coach) | Q(lead=coach)).distinct()


def _posted(request):
    return request.POST if request.method == "POST" else None


def _save_or_refuse(request, save, form, **kwargs) -> bool:
    try:
        save(user=request.user, **kwargs)
    except casework.CaseworkRefused as refusal:
        form.add_error(None, str(refusal))
        return False
    messages.success(request, _("Gespeichert."))
    return True


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def employer_edit(request, employer_id: int | None = None):
    teams = _teams_of(request.user)
    employer = _get_employer(request, employer_id) if employer_id else None
    if employer and not teams.filter(pk=employer.team_id).exists():
        raise PermissionDenied
    form = forms_casework.EmployerForm(_posted(request), instance=employer, teams=teams)
    saved = request.method == "POST" and form.is_valid()
    if saved and _save_or_refuse(request, employers.save_employer, form, employer=form.instance):
        return redirect("coaches:employer", form.instance.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "employer": employer}
    return render(request, "coaches/employer_edit.html", context, status=status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def opening_edit(request, employer_id: int, opening_id: int | None = None):
    employer = _get_employer(request, employer_id)
    if not _teams_of(request.user).filter(pk=employer.team_id).exists():
        raise PermissionDenied
    opening = _first_or_404(employer.openings.all(), opening_id) if opening_id else None
    form = forms_casework.OpeningForm(
        _posted(request), instance=opening or Opening(employer=employer)
    )
    saved = request.method == "POST" and form.is_valid()
    if saved and _save_or_refuse(request, employers.save_opening, form, opening=form.instance):
        return redirect("coaches:employer", employer.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "employer": employer, "opening": opening}
    return render(request, "coaches/opening_edit.html", context, status=status)


def _figures(request):
    _viewer(request.user)
    form = figures.PersonFiguresForm(request.GET or None)
    options = form.options(timezone.localdate())
    return form, figures.collect(**options)


@login_required
@never_cache
@require_GET
def person_figures(request):
    form, report = _figures(request)
    query = request.GET.urlencode()
    context = {
        "form": form,
        "report": report,
        "charts": figures.charts_for(report),
        "csv_query": f"?{query}" if query else "",
    }
    return render(
        request, "coaches/person_figures.html", context, status=400 if form.errors else 200
    )


@login_required
@never_cache
@require_GET
def person_figures_csv(request):
    form, report = _figures(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="personen.csv"'
    figures.write_csv(response, report)
    return response
