"""An application is answered at once with a receipt: it has arrived, what happens next,
and the operator's phone. The receipt is queued through the outbox in the transaction
that stores the application, so there is never one without the other, and it speaks the
applicant's language."""

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from appointments.models import MailKind, OutgoingMail, ProgrammeApplication
from appointments.services import applications, publish_cohort
from tests import factories
from tests.coaches import programme_world as world
from tests.coaches.test_programme_applications import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(case):
    made = world.cohort(world.programme(case.team, factories.site(case.wathlingen)))
    publish_cohort(cohort=made)
    return made


def apply(cohort, language="de", **fields):
    return Client().post(
        f"/programm/{cohort.pk}/bewerben/", form_data(**fields), HTTP_ACCEPT_LANGUAGE=language
    )


def receipts():
    return OutgoingMail.objects.filter(kind=MailKind.APPLICATION_RECEIVED)


def test_an_application_is_answered_with_one_receipt(cohort, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert apply(cohort).status_code == 302
        assert apply(cohort).status_code == 302  # the same form sent twice
    application = ProgrammeApplication.objects.get()
    receipt = receipts().get()
    assert receipt.application == application
    assert receipt.key == f"application_received:{application.pk}"
    [message] = mail.outbox
    assert message.to == ["maria@example.org"]
    assert message.subject == "Ihre Bewerbung ist angekommen: Durchstarten"
    assert "Guten Tag Maria Muster," in message.body
    assert "So geht es weiter" in message.body
    assert "ob Sie mitmachen können" in message.body
    assert "Das ist noch keine Zusage." in message.body
    assert f"Fragen? Rufen Sie an: {settings.OPERATOR['phone']}" in message.body
    html = message.alternatives[0].content
    assert '<html lang="de">' in html and "So geht es weiter" in html


@pytest.mark.parametrize(
    "language, subject, next_step",
    [
        ("uk", "Ваша заявка надійшла", "Команда програми прочитає вашу заявку."),
        ("ar", "وصل طلبك", "يقرأ فريق البرنامج طلبك."),
        ("tr", "Başvurunuz bize ulaştı", "Program ekibi başvurunuzu okur."),
        ("en", "Your application has arrived", "The programme team reads your application."),
        ("de-ls", "Ihre Bewerbung ist bei uns", "Dann wissen Sie: Kann ich mitmachen?"),
    ],
)
def test_the_receipt_speaks_the_applicants_language(
    cohort, django_capture_on_commit_callbacks, language, subject, next_step
):
    with django_capture_on_commit_callbacks(execute=True):
        apply(cohort, language=language)
    assert ProgrammeApplication.objects.get().language == language
    [message] = mail.outbox
    assert message.subject.startswith(subject)
    assert next_step in message.body
    assert "So geht es weiter" not in message.body


def test_without_an_address_there_is_no_receipt(cohort, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert apply(cohort, email="", phone="05144 12345").status_code == 302
    assert ProgrammeApplication.objects.count() == 1
    assert not receipts().exists() and mail.outbox == []


def test_a_refused_application_queues_no_receipt(cohort, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        apply(cohort)
        response = apply(cohort, submission_key="b" * 32)  # the same address again
    assert "schon bei uns" in response.content.decode()
    assert receipts().count() == 1 and len(mail.outbox) == 1


def test_application_and_receipt_are_stored_together_or_not_at_all(cohort, monkeypatch):
    def broken_outbox(**kwargs):
        OutgoingMail.objects.create(kind=kwargs["kind"], key=kwargs["key"])
        raise RuntimeError("outbox write failed")

    monkeypatch.setattr(applications, "queue_mail", broken_outbox)
    with pytest.raises(RuntimeError):
        applications.apply_for_cohort(
            cohort=cohort,
            name="Maria Muster",
            email="maria@example.org",
            phone="",
            note="",
            language="de",
            submission_key="c" * 32,
        )
    assert not ProgrammeApplication.objects.exists()
    assert not receipts().exists()
