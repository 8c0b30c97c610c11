"""Data texts in the reader's language, marked when they fall back to German."""

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html
from django.utils.translation import gettext

from joblokal.datatext import translated

register = template.Library()


@register.filter
def datatext(obj, field: str):
    """HTML: the translated text, or the German one in lang="de" with a note."""
    text, fallback = translated(obj, field)
    if not fallback:
        return linebreaksbr(text, autoescape=True)
    return format_html(
        '<span lang="de" dir="ltr">{}</span> <span class="datatext-german">{}</span>',
        linebreaksbr(text, autoescape=True),
        gettext("(auf Deutsch)"),
    )


@register.filter
def datatext_plain(obj, field: str) -> str:
    """Plain text for text mails."""
    text, fallback = translated(obj, field)
    return f"{text} {gettext('(auf Deutsch)')}" if fallback else text
