"""Admin for programmes and cohorts: a programme's weekdays and times, a cohort's session
preview (public holidays skipped), then generating, publishing or cancelling it."""

from django import forms
from django.contrib import admin, messages
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from appointments import services
from appointments.models import Cohort, Programme, Weekday


class ProgrammeForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Wochentage"),
        choices=Weekday.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Bitte wählen Sie mindestens einen Wochentag.")},
    )

    class Meta:
        model = Programme
        fields = [
            "name",
            "site",
            "weekdays",
            "start_time",
            "end_time",
            "weeks",
            "capacity",
            "team",
            "lead",
            "absence_flag",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["weekdays"] = self.instance.weekday_list

    def clean_weekdays(self):
        return ",".join(str(day) for day in sorted(self.cleaned_data["weekdays"]))


def _preview_line(on, holidays: dict, existing: set) -> str:
    day = formats.date_format(on, "l, d.m.Y")
    if on in holidays:
        text = gettext("fällt aus, Feiertag: %(holiday)s") % {"holiday": holidays[on]}
        return format_html('{} <strong class="holiday">{}</strong>', day, text)
    return format_html("{} {}", day, "" if on in existing else gettext("(noch nicht angelegt)"))


def _preview_summary(plan) -> str:
    total = len(plan.dates) + len(plan.skipped)
    summary = ngettext("%(n)d Termin im Plan.", "%(n)d Termine im Plan.", total) % {"n": total}
    if not plan.skipped:
        return summary
    skipped = ngettext(
        "%(n)d fällt auf einen Feiertag und entfällt.",
        "%(n)d fallen auf einen Feiertag und entfallen.",
        len(plan.skipped),
    ) % {"n": len(plan.skipped)}
    held = ngettext(
        "%(n)d Termin findet statt.", "%(n)d Termine finden statt.", len(plan.dates)
    ) % {"n": len(plan.dates)}
    return f"{summary} {skipped} {held}"


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    form = ProgrammeForm
    list_display = ["name", "site", "team", "lead", "weeks", "capacity"]


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["programme", "starts_on", "status", "places_taken", "capacity"]
    list_filter = ["status", "programme"]
    fields = ["programme", "starts_on", "capacity", "status", "places_taken", "session_preview"]
    readonly_fields = ["status", "places_taken", "session_preview"]
    actions = ["generate", "publish", "cancel"]

    def get_readonly_fields(self, request, obj=None):
        # The programme and start fix the sessions; change them only on a new cohort.
        fixed = ["programme", "starts_on"] if obj and obj.pk else []
        return [*fixed, *self.readonly_fields]

    @admin.display(description=_("Termine (Vorschau)"))
    def session_preview(self, cohort):
        if not cohort.pk:
            return gettext("Nach dem Speichern sehen Sie hier die Termine.")
        plan = services.plan_sessions(cohort=cohort)
        existing = set(cohort.sessions.values_list("on", flat=True))
        holidays = dict(plan.skipped)
        # Every date of the plan in order, the holidays among them marked, so the count
        # matches the programme's rhythm (8 weeks, 3 days: 24) and nothing is hidden.
        planned = sorted([*plan.dates, *holidays])
        lines = format_html_join(
            "", "<li>{}</li>", ((_preview_line(on, holidays, existing),) for on in planned)
        )
        return format_html("<p>{}</p><ol>{}</ol>", _preview_summary(plan), lines)

    @admin.action(description=_("Termine anlegen"))
    def generate(self, request, queryset):
        made = 0
        for cohort in queryset.select_related("programme"):
            try:
                made += services.generate_sessions(cohort=cohort)
            except services.ProgrammeRefused as refusal:
                self.message_user(request, f"{cohort}: {refusal}", messages.ERROR)
        done = ngettext("%(n)d Termin angelegt.", "%(n)d Termine angelegt.", made)
        self.message_user(request, done % {"n": made})

    @admin.action(description=_("Veröffentlichen und Teilnehmende benachrichtigen"))
    def publish(self, request, queryset):
        for cohort in queryset:
            try:
                services.publish_cohort(cohort=cohort)
            except services.ProgrammeRefused as refusal:
                self.message_user(request, f"{cohort}: {refusal}", messages.ERROR)

    @admin.action(description=_("Absagen und Teilnehmende benachrichtigen"))
    def cancel(self, request, queryset):
        for cohort in queryset:
            services.cancel_cohort(cohort=cohort)
