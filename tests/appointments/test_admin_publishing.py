"""The day add form shows only what it saves; publishing is a visible button on a day's
page and "die nächsten N Tage veröffentlichen" on a series' page."""

from datetime import time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from appointments.models import DayStatus, OutreachSeries, Recurrence
from appointments.services import generate_days
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("chefin", "chefin@example.org", "pw-123456")
    client.force_login(user)
    return client


@pytest.fixture
def series():
    team = factories.team(factories.coach("Anna Berg"), name="Team Nord")
    today = timezone.localdate()
    series = OutreachSeries.objects.create(
        site=factories.site(),
        team=team,
        recurrence=Recurrence.WEEKLY,
        weekday=today.weekday(),
        interval_weeks=1,
        start_time=time(9),
        end_time=time(12),
        starts_on=today + timedelta(days=1),
        ends_on=today + timedelta(days=120),
    )
    generate_days(series=series)
    return series


def test_the_day_add_form_shows_only_what_it_saves(admin_client):
    body = admin_client.get(reverse("admin:appointments_outreachday_add")).content.decode()
    for ignored in ("published_at", "cancelled_at", "cancel_reason"):
        assert f'name="{ignored}' not in body and f"id_{ignored}" not in body
    assert 'name="date"' in body and 'name="start"' in body


def test_the_day_change_page_still_shows_its_history(admin_client, series):
    day = series.days.first()
    body = admin_client.get(
        reverse("admin:appointments_outreachday_change", args=[day.pk])
    ).content.decode()
    assert "Grund der Absage" in body


def test_a_draft_day_has_a_publish_button_that_publishes_it(admin_client, series):
    day = series.days.order_by("date").first()
    page = admin_client.get(reverse("admin:appointments_outreachday_change", args=[day.pk]))
    publish_url = reverse("admin:appointments_outreachday_publish", args=[day.pk])
    assert f'action="{publish_url}"' in page.content.decode()
    assert ">Veröffentlichen</button>" in page.content.decode()

    assert admin_client.get(publish_url).status_code == 405
    response = admin_client.post(publish_url)
    assert response.status_code == 302
    day.refresh_from_db()
    assert day.status == DayStatus.PUBLISHED
    again = admin_client.get(response["Location"]).content.decode()
    assert f'action="{publish_url}"' not in again


def test_the_series_page_publishes_the_next_n_days(admin_client, series):
    preview = admin_client.get(
        reverse("admin:appointments_outreachseries_preview", args=[series.pk])
    ).content.decode()
    assert "Die nächsten" in preview and 'name="count"' in preview

    url = reverse("admin:appointments_outreachseries_publish", args=[series.pk])
    response = admin_client.post(url, {"count": "3"})
    assert response.status_code == 302
    days = list(series.days.order_by("date"))
    assert [d.status for d in days[:4]] == ["published"] * 3 + ["draft"]
    assert all(d.status == "draft" for d in days[3:])


@pytest.mark.parametrize("count", ["", "0", "-1", "abc", "1e9", "61"])
def test_a_bad_number_of_days_publishes_nothing_and_says_why(admin_client, series, count):
    url = reverse("admin:appointments_outreachseries_publish", args=[series.pk])
    response = admin_client.post(url, {"count": count}, follow=True)
    assert response.status_code == 200
    assert not series.days.filter(status=DayStatus.PUBLISHED).exists()
    assert any("Bitte" in str(m) for m in response.context["messages"])


def test_past_drafts_are_not_published(admin_client, series):
    past = factories.day(series.site, on=timezone.localdate() - timedelta(days=7))
    past.status = DayStatus.DRAFT
    past.series = series
    past.save(update_fields=["status", "series"])
    admin_client.post(
        reverse("admin:appointments_outreachseries_publish", args=[series.pk]), {"count": "1"}
    )
    past.refresh_from_db()
    assert past.status == DayStatus.DRAFT


def test_cancelling_one_day_says_so_in_the_singular(admin_client, series):
    day = series.days.order_by("date").first()
    response = admin_client.post(
        reverse("admin:appointments_outreachday_cancel"),
        {"ids": str(day.pk), "reason": "Der Saal ist nicht frei."},
        follow=True,
    )
    texts = [str(m) for m in response.context["messages"]]
    assert any(t.startswith("1 Tag abgesagt. 0 Buchungen abgesagt") for t in texts), texts
