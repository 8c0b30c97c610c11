"""The Landkreis becomes a row of its own (3 of 3: the free text goes)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("locations", "0004_district_rows")]

    operations = [
        migrations.RemoveField("municipality", "district_name"),
        migrations.AlterField(
            model_name="municipality",
            name="district",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="municipalities",
                to="locations.district",
                verbose_name="Landkreis",
            ),
        ),
    ]
