"""A person applies for a programme place through the public form in real Chromium, gets
a receipt by mail, and the team accepts the application on its applications list; the
acceptance mail arrives once. The application form (also with its error messages), its
confirmation, and every staff page on the way pass axe-core and the Nu Html Checker."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from appointments.models import ApplicationStatus, ProgrammeApplication
from appointments.services import publish_cohort
from tests import factories
from tests.coaches import programme_world as world
from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cohort(db):
    anna = factories.coach("Anna Becker", "anna")
    team = factories.team(anna, name="Team Celle Nord")
    site = factories.site(factories.municipality("Wathlingen"), name="Jobcenter", room="Raum 12")
    made = world.cohort(world.programme(team, site))
    publish_cohort(cohort=made)
    return made


@pytest.fixture
def coach_page(browser, live_server):
    context = browser.new_context(
        locale="de-DE", timezone_id="Europe/Berlin", base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def mails_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


def test_a_person_applies_and_the_team_accepts(page, coach_page, html_pages, cohort):
    def check(on, name):
        assert_accessible(on)
        html_pages(on, name)

    mail.outbox.clear()
    page.goto(f"/programm/{cohort.pk}/bewerben/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bewerbung für Durchstarten")
    check(page, "apply")

    # Sent without consent: the form says what to fix and keeps what was typed.
    page.fill("#id_name", "Maria Muster")
    page.fill("#id_email", "maria@example.org")
    page.fill("#id_note", "Ich kann ab 8 Uhr, mein Kind ist dann in der Kita.")
    page.get_by_role("button", name="Bewerbung senden").click()
    expect(page.locator("#error-summary")).to_contain_text(
        "Bitte stimmen Sie der Datenschutz-Erklärung zu."
    )
    expect(page.locator("#id_name")).to_have_value("Maria Muster")
    check(page, "apply-errors")
    assert not ProgrammeApplication.objects.exists()

    page.check("#id_consent")
    page.get_by_role("button", name="Bewerbung senden").click()
    page.wait_for_url(f"**/programm/{cohort.pk}/beworben/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihre Bewerbung ist angekommen")
    expect(page.locator("main")).to_contain_text("Wir schreiben Ihnen an maria@example.org")
    check(page, "applied")
    application = ProgrammeApplication.objects.get()
    assert application.status == ApplicationStatus.PENDING
    [receipt] = mails_to("maria@example.org")
    assert receipt.subject == "Ihre Bewerbung ist angekommen: Durchstarten"
    assert "So geht es weiter" in receipt.body

    coach_page.goto("/team/anmelden/")
    check(coach_page, "login")
    coach_page.fill("#id_username", "anna")
    coach_page.fill("#id_password", "pw-anna")
    coach_page.get_by_role("button", name="Anmelden").click()
    coach_page.wait_for_url("**/team/")

    coach_page.goto(f"/team/programm/durchgaenge/{cohort.pk}/")
    expect(coach_page.locator(f"#a{application.pk}")).to_contain_text("Maria Muster")
    check(coach_page, "cohort-with-application")
    coach_page.get_by_role("link", name="Alle Bewerbungen Ihrer Programme").click()
    coach_page.wait_for_url("**/team/programm/bewerbungen/")
    row = coach_page.locator(f"#a{application.pk}")
    expect(row).to_contain_text("Ich kann ab 8 Uhr")
    expect(row).to_contain_text("Durchstarten ab 26.04.2027")
    check(coach_page, "applications")

    row.get_by_role("button", name="Annehmen").click()
    coach_page.wait_for_url("**/team/programm/bewerbungen/")
    expect(coach_page.locator(".alert-success")).to_contain_text("Entscheidung gespeichert.")
    expect(coach_page.locator("main")).to_contain_text("Keine Bewerbungen mit dieser Auswahl.")
    check(coach_page, "applications-after-decision")

    coach_page.select_option("#id_status", "accepted")
    coach_page.get_by_role("button", name="Anzeigen").click()
    coach_page.wait_for_url("**/team/programm/bewerbungen/?*status=accepted*")
    expect(coach_page.locator(f"#a{application.pk}")).to_contain_text("angenommen")
    check(coach_page, "applications-accepted")

    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED
    assert application.decided_by.name == "Anna Becker"
    to_maria = mails_to("maria@example.org")
    accepted = [m for m in to_maria if m.subject == "Zusage für das Programm: Durchstarten"]
    assert len(accepted) == 1 and len(to_maria) == 2
    assert "Guten Tag Maria Muster," in accepted[0].body
