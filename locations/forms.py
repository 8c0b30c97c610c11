from django import forms
from django.utils.translation import gettext_lazy as _


class MunicipalitySearchForm(forms.Form):
    """Find one's municipality among many: by name, or by Landkreis."""

    q = forms.CharField(label=_("Ihr Ort oder Ihre Postleitzahl"), required=False, max_length=80)
    landkreis = forms.ChoiceField(label=_("Landkreis"), required=False)

    def __init__(self, *args, districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["landkreis"].choices = [("", _("alle Landkreise"))] + [
            (d, d) for d in districts
        ]

    def filter(self, municipalities):
        if not self.is_valid():
            return municipalities
        if self.cleaned_data["q"]:
            municipalities = municipalities.search(self.cleaned_data["q"])
        return self.filter_district(municipalities)

    def filter_district(self, municipalities):
        if self.is_valid() and self.cleaned_data["landkreis"]:
            municipalities = municipalities.filter(district=self.cleaned_data["landkreis"])
        return municipalities
