"""Forms of the client's booking path. They only clean input; services make the changes."""

import re
import secrets
import unicodedata

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from appointments.services import ClientDetails
from appointments.sms import e164, takes_sms
from coaches.models import Specialism

# Bidi overrides and isolates can make a name display as something else.
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Zero-width joiners belong inside words of Persian, Arabic or Indic names; every other
# invisible format character (zero-width space, word joiner, BOM, soft hyphen...) only
# makes one name look like another.
JOINERS = {"\u200c", "\u200d"}
PHONE = re.compile(r"^\+?[0-9 ()/\-]{5,40}$")
SUBMISSION_KEY = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
EMAIL_INVALID = _("Diese E-Mail-Adresse stimmt nicht. Bitte prüfen Sie sie.")
# Plain messages that say what to do (GOV.UK style), not "This field is required".
NAME_REQUIRED = _("Geben Sie Ihren Namen ein.")
EMAIL_REQUIRED = _("Geben Sie Ihre E-Mail-Adresse ein.")
TIME_INVALID = _("Geben Sie eine Uhrzeit ein, zum Beispiel 09:30.")
SMS_NEEDS_NUMBER = _("Für die SMS brauchen wir Ihre Handynummer. Bitte tragen Sie sie oben ein.")
SMS_NEEDS_MOBILE = _(
    "An diese Nummer können wir keine SMS schicken. Bitte geben Sie eine Handynummer an. "
    "Oder nehmen Sie das Häkchen bei SMS weg."
)


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


def clean_line(value: str) -> str:
    """One line of plain text: no line breaks, control, direction or invisible characters."""
    value = unicodedata.normalize("NFC", value).strip()
    for at, char in enumerate(value):
        category = unicodedata.category(char)
        if (
            category in {"Cc", "Zl", "Zp"}
            or char in BIDI_CONTROLS
            or (category == "Cf" and not _joins_letters(value, at))
        ):
            raise ValidationError(
                _("Bitte nur eine Zeile, ohne Zeilenumbruch und ohne Steuerzeichen.")
            )
    return value


def _joins_letters(value: str, at: int) -> bool:
    """A zero-width (non-)joiner inside a word of a script that needs it, or inside an
    emoji sequence; between Latin letters it only hides a difference."""
    if value[at] not in JOINERS or not 0 < at < len(value) - 1:
        return False
    around = (value[at - 1], value[at + 1])
    if any(unicodedata.category(char) == "So" for char in around):
        return True
    return all(char.isalpha() for char in around) and not all(
        unicodedata.name(char, "").startswith("LATIN") for char in around
    )


def clean_text(value: str) -> str:
    """Free text may have line breaks, but no other control or direction characters."""
    value = unicodedata.normalize("NFC", value).strip()
    for char in value:
        if char in "\r\n\t":
            continue
        if unicodedata.category(char) in {"Cc", "Zl", "Zp"} or char in BIDI_CONTROLS:
            raise ValidationError(
                _("Der Text enthält ein Zeichen, das wir nicht speichern können.")
            )
    return value


class LineField(forms.CharField):
    def clean(self, value):
        return clean_line(super().clean(value))


class TextField(forms.CharField):
    def clean(self, value):
        return clean_text(super().clean(value))


class TelInput(forms.TextInput):
    """A phone number input: phones show the number pad, browsers offer the number."""

    input_type = "tel"

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "tel", **(attrs or {})})


class PhoneField(LineField):
    """A phone number, German unless it has a country code, returned in E.164, so that
    one number in five spellings is one number."""

    widget = TelInput

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        if not PHONE.match(value):
            raise ValidationError(
                _("Bitte nur Ziffern, Leerzeichen und + / - ( ) in der Telefonnummer.")
            )
        number = e164(value)
        if not number:
            raise ValidationError(
                _("Diese Telefonnummer gibt es so nicht. Bitte prüfen Sie die Vorwahl.")
            )
        return number


class ContactEmailField(forms.EmailField):
    """An email address without control or invisible characters: a quoted local part
    may pass the syntax check with one, and the mail then fails for good."""

    def clean(self, value):
        value = super().clean(value)
        if any(unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} for char in value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return value


def sms_consent_field(label, help_text) -> forms.BooleanField:
    """The opt-in to notices by SMS; unticked unless the client ticks it."""
    return forms.BooleanField(label=label, required=False, help_text=help_text)


def check_sms_consent(form: forms.Form, data: dict) -> None:
    """SMS only with a number that can take one: a mobile number."""
    if not data.get("sms_consent") or "phone" in form.errors:
        return
    if not data.get("phone"):
        form.add_error("sms_consent", SMS_NEEDS_NUMBER)
    elif not takes_sms(data["phone"]):
        form.add_error("phone", SMS_NEEDS_MOBILE)


def privacy_consent_field() -> forms.BooleanField:
    field = forms.BooleanField(
        required=True,
        error_messages={"required": _("Bitte stimmen Sie der Datenschutz-Erklärung zu.")},
    )
    field.label = format_html(
        '{} <a href="{}">{}</a>',
        _("Ich habe die Datenschutz-Erklärung gelesen. Ich bin einverstanden."),
        reverse("privacy"),
        _("Datenschutz-Erklärung lesen"),
    )
    return field


class BotGuardMixin(forms.Form):
    """A honeypot field people never see, and a random key per form so a repeated
    submit of the same form finds what the first one made."""

    website = forms.CharField(
        required=False,
        label=_("Bitte leer lassen"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        data = super().clean()
        if data.get("website"):
            # Shown at the top: the field itself is hidden, so a person could not fix it.
            raise ValidationError(_("Die Anfrage konnte nicht gesendet werden."))
        return data

    def clean_submission_key(self):
        key = self.cleaned_data["submission_key"]
        return key if SUBMISSION_KEY.match(key or "") else new_submission_key()

    def honeypot_div(self):
        return Div("website", css_class="jl-hp")


class BookingForm(BotGuardMixin):
    name = LineField(
        label=_("Ihr Name"), max_length=120, error_messages={"required": NAME_REQUIRED}
    )
    email = ContactEmailField(
        label=_("E-Mail"),
        required=False,
        max_length=254,
        error_messages={"invalid": EMAIL_INVALID},
        help_text=_(
            "Wir schicken Ihnen den Termin und eine Erinnerung. Ohne E-Mail geht das nicht."
        ),
    )
    phone = PhoneField(
        label=_("Telefon"),
        required=False,
        max_length=40,
        help_text=_("Nur nötig, wenn Sie keine E-Mail angeben oder eine SMS möchten."),
    )
    sms_consent = sms_consent_field(
        _("Erinnerung per SMS"),
        _("Wir schicken Ihnen den Termin und eine Erinnerung per SMS an Ihre Handynummer."),
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("Worüber möchten Sie sprechen?"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Dieses Thema gibt es an diesem Tag nicht."),
            "invalid_pk_value": _("Dieses Thema gibt es an diesem Tag nicht."),
        },
    )
    need_step_free = forms.BooleanField(
        label=_("Ich brauche einen Zugang ohne Stufen."), required=False
    )
    need_child = forms.BooleanField(label=_("Ich bringe ein Kind mit."), required=False)
    need_interpreter = forms.BooleanField(
        label=_("Ich brauche eine Person, die übersetzt."), required=False
    )
    interpreter_language = LineField(label=_("Welche Sprache?"), required=False, max_length=60)
    needs_other = LineField(
        label=_("Etwas anderes, das wir wissen sollten"), required=False, max_length=200
    )
    note = TextField(
        label=_("Kurze Nachricht (freiwillig)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, day, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = _day_specialisms(day)
        self.fields["consent"] = privacy_consent_field()
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(_("Ihre Angaben"), "name", "email", "phone", "sms_consent"),
            Fieldset(_("Ihr Anliegen"), "topics", "note"),
            Fieldset(
                _("Was brauchen Sie?"),
                "need_step_free",
                "need_child",
                "need_interpreter",
                "interpreter_language",
                "needs_other",
            ),
            "consent",
            self.honeypot_div(),
            "submission_key",
            Submit("book", _("Termin buchen")),
        )

    def clean(self):
        data = super().clean()
        check_sms_consent(self, data)
        # One message about the missing number is enough: the SMS one, if SMS was ticked.
        missing = not data.get("email") and not data.get("phone")
        if missing and not ({"phone", "sms_consent"} & set(self.errors)):
            self.add_error(
                "phone",
                _("Ohne E-Mail brauchen wir Ihre Telefonnummer. Dann kommt keine Erinnerung."),
            )
        if data.get("need_interpreter") and not data.get("interpreter_language"):
            self.add_error("interpreter_language", _("Bitte schreiben Sie die Sprache dazu."))
        return data

    def client_details(self, *, language: str) -> ClientDetails:
        data = self.cleaned_data
        return ClientDetails(
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            sms_consent=data["sms_consent"],
            topics=list(data["topics"]),
            need_step_free=data["need_step_free"],
            need_child=data["need_child"],
            interpreter_language=data["interpreter_language"] if data["need_interpreter"] else "",
            needs_other=data["needs_other"],
            note=data["note"],
            language=language,
        )


def _day_specialisms(day):
    return Specialism.objects.filter(coaches__day_coaches__day=day).distinct().order_by("name")


def time_field(label) -> forms.TimeField:
    """An optional time, with the browser's own time picker."""
    return forms.TimeField(
        label=label,
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": TIME_INVALID},
    )


class TimeFilterForm(forms.Form):
    """The "from … until …" filter of a day page; plain GET, works without JavaScript."""

    von = time_field(_("ab"))
    bis = time_field(_("bis"))

    def clean(self):
        data = super().clean()
        if data.get("von") and data.get("bis") and data["von"] >= data["bis"]:
            raise ValidationError(_("„ab“ muss vor „bis“ liegen."))
        return data


class WaitlistForm(BotGuardMixin):
    name = LineField(
        label=_("Ihr Name"), max_length=120, error_messages={"required": NAME_REQUIRED}
    )
    email = ContactEmailField(
        label=_("E-Mail"),
        max_length=254,
        error_messages={"invalid": EMAIL_INVALID, "required": EMAIL_REQUIRED},
        help_text=_("Wenn ein Platz frei wird, schreiben wir Ihnen hierhin."),
    )
    phone = PhoneField(label=_("Telefon (freiwillig)"), required=False, max_length=40)
    sms_consent = sms_consent_field(
        _("Auch per SMS Bescheid geben"),
        _("Wenn ein Platz frei wird, schicken wir Ihnen auch eine SMS an Ihre Handynummer."),
    )
    earliest = time_field(_("Ich kann ab"))
    latest = time_field(_("Ich kann bis"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"] = privacy_consent_field()
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "name",
            "email",
            "phone",
            "sms_consent",
            Fieldset(
                _("Welche Zeit passt Ihnen?"), Div("earliest", "latest", css_class="jl-times")
            ),
            "consent",
            self.honeypot_div(),
            "submission_key",
            Submit("join", _("Auf die Warteliste")),
        )

    def clean(self):
        data = super().clean()
        if data.get("earliest") and data.get("latest") and data["earliest"] >= data["latest"]:
            self.add_error("latest", _("„bis“ muss nach „ab“ liegen."))
        check_sms_consent(self, data)
        return data


class ApplicationForm(BotGuardMixin):
    """The public application for a place in a programme's cohort."""

    name = LineField(
        label=_("Ihr Name"), max_length=120, error_messages={"required": NAME_REQUIRED}
    )
    email = ContactEmailField(
        label=_("E-Mail"),
        required=False,
        max_length=254,
        error_messages={"invalid": EMAIL_INVALID},
        help_text=_("Hierhin schicken wir unsere Antwort."),
    )
    phone = PhoneField(
        label=_("Telefon"),
        required=False,
        max_length=40,
        help_text=_("Nur nötig, wenn Sie keine E-Mail angeben."),
    )
    note = TextField(
        label=_("Kurze Nachricht (freiwillig)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"] = privacy_consent_field()
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(_("Ihre Angaben"), "name", "email", "phone"),
            "note",
            "consent",
            self.honeypot_div(),
            "submission_key",
            Submit("apply", _("Bewerbung senden")),
        )

    def clean(self):
        data = super().clean()
        if not data.get("email") and not data.get("phone") and "phone" not in self.errors:
            self.add_error(
                "phone", _("Ohne E-Mail brauchen wir Ihre Telefonnummer, damit wir Sie erreichen.")
            )
        return data


class CancelForm(forms.Form):
    reason = LineField(
        label=_("Grund (freiwillig)"),
        required=False,
        max_length=300,
        help_text=_("Das hilft uns bei der Planung."),
    )


class MoveForm(forms.Form):
    slot = forms.IntegerField(min_value=1, max_value=2**62)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].error_messages.update(
            required=_("Bitte wählen Sie einen neuen Termin."),
            invalid=_("Bitte wählen Sie einen neuen Termin."),
            min_value=_("Bitte wählen Sie einen neuen Termin."),
            max_value=_("Bitte wählen Sie einen neuen Termin."),
        )


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Ja, löschen Sie meine Daten jetzt. Ein gebuchter Termin wird dabei abgesagt."),
        required=True,
    )
