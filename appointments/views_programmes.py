"""The public application for a programme place: form and confirmation. No account;
the browser session that applied is the only one that sees its confirmation."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from appointments import services
from appointments.forms import ApplicationForm, new_submission_key
from appointments.models import Cohort, CohortStatus
from appointments.views import post_rate_limit
from joblokal.views import ratelimited

APPLIED = "programme_applied"


def _published_cohort(cohort_id: int) -> Cohort:
    return get_object_or_404(
        Cohort.objects.filter(status=CohortStatus.PUBLISHED).select_related(
            "programme__site__municipality"
        ),
        pk=cohort_id,
    )


def _render_form(request, cohort, form):
    context = {
        "cohort": cohort,
        "form": form,
        "open": services.cohorts_open_for_applications().filter(pk=cohort.pk).exists(),
        "sessions": cohort.sessions.order_by("starts_at")[:3],
    }
    return render(request, "appointments/apply.html", context)


# Contact details and notes never appear in error reports.
@sensitive_post_parameters()
@never_cache
@post_rate_limit
@require_http_methods(["GET", "POST"])
def apply(request, cohort_id):
    cohort = _published_cohort(cohort_id)
    if request.method != "POST":
        form = ApplicationForm(initial={"submission_key": new_submission_key()})
        return _render_form(request, cohort, form)
    if request.limited:
        return ratelimited(request)
    form = ApplicationForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            application = services.apply_for_cohort(
                cohort=cohort,
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                note=data["note"],
                language=get_language() or "de",
                submission_key=data["submission_key"],
            )
        except services.ApplicationRefused as refused:
            form.add_error(None, str(refused))
        else:
            request.session[APPLIED] = application.pk
            return redirect("appointments:applied", cohort_id=cohort.pk)
    # Keep the key of the first attempt: nothing was stored, and a resubmit stays one form.
    form.data = form.data.copy()
    form.data["submission_key"] = form.cleaned_data.get("submission_key") or new_submission_key()
    return _render_form(request, cohort, form)


@never_cache
@require_GET
def applied(request, cohort_id):
    application_id = request.session.get(APPLIED)
    if not application_id:
        raise Http404
    cohort = _published_cohort(cohort_id)
    application = get_object_or_404(
        cohort.applications.filter(anonymised_at=None), pk=application_id
    )
    return render(
        request, "appointments/applied.html", {"cohort": cohort, "application": application}
    )
