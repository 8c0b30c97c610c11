"""Django's database sessions, written once per request.

A visitor's first booking needs the session's key before anything is stored in it: the
per-session cap counts bookings by a hash of that key. Django would write the empty
session at once (a SELECT for a free key, then an INSERT in its own transaction) and
UPDATE it again when the response goes out. Here the key is given out first and the
session is written once, by one INSERT, when the response goes out; the key never
changes in between, so the cap sees the same session on every later request.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.db import IntegrityError, connection
from django.utils.crypto import get_random_string


class SessionStore(DBStore):
    # Set while the key has been given out but no row holds it yet.
    _unwritten = False

    def _get_new_session_key(self):
        # 32 characters of 36 are 165 random bits: no key is ever drawn twice. The
        # INSERT's unique key is the check all the same (create() and save() fail on a
        # taken key), so Django's SELECT for a free key is left out.
        return get_random_string(32, VALID_KEY_CHARS)

    def reserve_key(self) -> str:
        """This session's key; a session without one gets one now, stored when the
        session is saved (by the middleware, at the end of the request)."""
        if self.session_key is None:
            self._get_session()  # the (empty) data, before a key would make it load
            self._session_key = self._get_new_session_key()
            self._unwritten = True
        return self.session_key

    def save(self, must_create=False):
        if self._unwritten and connection.get_autocommit():
            self._insert()
            return
        # A reserved key has no row yet: INSERT it (an UPDATE would find nothing).
        super().save(must_create=must_create or self._unwritten)
        self._unwritten = False

    def _insert(self):
        """The reserved key's row, by one INSERT in autocommit: Django's own save would
        wrap it in a transaction of its own, two more round trips for one statement."""
        obj = self.create_model_instance(self._get_session(no_load=True))
        try:
            obj.save(force_insert=True)
        except IntegrityError as taken:
            raise CreateError from taken
        self._unwritten = False

    def cycle_key(self):
        self._unwritten = False
        super().cycle_key()
