"""The booking form's fields, rendered once per day version and language and shared.

crispy-forms takes most of a booking form request to render. An empty form of a day
looks the same for everyone but its submission key, so its markup is rendered by crispy
once (the exact markup the accessibility and HTML checks pass), kept in the cache under
the day's version (which the coaches, and with them the topics offered, raise), and
given a fresh submission key per request. A form with input or errors is rendered by
crispy as before.
"""

import hashlib
import logging
from datetime import timedelta

from crispy_forms.utils import render_crispy_form
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

from appointments.forms import new_submission_key

log = logging.getLogger(__name__)

# Matches the submission key pattern, so the form renders it like a real key.
KEY_MARK = "jl-submission-key-mark-7c2d"
# Specialism names and texts do not raise a day's version; they show within minutes.
MAX_AGE = timedelta(minutes=10)


def cache_key(*, day, language: str, form) -> str:
    # The field names are part of the key: a deploy that adds a field renders anew.
    fields = hashlib.sha256(",".join(form.fields).encode()).hexdigest()[:12]
    return f"book-form:{day.pk}:{day.version}:{language}:{fields}"


def empty_form_html(*, form, day, language: str) -> SafeString:
    """The markup of `form` (unbound, its submission_key initial set to KEY_MARK) with a
    new submission key."""
    key = cache_key(day=day, language=language, form=form)
    try:
        html = cache.get(key)
    except Exception:  # noqa: BLE001 - the cache only saves work
        log.warning("booking form cache unreachable", exc_info=True)
        html = None
    if html is None:
        html = render_crispy_form(form, helper=form.helper)
        try:
            cache.set(key, html, int(MAX_AGE.total_seconds()))
        except Exception:  # noqa: BLE001 - see above
            log.warning("booking form cache unreachable", exc_info=True)
    # The key is URL-safe base64: nothing in it needs escaping.
    return mark_safe(html.replace(KEY_MARK, new_submission_key()))  # noqa: S308
