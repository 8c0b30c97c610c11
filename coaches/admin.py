from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import ReadOnlyPasswordHashWidget, UserChangeForm

from coaches.models import Coach, FrontDesk, Specialism, Team


class PasswordSummaryWidget(ReadOnlyPasswordHashWidget):
    """Django marks the password summary (a div) disabled, which HTML does not allow on a
    div; the field stays disabled, so a submitted value is still ignored."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].pop("disabled", None)
        return context


class StaffUserChangeForm(UserChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "password" in self.fields:
            self.fields["password"].widget.__class__ = PasswordSummaryWidget


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class StaffUserAdmin(UserAdmin):
    form = StaffUserChangeForm


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

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        # The admin's forms are novalidate; a required Select2 box without an empty
        # option is invalid HTML, so the server alone checks what is required.
        form.use_required_attribute = False
        return form

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


@admin.register(FrontDesk)
class FrontDeskAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "active", "municipality_list"]
    list_filter = ["kind", "active", "municipalities"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    filter_horizontal = ["municipalities"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        # As for coaches: the server alone checks what is required (Select2 box).
        form.use_required_attribute = False
        return form

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("municipalities")

    @admin.display(description=FrontDesk._meta.get_field("municipalities").verbose_name)
    def municipality_list(self, desk):
        return ", ".join(m.name for m in desk.municipalities.all())
