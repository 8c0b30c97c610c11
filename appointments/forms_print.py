"""The invitation letter's form: whom to invite, where the letter goes, which day, and
whether a slot is reserved. It only cleans input; the typed address is never stored."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from appointments.forms import SUBMISSION_KEY, LineField, TextField, new_submission_key

# A DIN 5008 address field holds at most six lines; name and up to four of address here.
ADDRESS_LINES = 4
ADDRESS_LINE_LENGTH = 60


class LetterMode:
    RESERVE = "reserve"
    OPEN = "open"


class DayChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, day):
        start = timezone.localtime(day.starts_at)
        end = timezone.localtime(day.ends_at)
        return (
            f"{day.site.municipality.name}, {day.site.name}: "
            f"{formats.date_format(start, 'D j.n.Y')}, {start:%H:%M}–{end:%H:%M}"
        )


class LetterForm(forms.Form):
    person = forms.ModelChoiceField(
        label=_("Begleitete Person"),
        queryset=None,
        required=False,
        empty_label=_("keine – Name unten eingeben"),
    )
    name = LineField(
        label=_("Name"),
        max_length=120,
        required=False,
        help_text=_("Nur nötig, wenn Sie keine Person gewählt haben."),
    )
    address = TextField(
        label=_("Anschrift"),
        max_length=250,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=_("Straße und Hausnummer, Postleitzahl und Ort. Wird nicht gespeichert."),
        error_messages={"required": _("Geben Sie die Anschrift ein.")},
    )
    day = DayChoiceField(
        label=_("Beratungstag"),
        queryset=None,
        empty_label=None,
        error_messages={"invalid_choice": _("Bitte wählen Sie einen Tag aus der Liste.")},
    )
    mode = forms.ChoiceField(
        label=_("Termin"),
        choices=[
            (LetterMode.RESERVE, _("Einen Termin reservieren (die Person bestätigt ihn)")),
            (LetterMode.OPEN, _("Offen lassen (die Person bucht selbst)")),
        ],
        initial=LetterMode.RESERVE,
        widget=forms.RadioSelect,
    )
    from_time = forms.TimeField(
        label=_("Termin frühestens um"),
        required=False,
        help_text=_("Zum Beispiel 09:30. Leer: der erste freie Termin."),
        error_messages={"invalid": _("Geben Sie eine Uhrzeit ein, zum Beispiel 09:30.")},
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    language = forms.ChoiceField(
        label=_("Zweite Sprache im Brief"),
        required=False,
        help_text=_("Der Brief ist immer auf Deutsch. Leer: die Sprache der letzten Buchung."),
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, persons, days, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = persons
        self.fields["day"].queryset = days
        self.fields["language"].choices = [("", _("keine"))] + [
            (code, name) for code, name in settings.LANGUAGES if code != "de"
        ]

    def clean_address(self):
        lines = [line.strip() for line in self.cleaned_data["address"].splitlines()]
        lines = [line for line in lines if line]
        if not 2 <= len(lines) <= ADDRESS_LINES:
            raise ValidationError(
                _("Die Anschrift braucht 2 bis %(n)d Zeilen: Straße, dann Postleitzahl und Ort.")
                % {"n": ADDRESS_LINES}
            )
        if any(len(line) > ADDRESS_LINE_LENGTH for line in lines):
            raise ValidationError(
                _("Eine Zeile der Anschrift ist zu lang für das Fenster im Umschlag.")
            )
        return lines

    def clean_submission_key(self):
        key = self.cleaned_data["submission_key"]
        return key if SUBMISSION_KEY.match(key or "") else new_submission_key()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("person") and not cleaned.get("name"):
            self.add_error("name", _("Wählen Sie eine Person oder geben Sie einen Namen ein."))
        return cleaned
