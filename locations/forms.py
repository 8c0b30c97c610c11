from django import forms
from django.utils.translation import gettext_lazy as _

from locations.models import District


class MunicipalitySearchForm(forms.Form):
    """Find one's municipality among many: by name, or by Landkreis."""

    q = forms.CharField(label=_("Ihr Ort oder Ihre Postleitzahl"), required=False, max_length=80)
    # By name, so the address stays readable: ?landkreis=Landkreis+Celle
    landkreis = forms.ModelChoiceField(
        label=_("Landkreis"),
        required=False,
        queryset=District.objects.none(),
        to_field_name="name",
        empty_label=_("alle Landkreise"),
    )

    def __init__(self, *args, districts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if districts is not None:
            self.fields["landkreis"].queryset = districts

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
