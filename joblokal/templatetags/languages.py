"""The language switch's choices for the current page."""

from django import template
from django.utils.translation import get_language_info

from joblokal.languages import languages_for

register = template.Library()

# The name each language gives itself, where Django's differs from common usage.
NAME_LOCAL = {"ar": "العربية"}


@register.simple_tag(takes_context=True)
def switch_languages(context) -> list[dict]:
    request = context.get("request")
    path = request.path_info if request else "/"
    return [
        get_language_info(code) | {"code": code, "name_local": NAME_LOCAL.get(code)}
        if code in NAME_LOCAL
        else get_language_info(code) | {"code": code}
        for code, _name in languages_for(path)
    ]


@register.filter
def client_language(code: str) -> str:
    """The client's language for staff pages, e.g. "Ukrainisch (Українська)"; empty for
    German, the language every staff member reads."""
    if not code or code == "de":
        return ""
    try:
        info = get_language_info(code)
    except KeyError:
        return code
    local = NAME_LOCAL.get(code, info["name_local"])
    return f"{info['name_translated']} ({local})"
