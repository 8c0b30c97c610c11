"""An administrator walks the whole back office in real Chromium: from the admin index to
every list, add and change page of the models they manage, the forms with and without
errors, the series preview, the statistics and the cancel page. axe-core must report no
WCAG 2.1 A/AA violation and the Nu Html Checker no error on any of them, and no English
string of Django's admin may show where the German catalogue should cover it."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from appointments.models import OutreachDay, OutreachSeries
from tests.e2e.conftest import axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# English strings of Django's admin that an administrator must never read in German.
ENGLISH = [
    "- Select an option -",
    ">Run<",
    "Filter by ",
    "Search ",
    "Select an option",
    "Today (",
    "Note: Enter times",
    "Pagination ",
    ">Logout<",
    "Please correct the error",
    "Save and add another",
    "Add another",
]
ENGLISH_RE = re.compile("|".join(re.escape(s) for s in ENGLISH))


class Walk:
    def __init__(self, page, html_pages):
        self.page, self.html_pages, self.checked, self.problems = page, html_pages, [], {}
        self.document = None
        page.on("response", self._remember_document)

    def _remember_document(self, response):
        if response.request.resource_type == "document" and response.status < 300:
            self.document = response

    def check(self, name: str) -> None:
        self.page.wait_for_load_state("load")
        self.page.wait_for_function("document.documentElement.dataset.adminLabels === 'done'")
        violations = axe_violations(self.page)
        if violations:
            self.problems[name] = violations
        # What assistive technology reads too: the names of the date shortcuts.
        text = self.page.content() + " ".join(
            self.page.eval_on_selector_all("[aria-label]", "els => els.map(e => e.ariaLabel)")
        )
        english = sorted(set(ENGLISH_RE.findall(text)))
        if english:
            self.problems[f"{name} (English)"] = english
        # The checker reads the markup the server sent; the DOM Django's scripts build
        # later is axe's part.
        self.html_pages(self.document.text(), re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"))
        self.checked.append(name)

    def visit(self, url: str, name: str) -> None:
        self.page.goto(url)
        self.check(name)


def log_in(page):
    page.goto("/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "joblokal-demo")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


def model_links(page) -> list[tuple[str, str | None]]:
    """(changelist, add page or None) of every model on the admin index."""
    rows = page.eval_on_selector_all(
        "#content-main tr[class^=model-]",
        """rows => rows.map(r => [
            r.querySelector('th a') && r.querySelector('th a').getAttribute('href'),
            r.querySelector('a.addlink') && r.querySelector('a.addlink').getAttribute('href')])""",
    )
    return [(changelist, add) for changelist, add in rows if changelist]


def test_every_admin_page_is_accessible_valid_and_german(page, html_pages, settings):
    call_command("seed_demo")
    get_user_model().objects.filter(username="admin").update(is_staff=True, is_superuser=True)
    walk = Walk(page, html_pages)
    log_in(page)
    walk.check("admin index")

    for changelist, add in model_links(page):
        walk.visit(changelist, f"list {changelist}")
        first = page.locator("#result_list tbody tr th a, #result_list tbody tr td a").first
        if first.count():
            first.click()
            walk.check(f"change {changelist}")
            page.go_back()
        if add:
            walk.visit(add, f"add {add}")
            # The form sent empty: required fields must be named in the errors.
            save = page.locator("input[name=_save]")
            if save.count():
                save.click()
                if page.locator(".errornote").count():
                    walk.check(f"add with errors {add}")

    _day_with_a_coach_overlap(page, walk)
    series = OutreachSeries.objects.order_by("pk").first()
    walk.visit(f"/admin/appointments/outreachseries/{series.pk}/preview/", "series preview")
    walk.visit("/admin/appointments/outreachday/statistics/", "statistics")
    _cancel(page, walk)

    print(f"admin walk: {len(walk.checked)} pages checked with axe and the HTML checker")
    assert walk.problems == {}, json.dumps(walk.problems, indent=1, ensure_ascii=False)
    assert len(walk.checked) >= 30


def _day_with_a_coach_overlap(page, walk):
    """The day form with a coach who is already elsewhere at that time."""
    today = OutreachDay.objects.order_by("date").filter(date__gte="2000-01-01").last()
    busy = OutreachDay.objects.exclude(pk=today.pk).filter(day_coaches__isnull=False).first()
    page.goto(f"/admin/appointments/outreachday/{busy.pk}/change/")
    page.fill("#id_date", f"{today.date:%d.%m.%Y}")
    page.fill("#id_start", "08:00")
    page.fill("#id_end", "18:00")
    page.click("input[name=_save]")
    walk.check("day change with a coach overlap")


def _cancel(page, walk):
    upcoming = OutreachDay.objects.filter(status="published").order_by("-date").first()
    walk.visit(f"/admin/appointments/outreachday/cancel/?ids={upcoming.pk}", "cancel")
    page.click("input[type=submit]")
    walk.check("cancel without a reason")
