from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from locations.models import District, Municipality, Site


def plan_url(site: Site) -> str:
    """The add form of a series, prefilled with this site."""
    return f"{reverse('admin:appointments_outreachseries_add')}?site={site.pk}"


class SiteInline(admin.StackedInline):
    model = Site
    extra = 0
    # A municipality is created together with its venue, in the same form.
    min_num = 1
    fieldsets = [
        (None, {"fields": ["name", "address", "room", "contact_email"]}),
        (
            _("Barrierefreiheit und Anfahrt"),
            {"fields": ["step_free", "accessibility_notes", "directions", "translations"]},
        ),
        (
            _("Bus und Karte"),
            {"fields": ["bus_stop", "bus_lines", "latitude", "longitude"]},
        ),
        (None, {"fields": ["plan_days"]}),
    ]
    readonly_fields = ["plan_days"]

    def get_formset(self, request, obj=None, **kwargs):
        return super().get_formset(request, obj, validate_min=True, **kwargs)

    @admin.display(description=_("Beratungstage"))
    def plan_days(self, site):
        if not site.pk:
            return gettext("Nach dem Sichern geht es direkt weiter zur Planung der Tage.")
        return format_html(
            '<a class="button" href="{}">{}</a>', plan_url(site), gettext("Terminreihe anlegen")
        )


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "state"]
    list_filter = ["state"]
    search_fields = ["name"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "active", "contact_name", "poster"]
    list_filter = ["active", "district"]
    list_select_related = ["district"]
    search_fields = ["name", "district__name", "contact_name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SiteInline]
    readonly_fields = ["poster"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "district", "active", "poster"]}),
        (
            _("Ansprechperson im Rathaus"),
            {"fields": ["contact_name", "contact_email", "contact_phone"]},
        ),
        # What clients type to find their place: postcodes and the villages that belong
        # to it (a Samtgemeinde has several), and where it is for "nearby".
        (
            _("Suche und Karte"),
            {"fields": ["postcodes", "member_villages", "latitude", "longitude"]},
        ),
    ]

    @admin.display(description=_("Aushang"))
    def poster(self, municipality):
        if not municipality.pk:
            return "–"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("print:poster", args=[municipality.pk]),
            gettext("Aushang drucken"),
        )

    def get_changeform_initial_data(self, request):
        # Most municipalities are in the job centre's own district.
        district = Municipality.objects.values_list("district", flat=True).last()
        return {"district": district, **super().get_changeform_initial_data(request)}

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        site = obj.sites.order_by("pk").first()
        if site is None or "_continue" in request.POST or "_addanother" in request.POST:
            return response
        # Straight on to planning: the series form opens with the new venue filled in.
        self.message_user(
            request, gettext("Planen Sie jetzt die Beratungstage für %(site)s.") % {"site": site}
        )
        return HttpResponseRedirect(plan_url(site))


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "municipality", "room", "step_free", "plan_days"]
    list_filter = ["step_free", "municipality"]
    search_fields = ["name", "address", "room", "municipality__name"]
    list_select_related = ["municipality"]

    @admin.display(description=_("Beratungstage"))
    def plan_days(self, site):
        return format_html('<a href="{}">{}</a>', plan_url(site), gettext("Terminreihe anlegen"))
