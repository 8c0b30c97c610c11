"""The session table without a write-ahead log (PostgreSQL only).

A session only remembers who is logged in and which bookings a visitor may see again on
the confirmation page. Writing it through the write-ahead log made every new session wait
for its own flush to disk: a second wait of several milliseconds on every booking, after
the booking's own. Unlogged, PostgreSQL empties the table after a crash (everyone logs in
again; a client finds the booking in the confirmation mail and behind its link) and does
not copy it to a standby. The booking and everything else stay logged.
"""

from django.db import migrations


def set_logged(logged: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            mode = "LOGGED" if logged else "UNLOGGED"
            schema_editor.execute(f"ALTER TABLE django_session SET {mode}")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("joblokal", "0001_legal_texts"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(set_logged(False), set_logged(True), elidable=False)]
