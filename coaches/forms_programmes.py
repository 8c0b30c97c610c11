"""Forms for programmes. They only clean input; the rules live in
appointments.services.programmes."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments.models import ApplicationStatus, Cohort, LeaveReason, Mark
from coaches.forms import DateInput
from coaches.forms_casework import DATE_ERROR


class CohortChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, cohort):
        return _("%(programme)s ab %(start)s, noch %(free)s Plätze frei") % {
            "programme": cohort.programme.name,
            "start": cohort.starts_on.strftime("%d.%m.%Y"),
            "free": cohort.places_free,
        }


class EnrolForm(forms.Form):
    cohort = CohortChoiceField(
        label=_("Durchgang"),
        queryset=None,
        empty_label=None,
        error_messages={
            "required": _("Bitte wählen Sie einen Durchgang."),
            "invalid_choice": _("Bitte wählen Sie einen Durchgang aus der Liste."),
        },
    )

    def __init__(self, *args, cohorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = Cohort.objects.filter(
            pk__in=[cohort.pk for cohort in cohorts]
        ).select_related("programme")


class MarkForm(forms.Form):
    enrolment = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    mark = forms.ChoiceField(
        choices=Mark.choices,
        error_messages={"invalid_choice": _("Bitte wählen Sie anwesend, entschuldigt oder fehlt.")},
    )


class LeaveForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Grund"),
        choices=LeaveReason.choices,
        error_messages={
            "required": _("Bitte wählen Sie einen Grund."),
            "invalid_choice": _("Bitte wählen Sie einen Grund aus der Liste."),
        },
    )
    on = forms.DateField(
        label=_("Datum"),
        widget=DateInput(),
        input_formats=["%Y-%m-%d"],
        error_messages={"required": DATE_ERROR, "invalid": DATE_ERROR},
    )
    note = forms.CharField(label=_("Notiz (freiwillig)"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)


ALL_STATUSES = "all"


def _cohort_words(cohort) -> dict:
    return {"programme": cohort.programme.name, "start": cohort.starts_on.strftime("%d.%m.%Y")}


class ApplicationFilterForm(forms.Form):
    """The filters of the applications list: one of the user's cohorts (or all of them)
    and a status (open by default). A value not offered gets a message, never a lookup."""

    cohort = forms.ChoiceField(
        label=_("Durchgang"),
        required=False,
        error_messages={"invalid_choice": _("Bitte wählen Sie einen Durchgang aus der Liste.")},
    )
    status = forms.ChoiceField(
        label=_("Stand"),
        required=False,
        choices=[*ApplicationStatus.choices, (ALL_STATUSES, _("alle"))],
        error_messages={"invalid_choice": _("Bitte wählen Sie einen Stand aus der Liste.")},
    )

    def __init__(self, *args, cohorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohorts = {str(cohort.pk): cohort for cohort in cohorts}
        self.fields["cohort"].choices = [("", _("alle Durchgänge"))] + [
            (key, _("%(programme)s ab %(start)s") % _cohort_words(cohort))
            for key, cohort in self.cohorts.items()
        ]

    def filters(self) -> dict:
        """The chosen cohort and status; the defaults when the form is empty or wrong."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        status = data.get("status") or ApplicationStatus.PENDING
        return {
            "cohort": self.cohorts.get(data.get("cohort") or ""),
            "status": "" if status == ALL_STATUSES else status,
        }
