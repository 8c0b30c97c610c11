from django.contrib import admin

from locations.models import Municipality, Site


class SiteInline(admin.StackedInline):
    model = Site
    extra = 1
    min_num = 0


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "active", "contact_name"]
    list_filter = ["active", "district"]
    search_fields = ["name", "district", "contact_name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SiteInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "district", "active"]}),
        (None, {"fields": ["contact_name", "contact_email", "contact_phone"]}),
    ]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "municipality", "room", "step_free"]
    list_filter = ["step_free", "municipality"]
    search_fields = ["name", "address", "room", "municipality__name"]
    list_select_related = ["municipality"]
