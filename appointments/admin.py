import csv
from datetime import date, time, timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets as admin_widgets
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import Count, Q, Sum, TimeField
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from appointments import charts, outbox, services, statistics
from appointments.models import (
    AuditAction,
    AuditEntry,
    Booking,
    BookingOutcome,
    BookingStatus,
    DayStatus,
    OutcomeCode,
    OutgoingMail,
    OutreachDay,
    OutreachSeries,
    Recurrence,
    Slot,
    WaitlistEntry,
    local_datetime,
)
from coaches.models import Coach
from locations.models import Municipality, Site

# --- Series: a rule, its preview, then generation ---------------------------------------


class OutreachSeriesForm(forms.ModelForm):
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
        self.fields["starts_on"].help_text = _("Feiertage in Niedersachsen fallen aus.")

    def clean(self):
        data = super().clean()
        recurrence, week = data.get("recurrence"), data.get("week_of_month")
        if recurrence == Recurrence.MONTHLY and week is None:
            self.add_error(
                "week_of_month", _("Bitte wählen Sie die Woche im Monat: 1. bis 4. oder letzter.")
            )
        if recurrence == Recurrence.WEEKLY:
            data["week_of_month"] = None
        start, end, minutes = data.get("start_time"), data.get("end_time"), data.get("slot_minutes")
        if start and end and end <= start:
            self.add_error("end_time", _("Das Ende muss nach dem Beginn liegen."))
        elif start and end and minutes and _minutes_between(start, end) < minutes:
            self.add_error("slot_minutes", _("Ein Termin ist länger als die ganze Zeit am Tag."))
        first, last = data.get("starts_on"), data.get("ends_on")
        if first and last and last < first:
            self.add_error("ends_on", _("Das Ende des Zeitraums muss nach dem Anfang liegen."))
        elif first and last and (last - first).days > services.MAX_SERIES_DAYS:
            self.add_error("ends_on", _("Bitte planen Sie höchstens zwei Jahre im Voraus."))
        return data


def _minutes_between(start: time, end: time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


@admin.register(OutreachSeries)
class OutreachSeriesAdmin(admin.ModelAdmin):
    form = OutreachSeriesForm
    list_display = [
        "site",
        "rule",
        "start_time",
        "end_time",
        "starts_on",
        "ends_on",
        "team",
        "preview_link",
    ]
    list_filter = ["recurrence", "weekday", "team", "site__municipality"]
    search_fields = ["site__name", "site__municipality__name"]
    list_select_related = ["site__municipality", "team"]
    autocomplete_fields = ["site"]
    radio_fields = {"recurrence": admin.VERTICAL}
    formfield_overrides = {
        TimeField: {"widget": admin_widgets.AdminTimeWidget(format="%H:%M")},
    }
    fieldsets = [
        (None, {"fields": ["site", "team"]}),
        (
            _("Regel"),
            {"fields": ["recurrence", "week_of_month", "weekday", "interval_weeks"]},
        ),
        (
            _("Zeiten am Tag"),
            {"fields": ["start_time", "end_time", "slot_minutes", "seats_per_slot"]},
        ),
        (_("Zeitraum"), {"fields": ["starts_on", "ends_on"]}),
    ]

    @admin.display(description=_("Regel"))
    def rule(self, series):
        if series.recurrence == Recurrence.MONTHLY:
            return gettext("%(week)s %(weekday)s im Monat") % {
                "week": series.get_week_of_month_display(),
                "weekday": series.get_weekday_display(),
            }
        return gettext("alle %(n)s Wochen am %(weekday)s") % {
            "n": series.interval_weeks,
            "weekday": series.get_weekday_display(),
        }

    @admin.display(description=_("Tage"))
    def preview_link(self, series):
        url = reverse("admin:appointments_outreachseries_preview", args=[series.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Vorschau und anlegen"))

    def get_changeform_initial_data(self, request):
        # A sensible default rule, so a new series is mostly a matter of checking it.
        today = timezone.localdate()
        return {
            "recurrence": Recurrence.MONTHLY,
            "week_of_month": 2,
            "weekday": 1,
            "start_time": time(9),
            "end_time": time(12),
            "slot_minutes": 30,
            "seats_per_slot": 1,
            "starts_on": today + timedelta(days=1),
            "ends_on": date(today.year, 12, 31)
            if today.month < 10
            else date(today.year + 1, 12, 31),
            **super().get_changeform_initial_data(request),
        }

    def get_urls(self):
        return [
            path(
                "<int:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="appointments_outreachseries_preview",
            ),
            *super().get_urls(),
        ]

    def _after_save(self, request, obj, response):
        if "_continue" in request.POST or "_addanother" in request.POST:
            return response
        return HttpResponseRedirect(
            reverse("admin:appointments_outreachseries_preview", args=[obj.pk])
        )

    def response_add(self, request, obj, post_url_continue=None):
        return self._after_save(request, obj, super().response_add(request, obj, post_url_continue))

    def response_change(self, request, obj):
        return self._after_save(request, obj, super().response_change(request, obj))

    def preview_view(self, request, object_id):
        series = get_object_or_404(
            OutreachSeries.objects.select_related("site__municipality", "team"), pk=object_id
        )
        if not self.has_change_permission(request, series):
            raise PermissionDenied
        if request.method == "POST":
            return self._generate(request, series)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "series": series,
            "rows": _preview_rows(series),
            "skipped": services.dates_of_series(series=series, language=get_language()).skipped,
            "title": gettext("Vorschau: %(series)s") % {"series": series},
            "rule": self.rule(series),
        }
        return TemplateResponse(request, "admin/appointments/outreachseries/preview.html", context)

    def _generate(self, request, series):
        result = services.generate_days(series=series)
        self.message_user(
            request,
            ngettext(
                "%(n)s Tag als Entwurf angelegt. Prüfen und veröffentlichen Sie ihn.",
                "%(n)s Tage als Entwurf angelegt. Prüfen und veröffentlichen Sie sie.",
                len(result.created),
            )
            % {"n": len(result.created)},
            messages.SUCCESS,
        )
        if result.existing:
            self.message_user(
                request,
                ngettext(
                    "%(n)s Tag gab es schon. Er bleibt, wie er ist.",
                    "%(n)s Tage gab es schon. Sie bleiben, wie sie sind.",
                    len(result.existing),
                )
                % {"n": len(result.existing)},
                messages.INFO,
            )
        for clash in result.clashes:
            self.message_user(
                request,
                gettext("Ohne diesen Jobcoach angelegt: %(clash)s") % {"clash": clash},
                messages.WARNING,
            )
        url = reverse("admin:appointments_outreachday_changelist")
        return HttpResponseRedirect(f"{url}?series__id__exact={series.pk}")


def _preview_rows(series) -> list[dict]:
    """One row per date: its times and whether it is new, exists, or a coach clashes.
    Three queries whatever the number of dates."""
    planned = services.dates_of_series(series=series).dates
    existing = set(
        OutreachDay.objects.filter(site=series.site, date__in=planned).values_list(
            "date", flat=True
        )
    )
    busy = []
    if planned:
        busy = services.coach_clashes(
            coaches=series.team.members.all(),
            starts_at=local_datetime(planned[0], series.start_time),
            ends_at=local_datetime(planned[-1], series.end_time),
        )
    rows = []
    for on in planned:
        starts_at = local_datetime(on, series.start_time)
        ends_at = local_datetime(on, series.end_time)
        clashes = [
            services.describe_clash(row)
            for row in busy
            if row.starts_at < ends_at and row.ends_at > starts_at
        ]
        rows.append({"date": on, "exists": on in existing, "clashes": clashes})
    return rows


# --- Days: edit, publish, cancel ------------------------------------------------------


class OutreachDayForm(forms.ModelForm):
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


class SlotInline(admin.TabularInline):
    model = Slot
    extra = 0
    fields = ["starts_at", "ends_at", "capacity", "seats_taken"]
    readonly_fields = ["starts_at", "ends_at", "capacity", "seats_taken"]
    can_delete = False
    verbose_name_plural = _("Zeitfenster (ändern Sie Zeiten und Plätze oben am Tag)")

    def has_add_permission(self, request, obj=None):
        return False


class LifecycleFilter(admin.SimpleListFilter):
    title = _("Stand")
    parameter_name = "stand"

    def lookups(self, request, model_admin):
        return [
            ("draft", _("Entwurf")),
            ("upcoming", _("veröffentlicht, kommt noch")),
            ("held", _("stattgefunden")),
            ("cancelled", _("abgesagt")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        return {
            "draft": lambda: queryset.filter(status=DayStatus.DRAFT),
            "upcoming": lambda: queryset.published().filter(ends_at__gt=now),
            "held": lambda: queryset.published().filter(ends_at__lte=now),
            "cancelled": lambda: queryset.filter(status=DayStatus.CANCELLED),
        }.get(self.value(), lambda: queryset)()


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Grund der Absage"),
        max_length=300,
        help_text=_("Steht so in der E-Mail an die gebuchten Personen. Kurz und klar."),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


@admin.register(OutreachDay)
class OutreachDayAdmin(admin.ModelAdmin):
    form = OutreachDayForm
    list_display = ["date", "site", "lifecycle", "local_times", "team", "seats"]
    list_filter = [LifecycleFilter, "status", "site__municipality", "team"]
    search_fields = ["site__name", "site__municipality__name"]
    date_hierarchy = "date"
    ordering = ["date"]
    list_select_related = ["site__municipality", "team"]
    autocomplete_fields = ["site"]
    inlines = [SlotInline]
    readonly_fields = ["lifecycle", "series", "published_at", "cancelled_at", "cancel_reason"]
    actions = ["publish_selected", "cancel_selected"]
    fieldsets = [
        (None, {"fields": ["site", "date", "start", "end", "lifecycle"]}),
        (_("Termine"), {"fields": ["slot_minutes", "seats_per_slot"]}),
        (_("Team"), {"fields": ["team", "present_coaches"]}),
        (
            _("Verlauf"),
            {"fields": ["series", "published_at", "cancelled_at", "cancel_reason"]},
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(seats_total=Sum("slots__capacity"), seats_booked=Sum("slots__seats_taken"))
        )

    @admin.display(description=_("Stand"))
    def lifecycle(self, day):
        if not day.pk:
            return gettext("neu")
        if day.is_held:
            return gettext("stattgefunden")
        if day.is_published:
            return gettext("veröffentlicht")
        return day.get_status_display()

    @admin.display(description=_("Uhrzeit"))
    def local_times(self, day):
        start, end = timezone.localtime(day.starts_at), timezone.localtime(day.ends_at)
        return f"{start:%H:%M}–{end:%H:%M}"

    @admin.display(description=_("gebucht / Plätze"))
    def seats(self, day):
        return f"{day.seats_booked or 0} / {day.seats_total or 0}"

    def get_readonly_fields(self, request, obj=None):
        # A day keeps its venue: its bookings and mails name it. Plan a new day instead.
        return ["site", *self.readonly_fields] if obj else ["lifecycle", "series"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.change_day(
                day=obj,
                on=data["date"],
                start=data["start"],
                end=data["end"],
                seats_per_slot=data["seats_per_slot"],
                coaches=form.coaches(),
                team=data.get("team"),
            )
            return
        day = services.create_day(
            site=data["site"],
            on=data["date"],
            start=data["start"],
            end=data["end"],
            slot_minutes=data["slot_minutes"],
            seats_per_slot=data["seats_per_slot"],
            team=data.get("team"),
            coaches=form.coaches(),
        )
        obj.pk, obj._state.adding = day.pk, False

    def save_related(self, request, form, formsets, change):
        # Coaches and slots were written by the domain function in save_model; the slot
        # inline is read-only, so its formset has nothing to save.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A booking or another admin may change the day between the form check and the
        # save; the domain function (or the database) then refuses, and nothing is saved.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.PlanningError as error:
            for problem in error.messages:
                self.message_user(request, problem, messages.ERROR)
        except IntegrityError:
            self.message_user(
                request,
                gettext(
                    "Das ging nicht: Gleichzeitig hat sich etwas geändert. "
                    "Bitte prüfen Sie den Tag und versuchen Sie es noch einmal."
                ),
                messages.ERROR,
            )
        return HttpResponseRedirect(request.get_full_path())

    @admin.action(description=_("Ausgewählte Tage veröffentlichen"))
    def publish_selected(self, request, queryset):
        published = services.publish_days(days=queryset.filter(status=DayStatus.DRAFT))
        skipped = queryset.count() - published
        self.message_user(
            request,
            ngettext(
                "%(n)s Tag veröffentlicht. Er kann jetzt gebucht werden.",
                "%(n)s Tage veröffentlicht. Sie können jetzt gebucht werden.",
                published,
            )
            % {"n": published},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(n)s Tag war kein Entwurf mehr oder ist vorbei. Er bleibt, wie er ist.",
                    "%(n)s Tage waren keine Entwürfe mehr oder sind vorbei. "
                    "Sie bleiben, wie sie sind.",
                    skipped,
                )
                % {"n": skipped},
                messages.INFO,
            )

    @admin.action(description=_("Ausgewählte Tage absagen …"))
    def cancel_selected(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return HttpResponseRedirect(f"{reverse('admin:appointments_outreachday_cancel')}?ids={ids}")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("cancel/", view(self.cancel_view), name="appointments_outreachday_cancel"),
            path("statistics/", view(self.statistics_view), name="appointments_statistics"),
            path(
                "statistics.csv",
                view(self.statistics_csv_view),
                name="appointments_statistics_csv",
            ),
            *super().get_urls(),
        ]

    def cancel_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        raw = request.POST.get("ids") or request.GET.get("ids", "")
        ids = [int(pk) for pk in raw.split(",") if pk.strip().isdigit()][:500]
        days = list(
            OutreachDay.objects.filter(pk__in=ids)
            .exclude(status=DayStatus.CANCELLED)
            .select_related("site__municipality")
            .annotate(booked=Count("bookings", filter=Q_CONFIRMED))
        )
        changelist = reverse("admin:appointments_outreachday_changelist")
        if not days:
            self.message_user(request, gettext("Keine Tage zum Absagen gewählt."), messages.INFO)
            return HttpResponseRedirect(changelist)
        form = CancelForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            return self._cancel(request, days, form.cleaned_data["reason"], changelist)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "days": days,
            "ids": ",".join(str(d.pk) for d in days),
            "form": form,
            "title": gettext("Beratungstage absagen"),
        }
        return TemplateResponse(request, "admin/appointments/outreachday/cancel.html", context)

    def _cancel(self, request, days, reason, changelist):
        notified = cancelled = 0
        for day in days:
            try:
                notified += services.cancel_day(day=day, reason=reason)
                cancelled += 1
            except services.PlanningError as error:
                self.message_user(request, f"{day}: {error}", messages.ERROR)
        self.message_user(
            request,
            gettext(
                "%(days)s Tage abgesagt. %(bookings)s Buchungen abgesagt; "
                "die Personen bekommen eine E-Mail."
            )
            % {"days": cancelled, "bookings": notified},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(changelist)

    # --- Statistics ---

    def _statistics_access(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied

    def statistics_view(self, request):
        self._statistics_access(request)
        form = StatisticsForm(request.GET or None)
        start, end, site = form.period()
        district = form.chosen_district()
        report = statistics.collect(start=start, end=end, site=site, district=district)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Statistik"),
            "form": form,
            "report": report,
            "outcome_codes": OutcomeCode.choices,
            "charts": _charts(report),
            "csv_url": reverse("admin:appointments_statistics_csv")
            + ("?" + request.GET.urlencode() if request.GET else ""),
        }
        return TemplateResponse(request, "admin/appointments/statistics.html", context)

    def statistics_csv_view(self, request):
        self._statistics_access(request)
        form = StatisticsForm(request.GET or None)
        start, end, site = form.period()
        district = form.chosen_district()
        report = statistics.collect(start=start, end=end, site=site, district=district)
        last = _add_months(end, -1)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="joblokal-statistik-{start:%Y-%m}-{last:%Y-%m}.csv"'
        )
        response.write("\ufeff")  # Lets spreadsheet programs detect UTF-8.
        _write_csv(response, report)
        return response


Q_CONFIRMED = Q(bookings__status=BookingStatus.CONFIRMED)


# --- Statistics page ------------------------------------------------------------------


def _month_start(value: date) -> date:
    return value.replace(day=1)


def _add_months(value: date, months: int) -> date:
    index = value.year * 12 + value.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month"})

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        try:
            year, month = (int(part) for part in value.split("-"))
            return date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(
                _("Bitte geben Sie einen Monat an, z. B. 2026-03."), code="invalid"
            ) from None


class StatisticsForm(forms.Form):
    start = MonthField(label=_("von Monat"), required=False)
    end = MonthField(label=_("bis Monat"), required=False)
    district = forms.ChoiceField(label=_("Landkreis"), required=False)
    site = forms.ModelChoiceField(
        queryset=Site.objects.select_related("municipality"),
        required=False,
        label=_("Ort"),
        empty_label=_("alle Orte"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        districts = list(
            Municipality.objects.order_by("district").values_list("district", flat=True).distinct()
        )
        # Across the whole country a table per municipality would have thousands of rows:
        # with several Landkreise, the page shows one at a time (the first by default).
        self.default_district = districts[0] if len(districts) > 1 else ""
        self.fields["district"].choices = (
            [(d, d) for d in districts]
            if len(districts) > 1
            else [("", _("alle"))] + [(d, d) for d in districts]
        )
        self.fields["district"].initial = self.default_district
        district = self.chosen_district()
        if district:
            self.fields["site"].queryset = self.fields["site"].queryset.filter(
                municipality__district=district
            )
        start, end, _site = self.period()
        self.fields["start"].initial = f"{start:%Y-%m}"
        self.fields["end"].initial = f"{_add_months(end, -1):%Y-%m}"

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("„bis“ muss nach „von“ liegen."))
        elif start and end and _add_months(start, 36) <= end:
            self.add_error("end", _("Bitte wählen Sie höchstens drei Jahre."))
        return data

    def chosen_district(self) -> str:
        """The Landkreis whose figures are shown ("" for all, where there is only one)."""
        if self.is_bound and self.is_valid() and self.cleaned_data.get("district"):
            return self.cleaned_data["district"]
        return self.default_district

    def period(self) -> tuple[date, date, Site | None]:
        """(first day, day after the last month, site); the last 12 months by default."""
        this_month = _month_start(timezone.localdate())
        start, end = _add_months(this_month, -11), this_month
        site = None
        if self.is_bound and self.is_valid():
            start = self.cleaned_data["start"] or start
            end = self.cleaned_data["end"] or max(end, start)
            site = self.cleaned_data["site"]
        return start, _add_months(end, 1), site


def _percent(value) -> str:
    if value is None:
        return "–"
    return formats.number_format(value * 100, 1) + " %"


def _month_label(value: date) -> str:
    return formats.date_format(value, "YEAR_MONTH_FORMAT")


def _charts(report) -> list:
    outcome_names = dict(OutcomeCode.choices)
    return [
        charts.bar_chart(
            slug="bookings",
            title=gettext("Gebuchte Termine je Monat"),
            description=gettext(
                "Online gebuchte Termine an Tagen, die stattgefunden haben, je Monat."
            ),
            items=[(_month_label(r.month), r.bookings, r.bookings) for r in report.months],
        ),
        charts.bar_chart(
            slug="utilisation",
            title=gettext("Auslastung je Gemeinde"),
            description=gettext("Anteil der belegten Plätze an allen angebotenen Plätzen."),
            items=[
                (r.municipality, r.utilisation or 0, _percent(r.utilisation))
                for r in report.municipalities
            ],
            maximum=1,
        ),
        charts.bar_chart(
            slug="outcomes",
            title=gettext("Ergebnisse der Beratung"),
            description=gettext("Wie oft jedes Ergebnis erfasst wurde."),
            items=[
                (
                    outcome_names[code],
                    report.total.outcomes.get(code, 0),
                    report.total.outcomes.get(code, 0),
                )
                for code, _label in OutcomeCode.choices
            ],
        ),
    ]


def _write_csv(response, report) -> None:
    writer = csv.writer(response, delimiter=";")
    codes = OutcomeCode.choices
    writer.writerow(
        [
            gettext("Gemeinde"),
            gettext("Monat"),
            gettext("Tage"),
            gettext("Zeitfenster"),
            gettext("Plätze"),
            gettext("Buchungen"),
            gettext("belegte Plätze"),
            gettext("Auslastung in %"),
            gettext("erschienen"),
            gettext("nicht erschienen"),
            gettext("Anteil nicht erschienen in %"),
            gettext("Absagen"),
            gettext("ohne Termin"),
            *[str(label) for _code, label in codes],
            gettext("Anteil mit Arbeitsaufnahme in %"),
        ]
    )
    for row in [*report.rows, report.total]:
        writer.writerow(
            [
                row.municipality or gettext("Summe"),
                f"{row.month:%Y-%m}" if row.month else "",
                row.days_held,
                row.slots_offered,
                row.seats_offered,
                row.bookings,
                row.seats_used,
                _csv_percent(row.utilisation),
                row.attended,
                row.no_shows,
                _csv_percent(row.no_show_rate),
                row.cancellations,
                row.walk_ins,
                *[row.outcomes.get(code, 0) for code, _label in codes],
                _csv_percent(row.job_start_share),
            ]
        )


def _csv_percent(value) -> str:
    return "" if value is None else formats.number_format(value * 100, 1)


class OutcomeInline(admin.TabularInline):
    model = BookingOutcome
    extra = 0


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only the domain functions write: bookings and waiting-list offers keep
    the seat counter right, outgoing mail is queued and sent by the workers, and the audit
    log is evidence. The admin reads them (and can send failed mail again)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    """Bookings are read here, never written: every change goes through the domain
    functions (booking form, manage link, coach pages), which keep the seat counter and
    the audit log right."""

    list_display = ["reference", "slot", "status", "channel", "created_at", "erased_on"]
    list_filter = ["status", "channel", "day__site__municipality", "language"]
    search_fields = ["reference", "name", "email", "phone"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    list_select_related = ["slot__day__site__municipality", "day"]
    inlines = [OutcomeInline]

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        booking = self.get_object(request, object_id)
        if booking is not None:
            services.log_access(
                user=request.user, action=AuditAction.VIEW_BOOKING, bookings=[booking]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("Daten gelöscht am"))
    def erased_on(self, booking):
        """When contact data is (or was) erased on schedule."""
        if booking.anonymised_at:
            return formats.date_format(timezone.localtime(booking.anonymised_at))
        return formats.date_format(timezone.localtime(services.erasure_due(day=booking.day)))


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "day", "municipality", "status", "offer_expires_at"]
    list_filter = ["status", "municipality"]
    search_fields = ["name", "email"]
    list_select_related = ["day__site__municipality", "municipality"]


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "kind"]
    search_fields = ["key", "booking__reference"]
    date_hierarchy = "created_at"
    raw_id_fields = ["booking", "waitlist_entry", "user"]
    actions = ["retry_failed_mail"]

    @admin.action(description=_("Fehlgeschlagene E-Mails erneut senden"))
    def retry_failed_mail(self, request, queryset):
        count = outbox.retry_failed_mail(mail_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request, _("%(count)d E-Mails wieder in die Warteschlange gestellt.") % {"count": count}
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "action", "day", "booking", "detail"]
    list_filter = ["action", ("at", admin.DateFieldListFilter)]
    search_fields = ["user__username", "booking__reference", "detail"]
    date_hierarchy = "at"
    list_select_related = ["user", "day__site__municipality", "booking"]

    # The audit log is evidence: nobody deletes it through the admin either.
    def has_delete_permission(self, request, obj=None):
        return False


admin.site.empty_value_display = _("–")
