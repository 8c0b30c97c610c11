from datetime import date, time, timedelta

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

from appointments import outbox, services, statistics
from appointments.admin_calls import offer_call_lists
from appointments.admin_forms import CancelForm, OutreachDayForm, OutreachSeriesForm
from appointments.admin_publishing import PublishDayMixin, PublishNextForm, PublishSeriesMixin
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
)

# --- Series: a rule, its preview, then generation ---------------------------------------


@admin.register(OutreachSeries)
class OutreachSeriesAdmin(PublishSeriesMixin, admin.ModelAdmin):
    form = OutreachSeriesForm
    # What fits at 1280 px; times and period in one column each, the rest on the page.
    list_display = ["site", "rule", "times", "period", "team", "preview_link"]
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

    @admin.display(description=_("Uhrzeit"))
    def times(self, series):
        return f"{series.start_time:%H:%M}–{series.end_time:%H:%M}"

    @admin.display(description=_("Zeitraum"), ordering="starts_on")
    def period(self, series):
        return f"{series.starts_on:%d.%m.%Y}–{series.ends_on:%d.%m.%Y}"

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
            "rows": services.preview_series(series=series),
            "skipped": services.dates_of_series(series=series, language=get_language()).skipped,
            "title": gettext("Vorschau: %(series)s") % {"series": series},
            "rule": self.rule(series),
            "drafts": series.days.filter(
                status=DayStatus.DRAFT, ends_at__gt=timezone.now()
            ).count(),
            "publish_form": PublishNextForm(),
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


# --- Days: edit, publish, cancel ------------------------------------------------------


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


@admin.register(OutreachDay)
class OutreachDayAdmin(PublishDayMixin, admin.ModelAdmin):
    form = OutreachDayForm
    # The team is a filter and on the day's page; the list keeps what fits at 1280 px.
    list_display = ["date", "site", "lifecycle", "local_times", "seats"]
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

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            # A new day has no history: show only what the add form saves.
            return [
                (None, {"fields": ["site", "date", "start", "end"]}),
                *self.fieldsets[1:3],
            ]
        return super().get_fieldsets(request, obj)

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
        days_text = ngettext("%(n)s Tag abgesagt.", "%(n)s Tage abgesagt.", cancelled) % {
            "n": cancelled
        }
        bookings_text = ngettext(
            "%(n)s Buchung abgesagt; die Person bekommt eine E-Mail.",
            "%(n)s Buchungen abgesagt; die Personen bekommen eine E-Mail.",
            notified,
        ) % {"n": notified}
        self.message_user(request, f"{days_text} {bookings_text}", messages.SUCCESS)
        offer_call_lists(self, request, days)
        return HttpResponseRedirect(changelist)

    # --- Statistics ---

    def _statistics_access(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied

    def statistics_view(self, request):
        self._statistics_access(request)
        form = statistics.StatisticsForm(request.GET or None)
        language = get_language()
        report, by_district, digest = statistics.page_report(form, language=language)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Statistik"),
            "form": form,
            "report": report,
            "by_district": by_district,
            "outcome_codes": OutcomeCode.choices,
            # Drawn only when the cached tables and charts are missing (a callable: the
            # template calls it where it needs the charts).
            "charts": lambda: statistics.charts_for(report, by_district=by_district),
            "report_digest": digest,
            "csv_url": reverse("admin:appointments_statistics_csv")
            + ("?" + request.GET.urlencode() if request.GET else ""),
        }
        return TemplateResponse(request, "admin/appointments/statistics.html", context)

    def statistics_csv_view(self, request):
        self._statistics_access(request)
        form = statistics.StatisticsForm(request.GET or None)
        start, end, _site = form.period()
        report, by_district = statistics.report_for(form)
        last = statistics.add_months(end, -1)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="joblokal-statistik-{start:%Y-%m}-{last:%Y-%m}.csv"'
        )
        response.write("\ufeff")  # Lets spreadsheet programs detect UTF-8.
        statistics.write_csv(response, report, by_district=by_district)
        return response


Q_CONFIRMED = Q(bookings__status=BookingStatus.CONFIRMED)


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

    # The channel is a filter and on the booking's page; the list fits at 1280 px.
    list_display = ["reference", "slot", "status", "created_at", "erased_on"]
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
        if booking is not None and self.has_view_permission(request, booking):
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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Name, email and phone are on this page: the look is written to the audit log.
        entry = self.get_object(request, object_id)
        if entry is not None and self.has_view_permission(request, entry):
            AuditEntry.objects.create(
                user=request.user,
                action=AuditAction.VIEW_WAITLIST,
                day_id=entry.day_id,
                detail=f"waitlist entry {entry.pk}",
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "channel", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["key", "booking__reference"]
    date_hierarchy = "created_at"
    raw_id_fields = ["booking", "waitlist_entry", "user"]
    actions = ["retry_failed_mail"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The row names its booking and may quote the recipient in its last error.
        mail = self.get_object(request, object_id)
        if mail is not None and mail.booking_id and self.has_view_permission(request, mail):
            services.log_access(
                user=request.user, action=AuditAction.VIEW_BOOKING, bookings=[mail.booking]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("Fehlgeschlagene Nachrichten erneut senden"))
    def retry_failed_mail(self, request, queryset):
        count = outbox.retry_failed_mail(mail_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request, _("%(count)d E-Mails wieder in die Warteschlange gestellt.") % {"count": count}
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    # One column for who acted, a staff user or (without one) the named actor, so the
    # list fits a 1,280 px screen.
    list_display = ["at", "who", "action", "day", "booking", "detail"]
    list_filter = ["action", ("at", admin.DateFieldListFilter)]
    search_fields = ["user__username", "booking__reference", "detail"]
    date_hierarchy = "at"
    list_select_related = ["user", "day__site__municipality", "booking"]

    @admin.display(description=_("Wer"), ordering="user__username")
    def who(self, entry):
        return entry.user or entry.actor

    # The audit log is evidence: nobody deletes it through the admin either.
    def has_delete_permission(self, request, obj=None):
        return False


admin.site.empty_value_display = _("–")


# Programmes live in a module of their own; imported here so the admin registers them.
from appointments import admin_programmes  # noqa: E402, F401
