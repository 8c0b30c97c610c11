"""The language switch's choices for the current page."""

from django import template
from django.conf import settings
from django.template.defaultfilters import date
from django.utils.translation import get_language_info

from joblokal.languages import HTML_LANG, comma, languages_for

register = template.Library()

# The name each language gives itself, where Django's differs from common usage.
NAME_LOCAL = {"ar": "العربية", "de-ls": "Leichte Sprache"}


@register.simple_tag(takes_context=True)
def switch_languages(context) -> list[dict]:
    request = context.get("request")
    path = request.path_info if request else "/"
    return [
        get_language_info(code)
        | {"code": code, "html_lang": html_lang(code)}
        | ({"name_local": NAME_LOCAL[code]} if code in NAME_LOCAL else {})
        for code, _name in languages_for(path)
    ]


@register.filter
def html_lang(code: str) -> str:
    """The language code for lang attributes (Leichte Sprache is German)."""
    return HTML_LANG.get(code, code)


@register.filter
def client_language(code: str) -> str:
    """The client's language for staff pages, e.g. "Ukrainisch (Українська)"; empty for
    German, the language every staff member reads."""
    if not code or code == "de":
        return ""
    names = dict(settings.LANGUAGES)
    if code not in names:
        return code
    local = NAME_LOCAL.get(code) or get_language_info(code)["name_local"]
    name = str(names[code])
    return name if name == local else f"{name} ({local})"


@register.simple_tag(name="comma")
def comma_tag() -> str:
    """The comma of the active language ("،" in Arabic)."""
    return comma()


@register.filter(expects_localtime=True)
def weekday_date(value) -> str:
    """The weekday and the date in the active language's format, joined by its comma,
    e.g. "Sonntag, 6. Dezember 2026" or "الأحد، 6 ديسمبر 2026"."""
    if not value:
        return ""
    return f"{date(value, 'l')}{comma()} {date(value, 'DATE_FORMAT')}"
