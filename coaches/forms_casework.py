"""Forms for casework and employers. They only clean input; the rules live in
coaches.casework and coaches.employers."""

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coaches.casework import WorkConstraints
from coaches.forms import DateInput
from coaches.models_casework import Childcare, ContactKind, Health, Mobility
from coaches.models_employers import Employer, Opening, ReferralStatus
from locations.models import Municipality

TIME_ERROR = _("Bitte geben Sie eine Uhrzeit zwischen 00:00 und 23:59 ein, zum Beispiel 08:30.")
DATE_ERROR = _("Bitte geben Sie ein Datum ein, zum Beispiel 2026-03-10.")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class WorkConstraintsForm(forms.Form):
    earliest_start = forms.TimeField(
        label=_("Frühester Arbeitsbeginn (freiwillig)"),
        required=False,
        input_formats=["%H:%M"],
        widget=TimeInput(),
        error_messages={"invalid": TIME_ERROR},
    )
    hours_per_week = forms.IntegerField(
        label=_("Gewünschte Stunden pro Woche (freiwillig)"),
        required=False,
        min_value=1,
        max_value=60,
        error_messages={
            "invalid": _("Bitte geben Sie eine Zahl ein."),
            "min_value": _("Bitte geben Sie eine Zahl von 1 bis 60 ein."),
            "max_value": _("Bitte geben Sie eine Zahl von 1 bis 60 ein."),
        },
    )
    childcare = forms.ChoiceField(label=_("Kinderbetreuung"), choices=Childcare.choices)
    childcare_note = forms.CharField(
        label=_("Notiz zur Kinderbetreuung (freiwillig)"), max_length=200, required=False
    )
    mobility = forms.ChoiceField(label=_("Mobilität"), choices=Mobility.choices)
    reachable = forms.ModelMultipleChoiceField(
        label=_("Erreichbare Gemeinden"),
        queryset=Municipality.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    health = forms.ChoiceField(label=_("Gesundheitliche Einschränkung"), choices=Health.choices)
    health_note = forms.CharField(
        label=_("Notiz zur Gesundheit (freiwillig)"), max_length=200, required=False
    )
    has_qualification = forms.BooleanField(label=_("Hat eine Berufsausbildung"), required=False)
    qualification = forms.CharField(
        label=_("Welche Ausbildung (freiwillig)"), max_length=120, required=False
    )

    def __init__(self, *args, district: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reachable"].queryset = Municipality.objects.filter(district=district)

    def constraints(self) -> WorkConstraints:
        data = self.cleaned_data
        return WorkConstraints(
            earliest_start=data["earliest_start"],
            hours_per_week=data["hours_per_week"],
            childcare=data["childcare"],
            childcare_note=data["childcare_note"],
            mobility=data["mobility"],
            reachable=list(data["reachable"]),
            health=data["health"],
            health_note=data["health_note"],
            has_qualification=data["has_qualification"],
            qualification=data["qualification"],
        )


class ConsentForm(WorkConstraintsForm):
    consent = forms.BooleanField(
        label=_(
            "Die Person ist einverstanden, dass wir sie begleiten und ihre Daten dafür speichern."
        ),
        error_messages={"required": _("Ohne Einwilligung der Person geht das nicht.")},
    )
    field_order = ["consent"]


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label=_("Art"), choices=ContactKind.choices)
    on = forms.DateField(
        label=_("Datum"),
        input_formats=["%Y-%m-%d"],
        widget=DateInput(),
        error_messages={"invalid": DATE_ERROR, "required": DATE_ERROR},
    )
    note = forms.CharField(label=_("Kurze Notiz"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"on": timezone.localdate(), "kind": ContactKind.CALL})
        super().__init__(*args, **kwargs)


class EndForm(forms.Form):
    withdrawn = forms.BooleanField(
        label=_("Die Person hat ihre Einwilligung widerrufen"), required=False
    )
    reason = forms.CharField(label=_("Grund (freiwillig)"), max_length=200, required=False)


class ReferForm(forms.Form):
    opening = forms.ModelChoiceField(
        queryset=Opening.objects.all(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Diese Stelle gibt es nicht.")},
    )


class ReferralStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Neuer Stand"), choices=ReferralStatus.choices)
    on = forms.DateField(
        label=_("Datum"),
        input_formats=["%Y-%m-%d"],
        widget=DateInput(),
        error_messages={"invalid": DATE_ERROR, "required": DATE_ERROR},
    )
    reason = forms.CharField(
        label=_("Grund (nötig bei einem Schritt zurück)"), max_length=200, required=False
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class EmployerForm(forms.ModelForm):
    class Meta:
        model = Employer
        fields = [
            "team",
            "name",
            "sector",
            "municipality",
            "address",
            "contact_name",
            "phone",
            "email",
            "notes",
            "flexible_start",
            "part_time",
            "no_qualification",
            "step_free",
            "by_bus",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["municipality"].queryset = Municipality.objects.order_by("name")


class OpeningForm(forms.ModelForm):
    class Meta:
        model = Opening
        fields = [
            "title",
            "hours_per_week",
            "earliest_start",
            "latest_start",
            "needs_qualification",
            "starts_on",
            "status",
        ]
        widgets = {
            "earliest_start": TimeInput(),
            "latest_start": TimeInput(),
            "starts_on": DateInput(),
        }
        error_messages = {
            "earliest_start": {"invalid": TIME_ERROR},
            "latest_start": {"invalid": TIME_ERROR},
            "starts_on": {"invalid": DATE_ERROR},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hours_per_week"].min_value = 1
        self.fields["hours_per_week"].max_value = 60
        self.fields["hours_per_week"].widget.attrs.update({"min": 1, "max": 60})
        self.fields["hours_per_week"].validators += [MinValueValidator(1), MaxValueValidator(60)]
        for name in ("earliest_start", "latest_start"):
            self.fields[name].input_formats = ["%H:%M"]

    def clean(self):
        data = super().clean()
        first, last = data.get("earliest_start"), data.get("latest_start")
        if first and last and last < first:
            self.add_error(
                "latest_start", _("Der späteste Beginn darf nicht vor dem frühesten liegen.")
            )
        return data
