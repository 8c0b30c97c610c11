"""Programme pages: the register with one tap per mark, enrolling from the person's page,
leaving with a job start, the figures, refusals and the query budgets."""

import pytest
from django.test import Client
from django.urls import reverse

from appointments.models import AuditEntry, Enrolment, LeaveReason, Mark
from appointments.services import enrol_person, mark_session
from tests import factories
from tests.coaches import programme_world as world

pytestmark = pytest.mark.django_db


def login(coach) -> Client:
    client = Client()
    client.force_login(coach.user)
    return client


@pytest.fixture
def cohort(case):
    return world.cohort(world.programme(case.team, factories.site(case.wathlingen), capacity=30))


def participants(case, cohort, n):
    persons = [world.person(case.team, case.wathlingen) for _ in range(n)]
    return [enrol_person(person=p, cohort=cohort, coach=case.anna) for p in persons]


def test_a_coach_enrols_a_person_from_the_person_page(case, person, cohort):
    client = login(case.anna)
    page = client.get(reverse("coaches:person", args=[person.pk]))
    assert reverse("coaches:enrol", args=[person.pk]) in page.content.decode()

    response = client.post(reverse("coaches:enrol", args=[person.pk]), {"cohort": cohort.pk})

    assert response.status_code == 302
    assert Enrolment.objects.filter(person=person, cohort=cohort).exists()
    page = client.get(reverse("coaches:person", args=[person.pk])).content.decode()
    assert "Durchstarten" in page
    again = client.post(reverse("coaches:enrol", args=[person.pk]), {"cohort": cohort.pk})
    assert again.status_code == 400
    assert "schon dabei" in again.content.decode()


@pytest.mark.parametrize("cohort_value", ["", "abc", "99999999999999", "-1"])
def test_bad_enrol_input_gets_a_message(case, person, cohort, cohort_value):
    response = login(case.anna).post(
        reverse("coaches:enrol", args=[person.pk]), {"cohort": cohort_value}
    )
    assert response.status_code == 400
    assert "Bitte wählen Sie einen Durchgang" in response.content.decode()


def test_the_register_marks_with_one_tap_each(case, cohort):
    (enrolment,) = participants(case, cohort, 1)
    session = cohort.sessions.first()
    client = login(case.anna)
    url = reverse("coaches:session_register", args=[session.pk])
    page = client.get(url).content.decode()
    assert 'name="mark" value="absent"' in page

    response = client.post(
        reverse("coaches:mark_session", args=[session.pk]),
        {"enrolment": enrolment.pk, "mark": "absent"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{url}#p{enrolment.pk}"
    assert enrolment.attendances.get(session=session).mark == Mark.ABSENT
    for bad in ({"enrolment": enrolment.pk, "mark": "late"}, {"enrolment": "x"}, {}):
        refused = client.post(reverse("coaches:mark_session", args=[session.pk]), bad)
        assert refused.status_code == 400
        assert "Bitte wählen Sie anwesend" in refused.content.decode()


def test_a_participant_leaves_with_a_job_start_and_the_figures_show_it(case, cohort):
    first, second = participants(case, cohort, 2)
    client = login(case.anna)
    today = first.enrolled_on

    response = client.post(
        reverse("coaches:leave_programme", args=[first.pk]),
        {"reason": LeaveReason.JOB_START, "on": today.isoformat()},
    )

    assert response.status_code == 302
    cohort_page = client.get(reverse("coaches:cohort", args=[cohort.pk])).content.decode()
    assert "1 von 2 in Arbeit" in cohort_page
    assert "(50 %)" in cohort_page
    figures = client.get(reverse("coaches:programme_figures")).content.decode()
    assert "1 von 2" in figures
    assert '<svg role="img"' in figures and "50 %" in figures
    csv = client.get(reverse("coaches:programme_figures_csv")).content.decode()
    assert "Durchstarten 26.04.2027" in csv.splitlines()[1]
    assert ",1,0,50 %," in csv.splitlines()[1]
    for by, label in [("programme", "Durchstarten,"), ("month", "04/2027,"), ("year", "2027,")]:
        url = reverse("coaches:programme_figures_csv") + f"?je={by}"
        line = client.get(url).content.decode().splitlines()[1]
        assert line.startswith(label) and ",1,0,50 %," in line, line


def test_a_coach_outside_the_team_is_refused_and_looks_are_logged(case, cohort):
    participants(case, cohort, 1)
    session = cohort.sessions.first()
    bob = login(case.bob)
    assert bob.get(reverse("coaches:cohort", args=[cohort.pk])).status_code == 403
    assert bob.get(reverse("coaches:session_register", args=[session.pk])).status_code == 403
    staff_only = Client()
    staff_only.force_login(factories.user(is_staff=True))
    assert staff_only.get(reverse("coaches:cohort", args=[cohort.pk])).status_code == 403

    login(case.anna).get(reverse("coaches:cohort", args=[cohort.pk]))
    assert AuditEntry.objects.filter(action="view_cohort", user=case.anna.user).exists()


# Session, user and coach, the access check, the participants with their marks and the
# audit entries; the figures: session, user and coach, the access check and two counts;
# the cohort page: its participants, sessions, figures, open applications and audit entries.
def test_the_register_and_the_figures_run_a_fixed_number_of_queries(
    case, cohort, django_assert_num_queries
):
    session = cohort.sessions.first()
    client = login(case.anna)
    register = reverse("coaches:session_register", args=[session.pk])
    figures = reverse("coaches:programme_figures")
    for size in (5, 25):
        for enrolment in participants(case, cohort, size - cohort.enrolments.count()):
            mark_session(enrolment=enrolment, session=session, mark=Mark.ABSENT, coach=case.anna)
        assert Enrolment.objects.filter(cohort=cohort).count() == size
        client.get(register)  # warm the session
        with django_assert_num_queries(9):
            page = client.get(register)
        assert page.content.decode().count('name="enrolment"') == size
        with django_assert_num_queries(6):
            assert client.get(figures).status_code == 200
        with django_assert_num_queries(14):
            assert client.get(reverse("coaches:cohort", args=[cohort.pk])).status_code == 200


@pytest.mark.parametrize(
    "value", ["-1", "2147483648", "A" * 5000, "{{ settings.SECRET_KEY }}", "\u202eevil", "%00"]
)
def test_hostile_programme_input_never_500s_and_changes_nothing(case, person, cohort, value):
    (enrolment,) = participants(case, cohort, 1)
    session = cohort.sessions.first()
    client = login(case.anna)
    posts = [
        (reverse("coaches:enrol", args=[person.pk]), {"cohort": value}),
        (reverse("coaches:mark_session", args=[session.pk]), {"enrolment": value, "mark": value}),
        (
            reverse("coaches:leave_programme", args=[enrolment.pk]),
            {"reason": value, "on": value, "note": value},
        ),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 400
    enrolment.refresh_from_db()
    assert enrolment.status == "active"
    assert not enrolment.attendances.exists()
    assert not Enrolment.objects.filter(person=person).exists()


def test_a_former_participant_visit_is_counted_on_the_cohort_page(case, cohort):
    session = cohort.sessions.first()
    client = login(case.anna)

    for _ in range(2):
        response = client.post(reverse("coaches:former_visit", args=[session.pk]))
        assert response.status_code == 302

    register = client.get(reverse("coaches:session_register", args=[session.pk])).content
    assert "2 Besuche heute." in register.decode()
    page = client.get(reverse("coaches:cohort", args=[cohort.pk])).content.decode()
    assert "Besuche früherer Teilnehmender: 2" in page
    refused = login(case.bob).post(reverse("coaches:former_visit", args=[session.pk]))
    assert refused.status_code == 403
