from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from coaches.forms import AdminLoginForm
from joblokal import views

admin.site.site_header = _("JobLokal Verwaltung")
admin.site.site_title = _("JobLokal")
admin.site.index_title = _("Beratungstage planen")
admin.site.login_form = AdminLoginForm
# The app list lives on the index page; as a sidebar it cost the lists 300 px at 1280 px.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", include("locations.urls")),
    path("", include("appointments.urls")),
    path("team/", include("coaches.urls")),
    path("team/druck/", include("appointments.urls_print")),
    path("healthz", views.healthz, name="healthz"),
    path("datenschutz/", views.privacy, name="privacy"),
    path("barrierefreiheit/", views.accessibility, name="accessibility"),
    path("impressum/", views.imprint, name="imprint"),
    path("leichte-sprache/", views.easy_language, name="easy_language"),
    path("gebaerdensprache/", views.sign_language, name="sign_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path(settings.ADMIN_URL, admin.site.urls),
]

handler404 = "joblokal.views.page_not_found"
handler500 = "joblokal.views.server_error"
handler403 = "joblokal.views.permission_denied"
