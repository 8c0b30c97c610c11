"""Login in German, lockout after failed logins, logout, and password reset through the
outbox (the reset link is made at send time, so no token is stored anywhere)."""

import re

import pytest
from django.core import mail
from django.test import override_settings

from appointments.models import MailKind, OutgoingMail
from tests import factories


def test_the_login_page_is_german_and_offers_a_password_reset(client):
    body = client.get("/team/anmelden/").content.decode()
    assert 'lang="de"' in body
    assert "Anmelden für Jobcoaches" in body
    assert 'href="/team/passwort/"' in body


def test_a_coach_lands_on_my_day_after_login(db, client):
    factories.coach("Alice Adler", "alice")
    response = client.post("/team/anmelden/", {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 302
    assert response["Location"] == "/team/"
    assert client.get("/team/").status_code == 200


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_wrong_passwords_lock_the_login(db, client):
    factories.coach("Alice Adler", "alice")
    for _ in range(2):
        response = client.post("/team/anmelden/", {"username": "alice", "password": "falsch"})
        assert response.status_code == 200
    response = client.post("/team/anmelden/", {"username": "alice", "password": "falsch"})
    assert response.status_code == 429
    assert "Die Anmeldung ist vorübergehend gesperrt." in response.content.decode()

    # Even the right password is refused while the lockout lasts.
    response = client.post("/team/anmelden/", {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 429
    assert client.get("/team/").status_code == 302


def test_logout_ends_the_session(db, client):
    coach = factories.coach("Alice Adler", "alice")
    client.force_login(coach.user)
    response = client.post("/team/abmelden/")
    assert response.status_code == 302
    assert client.get("/team/")["Location"].startswith("/team/anmelden/")


def _request_reset(client, email, capture):
    with capture(execute=True):
        return client.post("/team/passwort/", {"email": email})


def test_a_password_reset_goes_through_the_outbox(db, client, django_capture_on_commit_callbacks):
    coach = factories.coach("Alice Adler", "alice")

    response = _request_reset(client, "alice@example.org", django_capture_on_commit_callbacks)

    assert response["Location"] == "/team/passwort/gesendet/"
    row = OutgoingMail.objects.get(kind=MailKind.PASSWORD_RESET)
    assert row.user == coach.user
    assert row.status == "sent"
    assert row.context == {}  # no token in the outbox (and only the id went to the broker)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]
    assert message.subject == "Neues Passwort für JobLokal"
    link = re.search(r"http://\S+/team/passwort/neu/\S+/", message.body).group(0)
    assert link.split("/team/")[1] not in row.key

    # The link works once: it sets a new password, and the coach can log in with it.
    path = "/team/" + link.split("/team/", 1)[1]
    form_page = client.get(path, follow=True)
    assert "Neues Passwort festlegen" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Sonnenblume-2026", "new_password2": "Sonnenblume-2026"},
    )
    assert response["Location"] == "/team/passwort/fertig/"
    client.post("/team/abmelden/")
    login = client.post("/team/anmelden/", {"username": "alice", "password": "Sonnenblume-2026"})
    assert login["Location"] == "/team/"
    assert "Dieser Link gilt nicht mehr." in client.get(path, follow=True).content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    db, client, django_capture_on_commit_callbacks
):
    response = _request_reset(client, "niemand@example.org", django_capture_on_commit_callbacks)
    assert response["Location"] == "/team/passwort/gesendet/"
    assert not OutgoingMail.objects.exists()
    assert mail.outbox == []


def test_a_double_submit_sends_one_reset_mail(db, client, django_capture_on_commit_callbacks):
    factories.coach("Alice Adler", "alice")
    _request_reset(client, "alice@example.org", django_capture_on_commit_callbacks)
    _request_reset(client, "alice@example.org", django_capture_on_commit_callbacks)
    assert OutgoingMail.objects.filter(kind=MailKind.PASSWORD_RESET).count() == 1
    assert len(mail.outbox) == 1


def test_no_reset_mail_for_an_account_disabled_before_sending(db):
    from appointments import outbox

    coach = factories.coach("Alice Adler", "alice")
    row = OutgoingMail.objects.create(
        kind=MailKind.PASSWORD_RESET, key="password_reset:test", user=coach.user
    )
    coach.user.is_active = False
    coach.user.save(update_fields=["is_active"])
    outbox.deliver(row.pk)
    assert mail.outbox == []
    row.refresh_from_db()
    assert (row.status, row.last_error) == ("skipped", "account disabled")


@pytest.mark.parametrize("path", ["/team/anmelden/", "/admin/login/"])
def test_an_overlong_username_is_refused_without_a_500(client, db, path):
    response = client.post(path, {"username": "x" * 300, "password": "irrelevant"})
    assert response.status_code == 200
    assert "höchstens 150 Zeichen" in response.content.decode()
