import pytest
from django.contrib.auth import get_user_model

from tests import factories
from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_start_page_is_accessible_and_valid(page, html_pages):
    wathlingen = factories.municipality("Wathlingen")
    factories.day(factories.site(wathlingen, name="Rathaus Wathlingen"))
    factories.municipality("Bergen")

    page.goto("/")

    assert page.locator("h1").inner_text() == "Beratung vom Jobcenter in Ihrer Gemeinde"
    assert page.get_by_text("Rathaus Wathlingen").is_visible()
    assert_accessible(page)
    html_pages(page, "start")


def test_the_language_switch_shows_english(page):
    factories.municipality("Bergen")
    page.goto("/")
    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Job centre counselling in your municipality"
    assert_accessible(page)


def test_an_admin_page_is_valid_html(page, html_pages, live_server):
    get_user_model().objects.create_superuser("root", "root@example.org", "pw-root-123")
    factories.day()
    page.goto("/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "pw-root-123")
    page.click("input[type=submit]")
    page.goto("/admin/appointments/outreachday/")
    assert page.locator("#result_list").is_visible()
    html_pages(page, "admin-days")


@pytest.mark.parametrize("path", ["/datenschutz/", "/barrierefreiheit/", "/impressum/"])
def test_the_legal_pages_are_accessible_and_valid(page, html_pages, path):
    page.goto(path)
    assert_accessible(page)
    html_pages(page, path.strip("/"))
