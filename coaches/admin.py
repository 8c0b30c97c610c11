from django.contrib import admin

from coaches.models import Coach, Specialism, Team


@admin.register(Specialism)
class SpecialismAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Coach)
class CoachAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "active", "specialism_list"]
    list_filter = ["active", "specialisms"]
    search_fields = ["name", "user__username", "user__email"]
    filter_horizontal = ["specialisms"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("specialisms")

    @admin.display(description=Specialism._meta.verbose_name_plural)
    def specialism_list(self, coach):
        return ", ".join(s.name for s in coach.specialisms.all())


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "lead", "member_list"]
    search_fields = ["name", "members__name"]
    list_filter = ["lead"]
    filter_horizontal = ["members"]
    list_select_related = ["lead"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("members")

    @admin.display(description=Team._meta.get_field("members").verbose_name)
    def member_list(self, team):
        return ", ".join(c.name for c in team.members.all())


# Employers and openings, a capability of their own.
from coaches import admin_employers  # noqa: E402, F401
