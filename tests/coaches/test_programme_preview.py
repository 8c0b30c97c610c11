"""The admin's session preview of a cohort lists every planned date in order, the public
holidays marked in place with their names, and counts planned, left-out and held
sessions; it writes nothing."""

from datetime import date

import pytest
from django.contrib import admin
from django.utils import translation

from appointments.admin_programmes import CohortAdmin
from appointments.models import Cohort, Session
from tests import factories
from tests.coaches import programme_world as world

pytestmark = pytest.mark.django_db


def preview(cohort) -> str:
    with translation.override("de"):
        return str(CohortAdmin(Cohort, admin.site).session_preview(cohort))


@pytest.fixture
def programme(case):
    return world.programme(case.team, factories.site(case.wathlingen))


def test_a_holiday_is_listed_in_place_and_counted(programme):
    cohort = world.cohort(programme, sessions=False)  # from Monday 26 April 2027
    html = preview(cohort)
    assert (
        "<p>24 Termine im Plan. 1 fällt auf einen Feiertag und entfällt. "
        "23 Termine finden statt.</p>" in html
    )
    assert html.count("<li>") == 24
    assert (
        '<li>Montag, 17.05.2027 <strong class="holiday">fällt aus, Feiertag: Pfingstmontag'
        "</strong></li>" in html
    )
    assert html.index("Freitag, 14.05.2027") < html.index("17.05.2027")
    assert html.index("17.05.2027") < html.index("Mittwoch, 19.05.2027")
    assert html.count("(noch nicht angelegt)") == 23
    assert not Session.objects.filter(cohort=cohort).exists()


def test_without_a_holiday_the_preview_only_counts(programme):
    cohort = world.cohort(programme, starts_on=date(2027, 8, 2), sessions=False)
    html = preview(cohort)
    assert "<p>24 Termine im Plan.</p>" in html
    assert "holiday" not in html and html.count("<li>") == 24


def test_created_sessions_are_no_longer_marked_as_missing(programme):
    cohort = world.cohort(programme)
    html = preview(cohort)
    assert "noch nicht angelegt" not in html and html.count("<li>") == 24
