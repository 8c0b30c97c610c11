from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from joblokal import views

admin.site.site_header = _("JobLokal Verwaltung")
admin.site.site_title = _("JobLokal")
admin.site.index_title = _("Beratungstage planen")

urlpatterns = [
    path("", include("locations.urls")),
    path("", include("appointments.urls")),
    path("team/", include("coaches.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("datenschutz/", TemplateView.as_view(template_name="pages/privacy.html"), name="privacy"),
    path("i18n/", include("django.conf.urls.i18n")),
    path(settings.ADMIN_URL, admin.site.urls),
]

handler404 = "joblokal.views.page_not_found"
handler500 = "joblokal.views.server_error"
handler403 = "joblokal.views.permission_denied"
