"""The Landkreis becomes a row of its own, chosen from a list (1 of 3: the table)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("locations", "0002_search_directions")]

    operations = [
        migrations.CreateModel(
            name="District",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=120, unique=True, verbose_name="Name")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("BW", "Baden-Württemberg"),
                            ("BY", "Bayern"),
                            ("BE", "Berlin"),
                            ("BB", "Brandenburg"),
                            ("HB", "Bremen"),
                            ("HH", "Hamburg"),
                            ("HE", "Hessen"),
                            ("MV", "Mecklenburg-Vorpommern"),
                            ("NI", "Niedersachsen"),
                            ("NW", "Nordrhein-Westfalen"),
                            ("RP", "Rheinland-Pfalz"),
                            ("SL", "Saarland"),
                            ("SN", "Sachsen"),
                            ("ST", "Sachsen-Anhalt"),
                            ("SH", "Schleswig-Holstein"),
                            ("TH", "Thüringen"),
                        ],
                        default="NI",
                        max_length=2,
                        verbose_name="Bundesland",
                    ),
                ),
            ],
            options={
                "verbose_name": "Landkreis",
                "verbose_name_plural": "Landkreise",
                "ordering": ["name"],
            },
        ),
        migrations.RenameField("municipality", "district", "district_name"),
        migrations.AddField(
            model_name="municipality",
            name="district",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="municipalities",
                to="locations.district",
                verbose_name="Landkreis",
            ),
        ),
        # Given a default so the way back can add it again to a table with rows.
        migrations.AlterField(
            model_name="municipality",
            name="district_name",
            field=models.CharField(blank=True, default="", max_length=120),
        ),
    ]
