from django.contrib import admin

from joblokal.models import LegalText


@admin.register(LegalText)
class LegalTextAdmin(admin.ModelAdmin):
    list_display = ["page"]
    fields = ["page", "text", "translations"]
