"""Forms of the front desk: booking a caller, cancelling or moving a booking, and ticking
off a call. They only clean input; the rules live in appointments.services."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments.forms import (
    EMAIL_INVALID,
    SUBMISSION_KEY,
    ContactEmailField,
    LineField,
    PhoneField,
    new_submission_key,
)
from appointments.models import Channel, Slot
from appointments.services import ClientDetails
from appointments.sms import takes_sms

SLOT_INVALID = _("Bitte wählen Sie eine freie Uhrzeit aus der Liste.")


class FreeSlotField(forms.ModelChoiceField):
    """A free slot, shown as its time (and its day, when the list spans several)."""

    def __init__(self, *args, with_date=False, **kwargs):
        self.with_date = with_date
        kwargs.setdefault("error_messages", {"invalid_choice": SLOT_INVALID})
        super().__init__(*args, **kwargs)

    def label_from_instance(self, slot):
        start, end = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
        label = f"{start:%H:%M}–{end:%H:%M}"
        if self.with_date:
            label = f"{start:%d.%m.%Y}, {label} ({slot.day.site.municipality.name})"
        return label


class SubmissionKeyField(forms.CharField):
    """A random key per form, so a submit sent twice books once."""

    widget = forms.HiddenInput

    def clean(self, value):
        value = super().clean(value)
        return value if SUBMISSION_KEY.match(value or "") else new_submission_key()


class DeskBookingForm(forms.Form):
    slot = FreeSlotField(label=_("Uhrzeit"), queryset=Slot.objects.none(), empty_label=None)
    name = LineField(
        label=_("Name"),
        max_length=120,
        error_messages={"required": _("Bitte geben Sie den Namen ein.")},
    )
    phone = PhoneField(
        label=_("Telefon"),
        required=False,
        max_length=40,
        help_text=_("Ohne E-Mail kommt die Person auf die Anrufliste, wenn sich etwas ändert."),
    )
    email = ContactEmailField(
        label=_("E-Mail (freiwillig)"),
        required=False,
        max_length=254,
        error_messages={"invalid": EMAIL_INVALID},
    )
    sms_consent = forms.BooleanField(
        label=_("Die Person möchte Erinnerungen per SMS."),
        required=False,
        help_text=_("Nur mit einer Handynummer."),
    )
    channel = forms.ChoiceField(
        label=_("Wie hat die Person gebucht?"),
        choices=[(Channel.PHONE, _("am Telefon")), (Channel.DESK, _("hier am Empfang"))],
        widget=forms.RadioSelect,
        initial=Channel.PHONE,
        error_messages={
            "required": _("Bitte wählen Sie: Telefon oder Empfang."),
            "invalid_choice": _("Bitte wählen Sie: Telefon oder Empfang."),
        },
    )
    language = forms.ChoiceField(
        label=_("Sprache für Nachrichten und Beleg"),
        choices=settings.LANGUAGES,
        initial="de",
        required=False,
        error_messages={"invalid_choice": _("Bitte wählen Sie eine Sprache aus der Liste.")},
    )
    privacy_read_out = forms.BooleanField(
        label=_("Ich habe der Person die Datenschutz-Erklärung vorgelesen. Sie ist einverstanden."),
        error_messages={
            "required": _(
                "Ohne Einverständnis mit der Datenschutz-Erklärung können wir nicht buchen."
            )
        },
    )
    submission_key = SubmissionKeyField(required=False)

    def __init__(self, *args, day, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = (
            Slot.objects.bookable(now).filter(day=day).order_by("starts_at")
        )
        self.fields["submission_key"].initial = new_submission_key()
        self.fields["phone"].widget.attrs["autocomplete"] = "off"
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.fields["name"].widget.attrs["autocomplete"] = "off"

    def clean(self):
        data = super().clean()
        phone, errors = data.get("phone"), self.errors
        if not phone and not data.get("email") and "phone" not in errors and "email" not in errors:
            self.add_error("phone", _("Bitte geben Sie eine Telefonnummer oder eine E-Mail ein."))
        if data.get("sms_consent") and "phone" not in errors:
            if not phone:
                self.add_error("sms_consent", _("Für SMS brauchen wir eine Handynummer."))
            elif not takes_sms(phone):
                self.add_error(
                    "sms_consent",
                    _("An diese Nummer geht keine SMS. Bitte eine Handynummer eingeben."),
                )
        return data

    def client(self) -> ClientDetails:
        data = self.cleaned_data
        return ClientDetails(
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            sms_consent=data["sms_consent"],
            language=data["language"] or "de",
        )


class DeskCancelForm(forms.Form):
    reason = LineField(label=_("Grund (freiwillig)"), required=False, max_length=300)


class DeskMoveForm(forms.Form):
    slot = FreeSlotField(
        label=_("Neue Uhrzeit"), queryset=Slot.objects.none(), empty_label=None, with_date=True
    )

    def __init__(self, *args, booking, days, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = (
            Slot.objects.bookable(now)
            .filter(day__in=days)
            .exclude(pk=booking.slot_id)
            .select_related("day__site__municipality")
            .order_by("starts_at", "pk")
        )


class CallDoneForm(forms.Form):
    note = LineField(label=_("Notiz (freiwillig)"), required=False, max_length=200)
