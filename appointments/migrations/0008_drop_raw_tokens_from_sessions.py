"""Sessions written before issue 12 hold raw manage tokens for confirmation pages; the
server keeps no raw token any more, so they are removed from every stored session."""

from django.db import migrations

CONFIRMATIONS = "confirmations"


def drop_raw_tokens(apps, schema_editor):
    from django.contrib.sessions.backends.db import SessionStore

    Session = apps.get_model("sessions", "Session")
    for row in Session.objects.filter(session_data__isnull=False).iterator():
        store = SessionStore()
        data = store.decode(row.session_data)
        kept = data.get(CONFIRMATIONS)
        if not isinstance(kept, dict) or not any(
            isinstance(item, dict) and "token" in item for item in kept.values()
        ):
            continue
        data[CONFIRMATIONS] = {
            ref: {k: v for k, v in item.items() if k != "token"}
            for ref, item in kept.items()
            if isinstance(item, dict)
        }
        row.session_data = store.encode(data)
        row.save(update_fields=["session_data"])


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0007_booking_origin_and_waitlist_audit"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(drop_raw_tokens, migrations.RunPython.noop)]
