"""The team's list of applications: every application to the cohorts they run, in one
place, filtered by cohort and status, with the decision buttons; nobody else's, a fixed
number of queries, and bad filter values answered with a message."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments.models import ApplicationStatus, AuditEntry, ProgrammeApplication
from appointments.services import apply_for_cohort, decide_application, publish_cohort
from tests import factories
from tests.coaches import programme_world as world

pytestmark = pytest.mark.django_db

URL = "/team/programm/bewerbungen/"


@pytest.fixture
def cohorts(case):
    """Anna's team runs two published cohorts; Bob's team runs one of its own."""
    programme = world.programme(case.team, factories.site(case.wathlingen))
    first = world.cohort(programme)
    second = world.cohort(programme, starts_on=world.START + timedelta(weeks=10))
    other = world.cohort(world.programme(case.other_team, factories.site(case.bergen)))
    for cohort in (first, second, other):
        publish_cohort(cohort=cohort)
    return first, second, other


def application(cohort, name, **fields) -> ProgrammeApplication:
    n = ProgrammeApplication.objects.count()
    return apply_for_cohort(
        cohort=cohort,
        name=name,
        email=fields.get("email", f"bewerbung{n}@example.org"),
        phone=fields.get("phone", ""),
        note=fields.get("note", ""),
        language="de",
        submission_key=f"{n:032d}",
    )


def login(coach) -> Client:
    client = Client()
    client.force_login(coach.user)
    return client


def names(response) -> list[str]:
    html = response.content.decode()
    return [name for name in ("Maria", "Jonas", "Lena", "Kemal") if f">{name}</th>" in html]


def test_the_team_sees_the_open_applications_of_all_its_cohorts(case, cohorts):
    first, second, other = cohorts
    application(first, "Maria", note="Ich kann ab 8 Uhr.")
    application(second, "Jonas", phone="+4951441234", email="")
    application(other, "Kemal")
    decided = application(first, "Lena")
    decide_application(application=decided, accept=False, coach=case.anna, user=case.anna.user)

    response = login(case.anna).get(URL)

    assert response.status_code == 200
    assert names(response) == ["Maria", "Jonas"]  # open ones, oldest first; not Bob's
    html = response.content.decode()
    assert "Ich kann ab 8 Uhr." in html and "+4951441234" in html
    assert html.count('name="decision" value="accept"') == 2
    assert f'href="/team/programm/durchgaenge/{second.pk}/#applications"' in html
    assert AuditEntry.objects.filter(
        user=case.anna.user, detail="applications pending cohort all"
    ).exists()


def test_the_list_filters_by_cohort_and_status(case, cohorts):
    first, second, _other = cohorts
    application(first, "Maria")
    application(second, "Jonas")
    lena = application(first, "Lena")
    decide_application(application=lena, accept=True, coach=case.anna, user=case.anna.user)
    client = login(case.anna)

    assert names(client.get(URL, {"cohort": first.pk})) == ["Maria"]
    assert names(client.get(URL, {"status": "accepted"})) == ["Lena"]
    assert names(client.get(URL, {"status": "all", "cohort": first.pk})) == ["Maria", "Lena"]
    assert names(client.get(URL, {"status": "declined"})) == []
    assert (
        "Keine Bewerbungen mit dieser Auswahl."
        in client.get(URL, {"status": "declined"}).content.decode()
    )


def test_an_administrator_sees_every_cohort_and_bob_only_his(case, cohorts):
    first, _second, other = cohorts
    application(first, "Maria")
    application(other, "Kemal")
    admin = Client()
    admin.force_login(factories.user(is_staff=True, is_superuser=True))
    assert names(admin.get(URL)) == ["Maria", "Kemal"]
    assert names(login(case.bob).get(URL)) == ["Kemal"]
    # Bob cannot reach Anna's cohort through the filter either.
    response = login(case.bob).get(URL, {"cohort": first.pk})
    assert response.status_code == 400 and "Maria" not in response.content.decode()


def test_users_without_a_programme_are_refused(case, cohorts):
    staff_only = Client()
    staff_only.force_login(factories.user(is_staff=True))
    assert staff_only.get(URL).status_code == 403
    outsider = factories.coach("Olga Outside", "olga")
    assert login(outsider).get(URL).status_code == 403
    assert Client().get(URL).status_code == 302


def test_an_erased_application_is_not_listed(case, cohorts):
    first, *_ = cohorts
    application(first, "Maria")
    ProgrammeApplication.objects.update(name="", email="", anonymised_at=timezone.now())
    assert "Keine Bewerbungen" in login(case.anna).get(URL).content.decode()


def test_deciding_from_the_list_comes_back_to_the_list(case, cohorts):
    first, *_ = cohorts
    maria = application(first, "Maria")
    client = login(case.anna)
    response = client.post(
        reverse("coaches:decide_application", args=[maria.pk]),
        {"decision": "accept", "back": "list"},
    )
    assert response.status_code == 302 and response["Location"] == URL
    maria.refresh_from_db()
    assert maria.status == ApplicationStatus.ACCEPTED
    # Any other value of "back" goes to the cohort page, never to a URL from the form.
    jonas = application(first, "Jonas")
    response = client.post(
        reverse("coaches:decide_application", args=[jonas.pk]),
        {"decision": "decline", "back": "https://evil.example/"},
    )
    assert response["Location"] == f"/team/programm/durchgaenge/{first.pk}/#applications"


# Session, user and coach; the access check; the cohorts of the filter; the coach again
# and the applications with their cohorts, programmes and sites; the audit entry.
def test_the_list_runs_a_fixed_number_of_queries(case, cohorts, django_assert_num_queries):
    first, second, _other = cohorts
    client = login(case.anna)
    client.get(URL)  # warm the session
    for size in (5, 25):
        while ProgrammeApplication.objects.exclude(cohort=cohorts[2]).count() < size:
            n = ProgrammeApplication.objects.count()
            application(first if n % 2 else second, f"Person {n}")
        with django_assert_num_queries(8):
            page = client.get(URL)
        assert page.content.decode().count('value="accept"') == size


HOSTILE = [
    "-1",
    "0",
    "2147483648",
    "9223372036854775808",
    "1" * 40,
    "0x10",
    "../../etc/passwd",
    "{{ settings.SECRET_KEY }}",
    "${7*7}<script>alert(1)</script>",
    "A" * 5000,
    "\u202eevil\u202c",
    "\x00",
    "'; DROP TABLE appointments_programmeapplication; --",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_filter_values_get_a_message_and_never_500(case, cohorts, value):
    first, *_ = cohorts
    application(first, "Maria")
    before = list(ProgrammeApplication.objects.values())
    client = login(case.anna)
    for query in ({"cohort": value}, {"status": value}, {"cohort": value, "status": value}):
        response = client.get(URL, query)
        assert response.status_code == 400, query
        html = response.content.decode()
        assert "Bitte prüfen Sie Ihre Angaben." in html
        assert "aus der Liste" in html
        assert "<script>alert(1)</script>" not in html
        assert names(response) == ["Maria"]  # the default list stays readable
    assert list(ProgrammeApplication.objects.values()) == before
