"""Sessions are read by one plain SELECT (joblokal/sessions.py) and find what Django's own
lookup finds: the unexpired row of the key, else nothing and no key."""

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone

from joblokal.sessions import SessionStore


def stored(**data) -> str:
    session = SessionStore()
    session.update(data)
    session.create()
    return session.session_key


def test_it_reads_a_stored_session(db):
    key = stored(seen=["R-7KQ2"])
    session = SessionStore(key)
    assert session["seen"] == ["R-7KQ2"]
    assert session.session_key == key


def test_it_reads_nothing_of_an_expired_session_and_drops_its_key(db):
    key = stored(seen=["R-7KQ2"])
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    session = SessionStore(key)
    assert session.get("seen") is None
    assert session.session_key is None


def test_it_reads_nothing_of_an_unknown_key(db):
    session = SessionStore("k" * 32)
    assert dict(session.items()) == {}
    assert session.session_key is None


def test_it_finds_the_row_djangos_lookup_finds(db):
    key = stored(seen=["R-7KQ2"])
    row = SessionStore(key)._get_session_from_db()
    expected = Session.objects.get(session_key=key, expire_date__gt=timezone.now())
    assert (row.session_key, row.session_data, row.expire_date) == (
        expected.session_key,
        expected.session_data,
        expected.expire_date,
    )
