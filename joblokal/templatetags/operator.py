"""Who runs this service, for the header, the footer and the confirmation."""

import re

from django import template
from django.conf import settings
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def operator() -> dict:
    return settings.OPERATOR


@register.simple_tag
def operator_phone_link() -> str:
    """The operator's phone number as a link a phone can call with one tap."""
    phone = settings.OPERATOR.get("phone", "")
    number = re.sub(r"[^\d+]", "", phone)
    return format_html('<a class="tap" href="tel:{}">{}</a>', number, phone) if number else phone
