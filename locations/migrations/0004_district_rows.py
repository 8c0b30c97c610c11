"""The Landkreis becomes a row of its own (2 of 3: existing values become rows).

Free-text values are merged when they name the same Landkreis ("Celle" and "Landkreis
Celle"): the longest spelling is kept. Every existing Landkreis starts in Lower Saxony,
whose holidays the series used until now.
"""

from django.db import migrations

PREFIXES = ("landkreis ", "kreis ", "lk ", "lkr. ", "region ")


def _key(name: str) -> str:
    key = " ".join(name.split()).casefold()
    for prefix in PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


def text_to_rows(apps, schema_editor):
    Municipality = apps.get_model("locations", "Municipality")
    District = apps.get_model("locations", "District")
    names = {}
    for value in Municipality.objects.values_list("district_name", flat=True).distinct():
        cleaned = " ".join(value.split()) or "Unbekannter Landkreis"
        key = _key(cleaned)
        if len(cleaned) > len(names.get(key, "")):
            names[key] = cleaned
    districts = {key: District.objects.create(name=name, state="NI") for key, name in names.items()}
    for municipality in Municipality.objects.all():
        cleaned = " ".join(municipality.district_name.split()) or "Unbekannter Landkreis"
        municipality.district = districts[_key(cleaned)]
        municipality.save(update_fields=["district"])


def rows_to_text(apps, schema_editor):
    Municipality = apps.get_model("locations", "Municipality")
    for municipality in Municipality.objects.select_related("district"):
        municipality.district_name = municipality.district.name
        municipality.save(update_fields=["district_name"])


class Migration(migrations.Migration):
    dependencies = [("locations", "0003_district_model")]

    operations = [migrations.RunPython(text_to_rows, rows_to_text)]
