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
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from appointments.models import AuditAction
from coaches import casework, employers, figures
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
    return render(request, "coaches/employer_list.html", {"employers": found})


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
    return render(request, "coaches/employer.html", {"employer": employer})


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
