"""Weekday and date are joined in each language's own way: Arabic writes its own comma
"،" rather than the Latin ", " (which showed as "الأحد, 6 ديسمبر")."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation

SUNDAY = date(2026, 12, 6)
WEEKDAY_DATE = Template("{% load languages %}{{ on|weekday_date }}")


def render(on, language: str) -> str:
    with translation.override(language):
        return WEEKDAY_DATE.render(Context({"on": on}))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "Sonntag, 6. Dezember 2026"),
        ("de-ls", "Sonntag, 6. Dezember 2026"),
        ("ar", "الأحد، 6 ديسمبر"),
        ("uk", "Неділя, 06 грудня 2026 р."),
        ("tr", "Pazar, 06 Aralık 2026"),
        ("en", "Sunday, "),
    ],
)
def test_weekday_and_date_in_each_language(language, expected):
    assert render(SUNDAY, language).startswith(expected)


def test_arabic_has_no_latin_comma():
    assert "," not in render(SUNDAY, "ar")


def test_a_time_is_shown_on_its_local_day():
    late = datetime(2026, 12, 5, 23, 30, tzinfo=ZoneInfo("UTC"))  # Sunday in Berlin
    assert render(late, "de").startswith("Sonntag, 6. Dezember")


def test_nothing_for_no_date():
    assert render(None, "de") == ""


@pytest.mark.django_db
def test_the_day_page_joins_weekday_and_date_in_arabic(client, settings):
    from tests import factories

    day = factories.day()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    html = client.get(f"/tag/{day.pk}/").content.decode()
    with translation.override("ar"):
        weekday = Template("{{ on|date:'l' }}").render(Context({"on": day.date}))
    assert f"{weekday}، " in html
    assert f"{weekday}, " not in html
