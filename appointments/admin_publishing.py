"""Publishing in the admin as a visible button: on a day's page ("Veröffentlichen") and on
a series' page ("die nächsten N Tage veröffentlichen"). The rules are in the domain
(`publish_days`, `publish_next_days`); these views only check permission and report."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from appointments import services
from appointments.models import OutreachDay, OutreachSeries

MAX_PUBLISH = 60


class PublishNextForm(forms.Form):
    count = forms.IntegerField(
        label=_("Anzahl der nächsten Tage"),
        min_value=1,
        max_value=MAX_PUBLISH,
        initial=3,
        error_messages={
            "required": _("Bitte geben Sie an, wie viele Tage."),
            "invalid": _("Bitte geben Sie eine ganze Zahl ein."),
            "min_value": _("Bitte geben Sie mindestens 1 ein."),
            "max_value": _("Bitte höchstens %(limit_value)s Tage auf einmal."),
        },
    )


def _report(model_admin, request, published: int) -> None:
    if published:
        model_admin.message_user(
            request,
            ngettext(
                "%(n)s Tag veröffentlicht. Er kann jetzt gebucht werden.",
                "%(n)s Tage veröffentlicht. Sie können jetzt gebucht werden.",
                published,
            )
            % {"n": published},
            messages.SUCCESS,
        )
    else:
        model_admin.message_user(
            request,
            _("Kein Tag veröffentlicht: Es gibt keinen kommenden Entwurf."),
            messages.INFO,
        )


class PublishDayMixin:
    """A "Veröffentlichen" button on the change page of a draft day."""

    def get_urls(self):
        return [
            path(
                "<int:object_id>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="appointments_outreachday_publish",
            ),
            *super().get_urls(),
        ]

    def publish_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        day = get_object_or_404(OutreachDay, pk=object_id)
        if not self.has_change_permission(request, day):
            raise PermissionDenied
        _report(self, request, services.publish_days(days=[day]))
        return HttpResponseRedirect(reverse("admin:appointments_outreachday_change", args=[day.pk]))


class PublishSeriesMixin:
    """ "Die nächsten N Tage veröffentlichen" on a series' page."""

    def get_urls(self):
        return [
            path(
                "<int:object_id>/publish/",
                self.admin_site.admin_view(self.publish_next_view),
                name="appointments_outreachseries_publish",
            ),
            *super().get_urls(),
        ]

    def publish_next_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        series = get_object_or_404(OutreachSeries, pk=object_id)
        if not self.has_change_permission(request, series):
            raise PermissionDenied
        form = PublishNextForm(request.POST)
        back = reverse("admin:appointments_outreachseries_preview", args=[series.pk])
        if not form.is_valid():
            for error in form.errors.get("count", []):
                self.message_user(request, error, messages.ERROR)
            return HttpResponseRedirect(back)
        published = services.publish_next_days(series=series, count=form.cleaned_data["count"])
        _report(self, request, published)
        return HttpResponseRedirect(back)
