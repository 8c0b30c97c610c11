"""Who runs this service, for the header, the footer and the confirmation."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def operator() -> dict:
    return settings.OPERATOR
