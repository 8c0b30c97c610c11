"""Which languages a page offers: clients choose among all of them, while staff pages
(the coaches' pages under /team/ and the admin) are kept in German and English only."""

from django.conf import settings
from django.utils import translation

# Languages offered on the client pages, mails and calendar entries only.
CLIENT_ONLY_LANGUAGES = ("uk", "ar", "tr", "de-ls")
# Leichte Sprache is German: documents in it say lang="de".
HTML_LANG = {"de-ls": "de"}
STAFF_FALLBACK_LANGUAGE = "de"
# The comma between the parts of a date, where a language writes its own.
COMMA = {"ar": "،"}


def comma() -> str:
    """The comma of the active language, e.g. between a weekday and its date."""
    return COMMA.get(translation.get_language(), ",")


def is_staff_path(path: str) -> bool:
    return path.startswith(("/team/", f"/{settings.ADMIN_URL}"))


def languages_for(path: str) -> list[tuple[str, str]]:
    """The language choices to show on the page at this path."""
    if is_staff_path(path):
        return [
            (code, name) for code, name in settings.LANGUAGES if code not in CLIENT_ONLY_LANGUAGES
        ]
    return list(settings.LANGUAGES)


class StaffLanguageMiddleware:
    """Show staff pages in German while a client-only language is active. The choice
    stays in the cookie, so the client pages keep speaking the client's language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_staff_path(request.path_info) and (
            translation.get_language() in CLIENT_ONLY_LANGUAGES
        ):
            translation.activate(STAFF_FALLBACK_LANGUAGE)
            request.LANGUAGE_CODE = STAFF_FALLBACK_LANGUAGE
        return self.get_response(request)
