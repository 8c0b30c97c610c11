"""Issue 12's smaller defects, each with the attack that found it: admin audit, CSV
formulas, invisible and control characters, staff sessions, the password-reset limit."""

import csv
import io
import time

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from appointments.forms import BookingForm, WaitlistForm
from appointments.models import AuditAction, AuditEntry, OutgoingMail, WaitlistEntry
from appointments.services import join_waitlist
from joblokal.middleware import LAST_SEEN
from locations.models import Municipality
from tests import factories
from tests.appointments.test_statistics import URL_QUERY, fixture, staff_client  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(user)
    client.user = user
    return client


# --- 8. Admin views of personal data are audited ---------------------------------------


def test_opening_a_waiting_list_entry_in_the_admin_is_audited(root):
    day = factories.day(seats=1)
    for slot in day.slots.all():
        factories.booking(slot)
    entry = join_waitlist(day=day, name="Wera Warteliste", email="wera@example.org")
    body = root.get(f"/admin/appointments/waitlistentry/{entry.pk}/change/").content.decode()
    assert "Wera Warteliste" in body
    audit = AuditEntry.objects.get(action=AuditAction.VIEW_WAITLIST)
    assert (audit.user, audit.day_id) == (root.user, day.pk)
    assert str(entry.pk) in audit.detail and "Wera" not in audit.detail


def test_opening_an_outgoing_mail_in_the_admin_is_audited(root):
    booking, _ = factories.booking(factories.day().slots.first())
    mail = OutgoingMail.objects.get(booking=booking)
    root.get(f"/admin/appointments/outgoingmail/{mail.pk}/change/")
    audit = AuditEntry.objects.get()
    assert (audit.action, audit.booking) == (AuditAction.VIEW_BOOKING, booking)


def test_a_refused_look_is_not_logged_as_a_look(client):
    stranger = get_user_model().objects.create_user("s", is_staff=True)
    client.force_login(stranger)
    day = factories.day(seats=1)
    for slot in day.slots.all():
        factories.booking(slot)
    entry = join_waitlist(day=day, name="Wera", email="wera@example.org")
    response = client.get(f"/admin/appointments/waitlistentry/{entry.pk}/change/")
    assert response.status_code in (302, 403)
    assert not AuditEntry.objects.exists()
    assert WaitlistEntry.objects.count() == 1


# --- 9. CSV formula injection -----------------------------------------------------------


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x";"y")', "+1", "-1+2", "@SUM(A1)", "\tx"])
def test_a_municipality_name_never_reaches_the_csv_as_a_formula(name, fixture, staff_client):  # noqa: F811
    Municipality.objects.filter(name="Bergen").update(name=name)
    response = staff_client.get(reverse("admin:appointments_statistics_csv") + URL_QUERY)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert ["'" + name] == [row[0] for row in rows if row[0].endswith(name)]
    assert not any(row[0].startswith(("=", "+", "-", "@", "\t")) for row in rows)


# --- 10. Invisible and control characters -------------------------------------------------


def booking_form(day, **fields):
    data = {"name": "Maria", "email": "maria@example.org", "consent": "on"} | fields
    return BookingForm(data, day=day)


@pytest.mark.parametrize(
    "name",
    ["Ma\u200bria", "Maria\u2060", "\ufeffMaria", "Ma\u00adria", "Ma\u200dria", "Mar\u200cia"],
)
def test_invisible_characters_in_a_name_are_refused(name):
    form = booking_form(factories.day(), name=name)
    assert not form.is_valid() and "name" in form.errors


@pytest.mark.parametrize("name", ["Ayşe 👩\u200d👧", "می\u200cخواهم", "Nasrin Ahmadi"])
def test_joiners_where_a_script_needs_them_are_welcome(name):
    assert booking_form(factories.day(), name=name).is_valid()


@pytest.mark.parametrize("email", ['"a\x0bb"@example.org', '"a\x7fb"@example.org'])
def test_an_email_with_a_control_character_is_refused_at_the_form(email):
    day = factories.day()
    assert "email" in booking_form(day, email=email).errors
    waitlist = WaitlistForm({"name": "Maria", "email": email, "consent": "on"})
    assert "email" in waitlist.errors


def test_a_phone_number_that_cannot_exist_is_refused_and_a_real_one_normalised():
    day = factories.day()
    assert "phone" in booking_form(day, email="", phone="12345").errors
    form = booking_form(day, email="", phone="05144 123456")
    assert form.is_valid() and form.cleaned_data["phone"] == "+495144123456"


# --- 10. Staff sessions on shared PCs ------------------------------------------------------


def test_staff_sessions_last_eight_hours_and_end_with_the_browser(settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_the_admin_asks_for_the_password_again_after_30_idle_minutes(root):
    assert root.get("/admin/").status_code == 200
    session = root.session
    session[LAST_SEEN] = time.time() - 31 * 60
    session.save()
    response = root.get("/admin/appointments/booking/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert root.get("/admin/").status_code == 302  # logged out, not just redirected


def test_an_active_admin_stays_logged_in(root):
    session = root.session
    session[LAST_SEEN] = time.time() - 29 * 60
    session.save()
    assert root.get("/admin/").status_code == 200


# --- 10. Password reset is rate limited ----------------------------------------------------


def test_the_password_reset_form_is_rate_limited(client):
    url = reverse("coaches:password_reset")
    codes = [client.post(url, {"email": f"x{n}@example.org"}).status_code for n in range(7)]
    assert codes[:5] == [302] * 5 and codes[5:] == [429, 429]
