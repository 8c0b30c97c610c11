"""Django's database sessions, written once per request.

A visitor's first booking needs the session's key before anything is stored in it: the
per-session cap counts bookings by a hash of that key. Django would write the empty
session at once (a SELECT for a free key, then an INSERT in its own transaction) and
UPDATE it again when the response goes out. Here the key is given out first and the
session is written once, by one INSERT, when the response goes out; the key never
changes in between, so the cap sees the same session on every later request.

A session is read on every request of a signed-in user, so it is read by one plain
SELECT: the ORM's compiling of that lookup cost more than the query itself.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.db import IntegrityError, connection, connections
from django.utils import timezone
from django.utils.crypto import get_random_string

# Django's Session model, the store's `model`.
SESSION_SQL = (
    "SELECT session_data, expire_date FROM django_session"
    " WHERE session_key = %s AND expire_date > %s"
)


class SessionStore(DBStore):
    # Set while the key has been given out but no row holds it yet.
    _unwritten = False

    def _get_new_session_key(self):
        # 32 characters of 36 are 165 random bits: no key is ever drawn twice. The
        # INSERT's unique key is the check all the same (create() and save() fail on a
        # taken key), so Django's SELECT for a free key is left out.
        return get_random_string(32, VALID_KEY_CHARS)

    def _get_session_from_db(self):
        """The unexpired row of this session's key (what Django's own
        `objects.get(session_key=…, expire_date__gt=now)` finds), or None and no key."""
        model = self.model
        db = connections[model.objects.db]
        now = db.ops.adapt_datetimefield_value(timezone.now())
        with db.cursor() as cursor:
            cursor.execute(SESSION_SQL, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=self.session_key, session_data=row[0], expire_date=row[1])

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
