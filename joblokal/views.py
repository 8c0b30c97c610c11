from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.crypto import get_random_string
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from joblokal.models import LegalText


@require_GET
@never_cache
def healthz(request):
    """Report whether the database, the cache and, when one is configured, the broker
    answer. Only a database failure is a 503: without the broker or the cache, bookings
    still work (mail waits in the outbox, rate limits fail open), so a load balancer must
    not take every web process out of service for them; the body says "degraded"."""
    checks = {"database": _database_ok(), "cache": _cache_ok()}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = _broker_ok()
    status = "ok" if all(checks.values()) else "degraded" if checks["database"] else "error"
    body = {"status": status} | {name: "ok" if ok else "error" for name, ok in checks.items()}
    return JsonResponse(body, status=200 if checks["database"] else 503)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _cache_ok() -> bool:
    key = "healthz:" + get_random_string(12)
    try:
        cache.set(key, "1", timeout=10)
        ok = cache.get(key) == "1"
        cache.delete(key)
        return ok
    except Exception:
        return False


def _broker_ok() -> bool:
    from joblokal.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def permission_denied(request, exception=None):
    # A coach who hits a day they do not serve goes back to their own day, not to the
    # public start page.
    user = getattr(request, "user", None)
    is_coach = bool(user and user.is_authenticated and hasattr(user, "coach"))
    return render(request, "403.html", {"back_to_my_day": is_coach}, status=403)


def server_error(request):
    return render(request, "500.html", status=500)


def ratelimited(request, exception=None):
    return render(request, "429.html", status=429)


# Leichte Sprache is not a word-for-word translation: a legal page in it is written as a
# page of its own (short sentences, explained words), under pages/leichte_sprache/.
EASY_LANGUAGE = "de-ls"
EASY_LANGUAGE_PAGES = "pages/leichte_sprache/"


def legal_templates(template_name: str, *, easy: bool) -> list[str]:
    """The templates to try for a page: its Leichte-Sprache version first when asked for."""
    if easy and template_name.startswith("pages/"):
        return [EASY_LANGUAGE_PAGES + template_name.removeprefix("pages/"), template_name]
    return [template_name]


def legal_page(template_name, page: str | None = None):
    """A public information page whose text an operator can replace (see README); the
    legal pages add the operator's own text, translated as data (LegalText)."""

    @require_GET
    def view(request):
        context = {
            "operator": settings.OPERATOR,
            "retention_days": settings.RETENTION_DAYS,
            "legal_text": LegalText.objects.filter(page=page).first() if page else None,
        }
        easy = get_language() == EASY_LANGUAGE
        return render(request, legal_templates(template_name, easy=easy), context)

    return view


privacy = legal_page("pages/privacy.html", LegalText.Page.PRIVACY)
accessibility = legal_page("pages/accessibility.html", LegalText.Page.ACCESSIBILITY)
imprint = legal_page("pages/imprint.html", LegalText.Page.IMPRINT)
easy_language = legal_page("pages/easy_language.html")
sign_language = legal_page("pages/sign_language.html")
