"""At 1280 px every admin list fits the window: the columns that matter are shown, the
rest is reachable on the object's page (and in the filters and the search)."""

import pytest
from django.core.management import call_command

from tests.e2e.test_admin_walk import log_in, model_links

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_no_admin_list_is_cut_off_at_1280_px(page):
    call_command("seed_demo")
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page)
    too_wide = {}
    for changelist, _add in model_links(page):
        page.goto(changelist)
        overflow = page.evaluate(
            """() => {
                const table = document.querySelector('#result_list');
                const page = document.documentElement.scrollWidth - window.innerWidth;
                if (!table) return page;
                return Math.max(page, table.scrollWidth - table.parentElement.clientWidth);
            }"""
        )
        if overflow > 0:
            too_wide[changelist] = overflow
    assert too_wide == {}, sorted(too_wide.items())
