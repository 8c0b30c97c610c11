"""Forms for the coaches' pages. They only clean input; the rules live in
appointments.services."""

import secrets
from datetime import date, timedelta

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments import outbox
from appointments.forms import LineField, PhoneField
from appointments.models import MailKind, OutcomeCode, Slot
from appointments.services import ClientDetails, follow_up_too_late_message, latest_follow_up
from coaches.models import Specialism

# The schedule covers these years; anything outside is a typo or a tampered URL, and
# date arithmetic near year 1 or 9999 would overflow.
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2099, 12, 31)
FOLLOW_UP_MAX_DAYS = 366


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DayPickerForm(forms.Form):
    date = forms.DateField(
        label=_("Datum"),
        input_formats=["%Y-%m-%d"],
        widget=DateInput(attrs={"min": FIRST_DATE.isoformat(), "max": LAST_DATE.isoformat()}),
        error_messages={
            "invalid": _("Bitte geben Sie ein Datum ein, zum Beispiel 2026-03-10."),
            "required": _("Bitte geben Sie ein Datum ein."),
        },
    )

    def clean_date(self):
        value = self.cleaned_data["date"]
        if not FIRST_DATE <= value <= LAST_DATE:
            raise forms.ValidationError(_("Bitte wählen Sie ein Datum zwischen 2000 und 2099."))
        return value


class BoundedUsernameMixin:
    """Django sets the username's max_length after the field is built, so no validator
    enforces it; an overlong name then reached the lockout log's 255-character column and
    failed with a 500. Validate the length before anything authenticates.

    A failed login says so, whether the name or the password was wrong, so it does not
    reveal which accounts exist."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.error_messages = {
            **self.error_messages,
            "invalid_login": _(
                "Die Anmeldung hat nicht geklappt. Benutzername oder Passwort stimmen nicht. "
                "Bitte versuchen Sie es noch einmal."
            ),
        }
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length or 150))

    def clean(self):
        if self.errors.get("username"):
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )
        return super().clean()


class LoginForm(BoundedUsernameMixin, AuthenticationForm):
    pass


class AdminLoginForm(BoundedUsernameMixin, AdminAuthenticationForm):
    pass


class QueuedPasswordResetForm(PasswordResetForm):
    """Sends the reset link through the outbox like every other mail. The link itself is
    made at send time (appointments.links.password_reset_url), so no token is stored."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        user = context["user"]
        # One mail per user and minute: a double submit or a hammered form sends once.
        minute = timezone.now().strftime("%Y%m%d%H%M")
        outbox.queue_mail(
            kind=MailKind.PASSWORD_RESET, user=user, key=f"password_reset:{user.pk}:{minute}"
        )


class SlotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, slot):
        start, end = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
        label = f"{start:%H:%M}–{end:%H:%M}"
        if slot.is_full():
            return _("%(time)s (voll, zusätzlich)") % {"time": label}
        return _("%(time)s (frei)") % {"time": label}


def current_slot(slots: list, now):
    """The slot running now, else the next one, else the day's last (in time order)."""
    upcoming = [slot for slot in slots if slot.ends_at > now]
    chosen = upcoming[0] if upcoming else (slots[-1] if slots else None)
    return chosen and chosen.pk


class WalkInForm(forms.Form):
    slot = SlotChoiceField(
        label=_("Uhrzeit"),
        queryset=Slot.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Bitte wählen Sie eine Uhrzeit aus der Liste.")},
        help_text=_("Ist die Zeit schon voll, zählt die Person zusätzlich."),
    )
    # The booking form's cleaning: no control characters, one line, a plausible number.
    name = LineField(label=_("Name"), max_length=120)
    phone = PhoneField(label=_("Telefon (freiwillig)"), max_length=40, required=False)
    topics = forms.ModelMultipleChoiceField(
        label=_("Anliegen"),
        queryset=Specialism.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    need_step_free = forms.BooleanField(label=_("braucht stufenlosen Zugang"), required=False)
    need_child = forms.BooleanField(label=_("bringt ein Kind mit"), required=False)
    interpreter_language = forms.CharField(
        label=_("Dolmetschen für (Sprache)"), max_length=60, required=False
    )
    note = forms.CharField(
        label=_("Notiz"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, day, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        slots = list(day.slots.order_by("starts_at"))
        self.fields["slot"].queryset = day.slots.order_by("starts_at")
        self.fields["slot"].initial = current_slot(slots, now or timezone.now())
        self.fields["submission_key"].initial = secrets.token_urlsafe(24)

    def client(self) -> ClientDetails:
        data = self.cleaned_data
        return ClientDetails(
            name=data["name"],
            phone=data["phone"],
            topics=list(data["topics"]),
            need_step_free=data["need_step_free"],
            need_child=data["need_child"],
            interpreter_language=data["interpreter_language"],
            note=data["note"],
        )


class OutcomeForm(forms.Form):
    codes = forms.MultipleChoiceField(
        label=_("Ergebnis"),
        choices=OutcomeCode.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Bitte wählen Sie mindestens ein Ergebnis."),
            "invalid_choice": _("Bitte wählen Sie nur Ergebnisse aus der Liste."),
        },
    )
    note = forms.CharField(
        label=_("Kurze Notiz"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Was wurde vereinbart? Höchstens 1.000 Zeichen."),
    )
    follow_up_on = forms.DateField(
        label=_("Nachfassen am (freiwillig)"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=DateInput(),
        error_messages={"invalid": _("Bitte geben Sie ein Datum ein, zum Beispiel 2026-03-10.")},
    )

    def __init__(self, *args, booking, **kwargs):
        super().__init__(*args, **kwargs)
        self.earliest = booking.day.date
        self.latest = max(booking.day.date, timezone.localdate()) + timedelta(
            days=FOLLOW_UP_MAX_DAYS
        )
        # Never after the day the booking's data is erased, unless it is accompanied.
        self.erasure_limit = latest_follow_up(booking=booking)
        if self.erasure_limit:
            self.latest = max(self.earliest, min(self.latest, self.erasure_limit))
        widget = self.fields["follow_up_on"].widget
        widget.attrs.update(min=self.earliest.isoformat(), max=self.latest.isoformat())

    def clean_follow_up_on(self):
        value = self.cleaned_data["follow_up_on"]
        if value and self.erasure_limit and value > self.erasure_limit:
            raise forms.ValidationError(follow_up_too_late_message(self.erasure_limit))
        if value and not self.earliest <= value <= self.latest:
            raise forms.ValidationError(
                _("Bitte wählen Sie ein Datum zwischen %(first)s und %(last)s.")
                % {"first": f"{self.earliest:%d.%m.%Y}", "last": f"{self.latest:%d.%m.%Y}"}
            )
        return value
