"""PostgreSQL only: the database refuses one coach on two overlapping days.

An exclusion constraint over (coach, time range) needs btree_gist, which only PostgreSQL
has. The embedded SQLite mode skips this migration's SQL and relies on the check in
appointments.services.coach_clashes, which every planning path runs first.
"""

from django.db import migrations

CONSTRAINT = "daycoach_no_overlapping_days"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # btree_gist is a trusted extension (PostgreSQL 13+): the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    # The default '[)' bounds let one day end at 12:00 and the next start at 12:00.
    schema_editor.execute(
        f"ALTER TABLE appointments_daycoach ADD CONSTRAINT {CONSTRAINT} "
        "EXCLUDE USING gist (coach_id WITH =, tstzrange(starts_at, ends_at) WITH &&)"
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE appointments_daycoach DROP CONSTRAINT IF EXISTS {CONSTRAINT}"
    )


class Migration(migrations.Migration):
    dependencies = [("appointments", "0001_initial")]

    operations = [migrations.RunPython(add_constraint, drop_constraint, elidable=False)]
