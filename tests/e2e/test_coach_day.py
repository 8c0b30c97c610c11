"""A coach's counselling day in real Chromium: log in, see the day, mark attendance, add a
walk-in, record an outcome with a follow-up, find it in "Nachfassen", print the day.
Every page passes axe-core (WCAG 2.1 A/AA) and the Nu Html Checker."""

from datetime import time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from appointments.links import password_reset_url
from appointments.management.commands.seed_demo import DEMO_PASSWORD
from appointments.models import AuditEntry, Booking, BookingStatus, OutreachDay
from appointments.services import ClientDetails, create_day, publish_day
from coaches.models import Specialism, Team
from locations.models import Site
from tests.e2e.conftest import assert_accessible
from tests.personas import book

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_today(db):
    """The demo data, plus today's day in Wathlingen with the demo clients booked, so the
    coach can mark attendance (that only works on the day itself)."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    team = Team.objects.get(name="Team Celle Nord")
    site = Site.objects.get(municipality__slug="wathlingen")
    # The demo's own day today makes way for this test's smaller, known one.
    demo = OutreachDay.objects.get(site=site, date=timezone.localdate())
    demo.bookings.all().delete()
    demo.delete()
    day = create_day(site=site, on=timezone.localdate(), start=time(9), end=time(12), team=team)
    publish_day(day=day)
    family = Specialism.objects.get(slug="familie-und-beruf")
    slots = list(day.slots.order_by("starts_at"))
    for slot, client in zip(
        slots[1::2],
        [
            ClientDetails(
                name="Maria Schulz",
                email="maria.schulz@example.org",
                need_child=True,
                topics=[family],
                note="Ich kann erst ab 9 Uhr, weil ich mein Kind in die Kita bringe.",
            ),
            ClientDetails(name="Jan Peters", phone="05144 123456"),
            ClientDetails(
                name="Olena Kovalenko",
                email="olena@example.org",
                interpreter_language="Ukrainisch",
            ),
        ],
        strict=False,
    ):
        book(slot, **client.__dict__)
    return day


def _card(page, name):
    return page.locator("article.booking", has=page.get_by_role("heading", name=name))


def test_a_coach_works_through_the_day(page, html_pages, demo_today):
    today = timezone.localdate()

    page.goto("/team/")
    assert page.locator("h1").inner_text() == "Anmelden für Jobcoaches"
    assert_accessible(page)
    html_pages(page, "login")
    page.fill("#id_username", "anna")
    page.fill("#id_password", DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    # My day: every slot, the three demo clients with topics and needs as text.
    page.wait_for_url("**/team/")
    assert page.locator("h1").inner_text().startswith("Mein Tag:")
    assert page.locator("li.slot").count() == 6
    maria = _card(page, "Maria Schulz")
    assert "Familie und Beruf" in maria.inner_text()
    assert "bringt ein Kind mit" in maria.inner_text()
    assert "braucht Dolmetschen: Ukrainisch" in _card(page, "Olena Kovalenko").inner_text()
    assert page.locator("p.free").count() == 3
    assert_accessible(page)
    html_pages(page, "my-day")

    # Attended and no-show, each returning to the same booking on the same page.
    maria.get_by_role("button", name="Erschienen: Maria Schulz", exact=True).click()
    page.wait_for_url("**/team/#b*")
    assert page.get_by_text("Gespeichert: erschienen.").is_visible()
    assert "erschienen" in _card(page, "Maria Schulz").locator(".status").first.inner_text()
    _card(page, "Jan Peters").get_by_role("button", name="Nicht erschienen: Jan Peters").click()
    page.wait_for_load_state()
    assert _card(page, "Jan Peters").locator(".status").first.inner_text() == "nicht erschienen"
    assert_accessible(page)

    # A walk-in takes the first free seat.
    page.get_by_role("link", name="Person ohne Termin erfassen").click()
    assert page.locator("h1").inner_text() == "Person ohne Termin erfassen"
    assert_accessible(page)
    html_pages(page, "walk-in")
    # The form offers the slot running now (or the day's last); 09:00 is still free.
    page.select_option("#id_slot", index=0)
    page.fill("#id_name", "Paul Pohl")
    page.get_by_label("braucht stufenlosen Zugang").check()
    page.get_by_role("button", name="Person erfassen").click()
    page.wait_for_url("**/team/?date=*")
    paul = _card(page, "Paul Pohl")
    assert "ohne Termin gekommen" in paul.inner_text()
    assert "braucht stufenlosen Zugang" in paul.inner_text()
    assert page.locator("p.free").count() == 2

    # The outcome, with a follow-up today, so it is due now.
    _card(page, "Maria Schulz").get_by_role("link", name="Ergebnis erfassen: Maria Schulz").click()
    assert page.locator("h1").inner_text() == "Maria Schulz"
    assert_accessible(page)
    html_pages(page, "booking")
    page.get_by_label("Hilfe bei Bewerbungen").check()
    page.get_by_label("Kinderbetreuung geklärt").check()
    page.fill("#id_note", "Bewerbung bei der Bäckerei vorbereitet.")
    page.fill("#id_follow_up_on", today.isoformat())
    page.get_by_role("button", name="Ergebnis speichern").click()
    page.wait_for_url("**/team/?date=*")
    assert page.get_by_text("Das Ergebnis ist gespeichert.").is_visible()
    assert "Hilfe bei Bewerbungen" in _card(page, "Maria Schulz").inner_text()

    # "Nachfassen" lists it, links to the booking, and it can be marked done.
    page.get_by_role("link", name="Nachfassen", exact=True).click()
    due = page.locator("section", has=page.locator("#due-title"))
    assert due.get_by_role("link", name="Maria Schulz").is_visible()
    assert_accessible(page)
    html_pages(page, "follow-ups")
    due.get_by_role("button", name="Erledigt: Maria Schulz").click()
    page.wait_for_load_state()
    assert page.get_by_text("Nachfassen ist erledigt.").is_visible()
    # Anna's follow-ups from earlier demo days stay; Maria's is gone.
    assert due.get_by_role("link", name="Maria Schulz").count() == 0

    maria_row = Booking.objects.get(day=demo_today, name="Maria Schulz")
    assert maria_row.status == BookingStatus.ATTENDED
    assert maria_row.follow_up_done_at is not None
    assert Booking.objects.get(day=demo_today, name="Jan Peters").status == BookingStatus.NO_SHOW
    changes = AuditEntry.objects.filter(
        user__username="anna", action="change_booking", day=demo_today
    )
    assert changes.count() == 4


def test_the_print_view_is_a_clean_a4_list(page, html_pages, demo_today):
    page.goto("/team/anmelden/")
    page.fill("#id_username", "clara")  # Anna's colleague on the Wathlingen team
    page.fill("#id_password", DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/team/")
    page.get_by_role("link", name="Druckansicht").click()

    assert page.locator("h1").inner_text().startswith("Tagesplan: Samtgemeinde Wathlingen")
    assert page.locator("header.site-header").count() == 0
    rows = page.locator("table.print-table tbody tr")
    assert rows.count() == 6
    assert "Maria Schulz" in rows.nth(1).inner_text()
    assert_accessible(page)
    html_pages(page, "print")

    page.emulate_media(media="print")
    assert not page.locator(".no-print").is_visible()
    assert page.locator("table.print-table").is_visible()
    pdf = page.pdf(format="A4", print_background=False)
    assert pdf.startswith(b"%PDF")


def test_the_other_coach_pages_are_accessible_and_valid(page, page_en, html_pages, demo_today):
    page.goto("/team/passwort/")
    assert_accessible(page)
    html_pages(page, "password-reset")
    page.fill("#id_email", "clara@joblokal.example")
    page.get_by_role("button", name="Link schicken").click()
    page.wait_for_url("**/team/passwort/gesendet/")
    assert_accessible(page)
    html_pages(page, "password-reset-sent")
    link = password_reset_url(get_user_model().objects.get(username="clara"))
    page.goto("/team/" + link.split("/team/", 1)[1])
    assert page.locator("h1").inner_text() == "Neues Passwort festlegen"
    assert_accessible(page)
    html_pages(page, "password-reset-confirm")
    page.fill("#id_new_password1", DEMO_PASSWORD + "-neu")
    page.fill("#id_new_password2", DEMO_PASSWORD + "-neu")
    page.get_by_role("button", name="Passwort speichern").click()
    page.wait_for_url("**/team/passwort/fertig/")
    assert_accessible(page)
    html_pages(page, "password-reset-complete")

    page.goto("/team/anmelden/")
    page.fill("#id_username", "clara")
    page.fill("#id_password", DEMO_PASSWORD + "-neu")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/team/")
    page.goto("/team/?date=99999-01-01")
    assert page.get_by_text("Wir zeigen den heutigen Tag.").is_visible()
    assert_accessible(page)
    html_pages(page, "my-day-bad-date")
    later = timezone.localdate() + timedelta(days=1)
    page.goto(f"/team/?date={later:%Y-%m-%d}")
    assert page.get_by_text("An diesem Tag haben Sie keinen Beratungstag.").is_visible()
    assert_accessible(page)
    html_pages(page, "my-day-empty")

    page_en.goto("/team/anmelden/")
    page_en.fill("#id_username", "clara")
    page_en.fill("#id_password", DEMO_PASSWORD + "-neu")
    page_en.locator("main button[type=submit]").click()
    page_en.wait_for_url("**/team/")
    assert page_en.locator("h1").inner_text().startswith("My day:")
    assert page_en.get_by_text("needs an interpreter: Ukrainisch").is_visible()
    assert_accessible(page_en)
    html_pages(page_en, "my-day-en")


def test_the_lockout_page_is_accessible(page, html_pages, demo_today, settings):
    settings.AXES_FAILURE_LIMIT = 2
    page.goto("/team/anmelden/")
    for _ in range(2):
        page.fill("#id_username", "anna")
        page.fill("#id_password", "falsch")
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Die Anmeldung ist vorübergehend gesperrt."
    assert_accessible(page)
    html_pages(page, "lockout")
