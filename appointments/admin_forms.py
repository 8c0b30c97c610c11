"""The forms of the planning admin: a series rule, a day, and a day's cancellation.

They clean input and show problems; the rules themselves live in services.planning.
"""

from datetime import time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments import services
from appointments.models import OutreachDay, OutreachSeries, Recurrence, local_datetime
from coaches.models import Coach


class OutreachSeriesForm(forms.ModelForm):
    # The admin's forms are novalidate; a required Select2 box (the venue) without an
    # empty option is invalid HTML, so the server alone checks what is required.
    use_required_attribute = False

    class Meta:
        model = OutreachSeries
        fields = [
            "site",
            "team",
            "recurrence",
            "week_of_month",
            "weekday",
            "interval_weeks",
            "start_time",
            "end_time",
            "slot_minutes",
            "seats_per_slot",
            "starts_on",
            "ends_on",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["week_of_month"].help_text = _("Nur für „n-ter Wochentag im Monat“.")
        self.fields["interval_weeks"].help_text = _("Nur für „alle n Wochen“.")
        self.fields["starts_on"].help_text = _(
            "Feiertage im Bundesland des Landkreises fallen aus."
        )

    def clean(self):
        data = super().clean()
        if data.get("recurrence") == Recurrence.WEEKLY:
            data["week_of_month"] = None
        rule = {name: data.get(name) for name in services.SERIES_RULE_FIELDS}
        if None not in (rule["recurrence"], rule["start_time"], rule["end_time"]):
            for field, message in services.series_problems(**rule).items():
                self.add_error(field, message)
        return data


class OutreachDayForm(forms.ModelForm):
    use_required_attribute = False  # as OutreachSeriesForm

    start = forms.TimeField(
        label=_("Beginn"),
        help_text=_("Ortszeit, z. B. 9:00"),
        widget=forms.TimeInput(format="%H:%M", attrs={"size": 6}),
    )
    end = forms.TimeField(
        label=_("Ende"),
        help_text=_("Ortszeit, z. B. 12:00"),
        widget=forms.TimeInput(format="%H:%M", attrs={"size": 6}),
    )
    present_coaches = forms.ModelMultipleChoiceField(
        queryset=Coach.objects.active(),
        required=False,
        label=_("anwesende Jobcoaches"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leer lassen: Es kommen alle Mitglieder des Teams."),
    )

    class Meta:
        model = OutreachDay
        fields = ["site", "date", "slot_minutes", "seats_per_slot", "team"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        day = self.instance
        if day.pk:
            self.fields["start"].initial = timezone.localtime(day.starts_at).time()
            self.fields["end"].initial = timezone.localtime(day.ends_at).time()
            self.fields["present_coaches"].initial = list(
                day.day_coaches.values_list("coach_id", flat=True)
            )
            self.fields["present_coaches"].help_text = ""
            # The slot grid of an existing day stays; a new length means a new day.
            self.fields["slot_minutes"].disabled = True
        else:
            self.fields["start"].initial, self.fields["end"].initial = time(9), time(12)

    def coaches(self) -> list:
        chosen = list(self.cleaned_data.get("present_coaches") or [])
        team = self.cleaned_data.get("team")
        if not chosen and team is not None and not self.instance.pk:
            chosen = list(team.members.all())
        return chosen

    def clean(self):
        data = super().clean()
        on, start, end = data.get("date"), data.get("start"), data.get("end")
        if not (on and start and end):
            return data
        if end <= start:
            self.add_error("end", _("Das Ende muss nach dem Beginn liegen."))
            return data
        day = self.instance
        if day.pk:
            problems = services.day_change_problems(
                day=day,
                on=on,
                start=start,
                end=end,
                seats_per_slot=data.get("seats_per_slot") or day.seats_per_slot,
                coaches=self.coaches(),
            )
        else:
            clashes = services.coach_clashes(
                coaches=self.coaches(),
                starts_at=local_datetime(on, start),
                ends_at=local_datetime(on, end),
            )
            problems = [services.describe_clash(row) for row in clashes]
        if problems:
            raise forms.ValidationError(problems)
        day.starts_at, day.ends_at = local_datetime(on, start), local_datetime(on, end)
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Grund der Absage"),
        max_length=300,
        help_text=_("Steht so in der E-Mail an die gebuchten Personen. Kurz und klar."),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )
