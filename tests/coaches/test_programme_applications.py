"""The public application for a programme place: no account, the booking form's rules on
bad input, honeypot and rate limit, a confirmation for the session that applied, and
erasure on the bookings' schedule."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments.models import ApplicationStatus, Cohort, ProgrammeApplication
from appointments.services import erase_expired_personal_data, publish_cohort
from tests import factories
from tests.coaches import programme_world as world

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(case) -> Cohort:
    made = world.cohort(world.programme(case.team, factories.site(case.wathlingen), capacity=2))
    publish_cohort(cohort=made)
    return made


def form_data(**fields):
    data = {
        "name": "Maria Muster",
        "email": "maria@example.org",
        "phone": "",
        "note": "Ich möchte wieder arbeiten.",
        "consent": "on",
        "website": "",
        "submission_key": "a" * 32,
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def apply(client, cohort, remote_addr="127.0.0.1", **fields):
    return client.post(
        f"/programm/{cohort.pk}/bewerben/", form_data(**fields), REMOTE_ADDR=remote_addr
    )


def test_a_person_applies_without_an_account_and_sees_a_confirmation(cohort):
    client = Client()
    page = client.get(f"/programm/{cohort.pk}/bewerben/").content.decode()
    assert "Durchstarten" in page and 'href="/datenschutz/"' in page
    assert 'name="submission_key"' in page

    response = apply(client, cohort)

    assert response.status_code == 302
    assert response["Location"] == f"/programm/{cohort.pk}/beworben/"
    application = ProgrammeApplication.objects.get()
    assert application.status == ApplicationStatus.PENDING
    assert (application.name, application.email) == ("Maria Muster", "maria@example.org")
    cohort.refresh_from_db()
    assert cohort.places_taken == 0  # an application is not a place
    confirmation = client.get(response["Location"])
    assert "maria@example.org" in confirmation.content.decode()
    # Another browser does not see it.
    assert Client().get(response["Location"]).status_code == 404


def test_the_same_form_posted_twice_stores_one_application(cohort):
    client = Client()
    assert apply(client, cohort).status_code == 302
    assert apply(client, cohort).status_code == 302
    assert ProgrammeApplication.objects.count() == 1


def test_a_second_application_with_the_same_address_is_refused_kindly(cohort):
    apply(Client(), cohort)
    response = apply(Client(), cohort, submission_key="b" * 32, email="MARIA@example.org")
    assert response.status_code == 200
    assert "schon bei uns" in response.content.decode()
    assert ProgrammeApplication.objects.count() == 1


def test_a_phone_number_is_enough_and_stored_in_one_spelling(cohort):
    response = apply(Client(), cohort, email="", phone="05144 12345")
    assert response.status_code == 302
    assert ProgrammeApplication.objects.get().phone == "+49514412345"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"name": ""}, "Geben Sie Ihren Namen ein."),
        ({"name": "Maria\u202eevil"}, "Bitte nur eine Zeile"),
        ({"email": "", "phone": ""}, "Ohne E-Mail brauchen wir Ihre Telefonnummer"),
        ({"email": "nicht-gueltig"}, "Diese E-Mail-Adresse stimmt nicht."),
        ({"email": "", "phone": "abc 123"}, "Bitte nur Ziffern"),
        ({"note": "A\x07B"}, "Der Text enthält ein Zeichen"),
        ({"note": "x" * 1001}, "1000"),
        ({"consent": None}, "Bitte stimmen Sie der Datenschutz-Erklärung zu."),
        ({"website": "http://spam.example"}, "Die Anfrage konnte nicht gesendet werden."),
    ],
)
def test_bad_input_gets_a_clear_message_and_stores_nothing(cohort, fields, message):
    response = apply(Client(), cohort, **fields)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ProgrammeApplication.objects.exists()


def test_posts_are_rate_limited_per_address(cohort):
    client = Client()
    statuses = [
        apply(client, cohort, consent=None, remote_addr="10.2.1.1").status_code for _ in range(21)
    ]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429
    assert apply(client, cohort, remote_addr="10.2.1.2").status_code == 302


def test_draft_cancelled_and_full_cohorts_take_no_applications(case, cohort):
    draft = world.cohort(cohort.programme, starts_on=world.START + timedelta(weeks=10))
    assert Client().get(f"/programm/{draft.pk}/bewerben/").status_code == 404
    assert apply(Client(), draft).status_code == 404

    Cohort.objects.filter(pk=cohort.pk).update(places_taken=2)
    page = Client().get(f"/programm/{cohort.pk}/bewerben/").content.decode()
    assert "keine Bewerbungen mehr" in page
    response = apply(Client(), cohort)
    assert response.status_code == 200
    assert "keine Bewerbungen mehr" in response.content.decode()
    assert not ProgrammeApplication.objects.exists()


def test_applications_are_erased_on_the_bookings_schedule(cohort):
    apply(Client(), cohort)
    last = cohort.sessions.order_by("-ends_at").first().ends_at

    kept = erase_expired_personal_data(now=last + timedelta(days=89))
    assert kept["applications"] == 0
    assert ProgrammeApplication.objects.get().email == "maria@example.org"

    erased = erase_expired_personal_data(now=last + timedelta(days=91))
    assert erased["applications"] == 1
    application = ProgrammeApplication.objects.get()
    assert (application.name, application.email, application.phone, application.note) == (
        "",
        "",
        "",
        "",
    )
    assert application.anonymised_at is not None
    assert application.status == ApplicationStatus.PENDING  # what is counted stays
    assert timezone.now() < last


def test_the_team_accepts_and_declines_and_each_decision_mails_once(
    case, cohort, django_capture_on_commit_callbacks
):
    from django.core import mail

    from appointments.models import AuditEntry, MailKind, OutgoingMail

    apply(Client(), cohort)
    apply(Client(), cohort, submission_key="b" * 32, email="", phone="05144 12345")
    first, second = ProgrammeApplication.objects.order_by("pk")
    client = Client()
    client.force_login(case.anna.user)
    page = client.get(reverse("coaches:cohort", args=[cohort.pk])).content.decode()
    assert "Maria Muster" in page and "Annehmen" in page

    url = reverse("coaches:decide_application", args=[first.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"decision": "accept"}).status_code == 302
        client.post(url, {"decision": "decline"})  # decided already: nothing changes
    first.refresh_from_db()
    assert first.status == ApplicationStatus.ACCEPTED and first.decided_by == case.anna
    answers = OutgoingMail.objects.exclude(application=None).exclude(
        kind=MailKind.APPLICATION_RECEIVED
    )
    assert [m.kind for m in answers] == [MailKind.APPLICATION_ACCEPTED]
    sent = [m for m in mail.outbox if m.to == ["maria@example.org"]]
    assert len(sent) == 1
    assert "Zusage" in sent[0].subject and "Maria Muster" in sent[0].body
    assert AuditEntry.objects.filter(detail__contains=f"application {first.pk}").count() == 1

    # Without an address there is no mail; the team calls instead.
    url = reverse("coaches:decide_application", args=[second.pk])
    client.post(url, {"decision": "decline"})
    second.refresh_from_db()
    assert second.status == ApplicationStatus.DECLINED
    assert answers.count() == 1
    cohort.refresh_from_db()
    assert cohort.places_taken == 0


def test_the_decline_mail_is_in_the_applicants_language(case, cohort):
    from appointments.messages import build_message
    from appointments.models import MailKind, OutgoingMail
    from appointments.services import decide_application

    Client().post(f"/programm/{cohort.pk}/bewerben/", form_data(), HTTP_ACCEPT_LANGUAGE="uk")
    application = ProgrammeApplication.objects.get()
    assert application.language == "uk"
    decide_application(application=application, accept=False, coach=None, user=case.anna.user)
    message = build_message(OutgoingMail.objects.get(kind=MailKind.APPLICATION_DECLINED))
    assert "Durchstarten" in message.subject
    assert "Добрий день" in message.body or "Maria Muster" in message.body


@pytest.mark.parametrize("decision", ["", "maybe", "accept\x00"])
def test_a_bad_decision_changes_nothing(case, cohort, decision):
    apply(Client(), cohort)
    application = ProgrammeApplication.objects.get()
    client = Client()
    client.force_login(case.anna.user)
    response = client.post(
        reverse("coaches:decide_application", args=[application.pk]), {"decision": decision}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING


def test_a_coach_outside_the_team_cannot_decide(case, cohort):
    apply(Client(), cohort)
    application = ProgrammeApplication.objects.get()
    client = Client()
    client.force_login(case.bob.user)
    url = reverse("coaches:decide_application", args=[application.pk])
    assert client.post(url, {"decision": "accept"}).status_code == 403
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING
