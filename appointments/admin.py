from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from appointments.models import (
    AuditEntry,
    Booking,
    BookingOutcome,
    DayCoach,
    OutgoingMail,
    OutreachDay,
    OutreachSeries,
    Slot,
    WaitlistEntry,
)


@admin.register(OutreachSeries)
class OutreachSeriesAdmin(admin.ModelAdmin):
    list_display = [
        "site",
        "recurrence",
        "week_of_month",
        "weekday",
        "start_time",
        "end_time",
        "starts_on",
        "ends_on",
        "team",
    ]
    list_filter = ["recurrence", "weekday", "team", "site__municipality"]
    search_fields = ["site__name", "site__municipality__name"]
    list_select_related = ["site__municipality", "team"]
    autocomplete_fields = ["site"]


class SlotInline(admin.TabularInline):
    model = Slot
    extra = 0
    fields = ["starts_at", "ends_at", "capacity", "seats_taken"]
    readonly_fields = ["seats_taken"]


class DayCoachInline(admin.TabularInline):
    model = DayCoach
    extra = 0
    fields = ["coach"]
    autocomplete_fields = ["coach"]


@admin.register(OutreachDay)
class OutreachDayAdmin(admin.ModelAdmin):
    list_display = ["date", "site", "status", "team", "seats_per_slot", "slot_minutes"]
    list_filter = ["status", "site__municipality", "team", ("date", admin.DateFieldListFilter)]
    search_fields = ["site__name", "site__municipality__name"]
    date_hierarchy = "date"
    ordering = ["-date"]
    list_select_related = ["site__municipality", "team"]
    autocomplete_fields = ["site"]
    inlines = [DayCoachInline, SlotInline]
    readonly_fields = ["published_at", "cancelled_at"]


class OutcomeInline(admin.TabularInline):
    model = BookingOutcome
    extra = 0


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["reference", "slot", "status", "channel", "created_at"]
    list_filter = ["status", "channel", "day__site__municipality", "language"]
    search_fields = ["reference", "name", "email", "phone"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    list_select_related = ["slot__day__site__municipality"]
    raw_id_fields = ["slot", "day"]
    filter_horizontal = ["topics"]
    inlines = [OutcomeInline]
    readonly_fields = [
        "reference",
        "created_at",
        "updated_at",
        "rescheduled_at",
        "cancelled_at",
        "reminded_at",
        "anonymised_at",
    ]


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "day", "municipality", "status", "offer_expires_at"]
    list_filter = ["status", "municipality"]
    search_fields = ["name", "email"]
    list_select_related = ["day__site__municipality", "municipality"]
    raw_id_fields = ["day", "offered_slot"]


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "kind"]
    search_fields = ["key", "booking__reference"]
    date_hierarchy = "created_at"
    raw_id_fields = ["booking", "waitlist_entry", "user"]
    actions = ["retry_failed_mail"]

    @admin.action(description=_("Fehlgeschlagene E-Mails erneut senden"))
    def retry_failed_mail(self, request, queryset):
        from appointments.emails import retry_failed_mail

        count = retry_failed_mail(mail_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request, _("%(count)d E-Mails wieder in die Warteschlange gestellt.") % {"count": count}
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "day", "booking", "detail"]
    list_filter = ["action", ("at", admin.DateFieldListFilter)]
    search_fields = ["user__username", "booking__reference", "detail"]
    date_hierarchy = "at"
    list_select_related = ["user", "day__site__municipality", "booking"]

    # The audit log is evidence: nobody edits or deletes it through the admin.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.empty_value_display = _("–")
