"""Session rules for staff on shared town-hall computers."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

LAST_SEEN = "staff_last_seen"
# Writing the session on every request would cost a query each; a minute is precise enough.
TOUCH_EVERY_SECONDS = 60


class AdminIdleTimeoutMiddleware:
    """Log a staff member out of the admin after ADMIN_IDLE_MINUTES without a request,
    so a PC left unlocked does not stay open on client data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            last = request.session.get(LAST_SEEN)
            idle = settings.ADMIN_IDLE_MINUTES * 60
            if isinstance(last, int | float) and now - last > idle and self._in_admin(request):
                logout(request)
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            if not isinstance(last, int | float) or now - last > TOUCH_EVERY_SECONDS:
                request.session[LAST_SEEN] = now
        return self.get_response(request)

    @staticmethod
    def _in_admin(request) -> bool:
        return request.path.startswith("/" + settings.ADMIN_URL)


def start_idle_clock(sender, request, user, **kwargs):
    """A login counts as activity; saved with the session the login writes anyway."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = time.time()
