"""Administrators keep employers and their openings in the Django admin. Referrals and
persons are not here: they change only through the casework pages, which audit them."""

from django.contrib import admin

from coaches.models_employers import Employer, Opening


class OpeningInline(admin.StackedInline):
    # Stacked: each field has its own label (a tabular row has only column headers).
    model = Opening
    extra = 1
    fields = [
        "title",
        "hours_per_week",
        "earliest_start",
        "latest_start",
        "needs_qualification",
        "starts_on",
        "status",
    ]


@admin.register(Employer)
class EmployerAdmin(admin.ModelAdmin):
    list_display = ["name", "sector", "municipality", "team"]
    list_filter = ["municipality__district", "team"]
    search_fields = ["name", "sector"]
    list_select_related = ["municipality", "team"]
    inlines = [OpeningInline]
