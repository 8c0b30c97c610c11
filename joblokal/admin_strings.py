"""Strings of Django 6.1's admin that Django's own German catalogue does not translate
yet. Listed here so that `make messages` keeps them in our catalogues (which take
precedence over Django's); nothing imports this module."""

from django.utils.translation import gettext_noop

ADMIN_STRINGS = [
    gettext_noop("- Select an option -"),
    gettext_noop("Run"),
    gettext_noop("Filter by %(field_name)s"),
    gettext_noop("Search %(name)s"),
    gettext_noop("Pagination %(name)s"),
    gettext_noop("Pagination %(name)s entries"),
    gettext_noop("entries"),
    gettext_noop("Logout"),
]
