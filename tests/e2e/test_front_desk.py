"""The front desk in real Chromium: Frida of Wathlingen's town hall books a caller who has
only a mobile number and wants SMS, prints the slip, whose QR code (decoded from pixels)
opens the booking; she ticks off a call, and Bergen's days stay closed to her. Every new
page passes axe-core (WCAG 2.1 A/AA) and the Nu Html Checker, and the slip prints on one
page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import Booking, Call, Channel
from appointments.services import queue_reminder_calls
from coaches.models import FrontDesk
from tests import factories
from tests.e2e.conftest import assert_accessible
from tests.personas import book
from tests.qr import decode_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk_world(db):
    wathlingen = factories.municipality("Wathlingen")
    bergen = factories.municipality("Bergen")
    site = factories.site(wathlingen, name="Rathaus Wathlingen", address="Am Schmiedeberg 1")
    alice = factories.coach("Alice Adler", "alice")
    coming = factories.day(site, on=factories.future_date(5), seats=2, coaches=[alice])
    tomorrow = factories.day(
        site, on=timezone.localdate() + timedelta(days=1), seats=2, coaches=[alice]
    )
    book(tomorrow.slots.order_by("starts_at")[0], name="Paul Pohl", email="", phone="05144 4711")
    queue_reminder_calls()
    frida = FrontDesk.objects.create(user=factories.user("frida", first_name="Frida"))
    frida.municipalities.set([wathlingen])
    other = factories.day(
        factories.site(bergen, name="Rathaus Bergen"), on=factories.future_date(5)
    )
    return {"coming": coming, "tomorrow": tomorrow, "bergen": other, "alice": alice}


def log_in(page, username):
    page.goto("/team/anmelden/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.locator("main form button[type=submit]").click()


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_frida_books_a_caller_with_a_mobile_number_and_prints_the_slip(
    page, html_pages, desk_world, live_server, settings, tmp_path
):
    # Text messages go to files, as in the embedded mode of `make run`.
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_DIR = tmp_path / "sms"
    coming = desk_world["coming"]
    log_in(page, "frida")
    assert page.url.endswith("/team/empfang/")
    assert_accessible(page)
    html_pages(page, "desk-start")

    page.click(f'a[href="/team/empfang/tage/{coming.pk}/buchen/"]')
    assert f"/team/empfang/tage/{coming.pk}/buchen/" in page.url
    assert_accessible(page)
    html_pages(page, "desk-book")

    # Sent without the privacy tick and without a contact: the form says what to fix.
    page.get_by_role("button", name="Verbindlich buchen").click()
    assert page.locator("#error-summary").is_visible()
    assert_accessible(page)
    html_pages(page, "desk-book-errors")
    assert not Booking.objects.filter(channel=Channel.PHONE).exists()

    page.fill("#id_name", "Karl Klein")
    page.fill("#id_phone", "0171 2345678")
    page.check("#id_sms_consent")
    page.check("#id_privacy_read_out")
    page.get_by_role("button", name="Verbindlich buchen").click()
    page.get_by_text("Gebucht: Karl Klein").wait_for()
    booking = Booking.objects.get(name="Karl Klein")
    assert (booking.phone, booking.email, booking.sms_consent) == ("+491712345678", "", True)
    assert booking.channel == Channel.PHONE
    assert booking.consent_recorded_by.username == "frida"
    assert_accessible(page)
    html_pages(page, "desk-day")

    # The SMS confirmation landed in the file backend, once, with a working short link.
    texts = sorted((tmp_path / "sms").glob("*.txt"))
    assert len(texts) == 1, texts
    sms = texts[0].read_text(encoding="utf-8")
    assert "To: +491712345678" in sms
    assert "Karl" in sms and "Klein" not in sms  # first name only
    sms_link = re.search(r"https?://\S+/k/[A-Z2-7]{26}/", sms).group(0)
    assert Booking.objects.by_token(sms_link.rsplit("/", 2)[1]).get() == booking

    page.get_by_role("link", name=re.compile("Beleg drucken.*Karl Klein")).click()
    page.locator(".slip-qr svg").wait_for()
    assert booking.reference in page.content()
    assert_accessible(page)
    html_pages(page, "slip")

    link = decode_in_page(page.locator(".slip-qr svg"))
    assert re.fullmatch(r"https?://[^/]+/k/[A-Z2-7]{26}/", link)
    assert link == page.locator(".slip-link").inner_text().strip()

    # The slip fits one A5 page when printed.
    page.emulate_media(media="print")
    pdf = page.pdf(prefer_css_page_size=True, print_background=False)
    assert page_count(pdf) == 1
    page.emulate_media(media="screen")

    # The decoded link works: it opens Karl's booking.
    page.goto(live_server.url + "/" + link.split("/", 3)[3])
    assert "/termin/" in page.url
    assert booking.reference in page.content()


def test_frida_moves_cancels_ticks_off_a_call_and_cannot_open_bergen(page, html_pages, desk_world):
    coming, bergen = desk_world["coming"], desk_world["bergen"]
    booking, _ = book(
        coming.slots.order_by("starts_at")[0], name="Lena Lang", email="", phone="05144 9999"
    )
    log_in(page, "frida")

    assert page.goto(f"/team/empfang/tage/{bergen.pk}/").status == 403
    assert page.goto(f"/team/empfang/tage/{bergen.pk}/buchen/").status == 403

    page.goto(f"/team/empfang/termine/{booking.pk}/verschieben/")
    assert_accessible(page)
    html_pages(page, "desk-move")
    page.get_by_role("button", name="Termin verschieben").click()
    page.get_by_text("Der Termin ist verschoben.").wait_for()

    page.goto(f"/team/empfang/termine/{booking.pk}/absagen/")
    assert_accessible(page)
    html_pages(page, "desk-cancel")
    page.fill("#id_reason", "Hat angerufen")
    page.get_by_role("button", name="Ja, Termin absagen").click()
    page.get_by_text("Der Termin ist abgesagt.").wait_for()

    page.goto("/team/empfang/")
    page.get_by_role("button", name=re.compile("Angerufen.*Paul Pohl")).click()
    page.get_by_text("Angerufen von Frida").wait_for()
    assert Call.objects.get().called_by.username == "frida"
    assert_accessible(page)
    html_pages(page, "desk-start-ticked")

    page.goto(f"/team/anrufliste/{desk_world['tomorrow'].pk}/")
    assert "Paul Pohl" in page.content()
    assert_accessible(page)
    html_pages(page, "call-list")


def test_the_coach_sees_the_open_calls_on_her_day(page_en, html_pages, desk_world):
    log_in(page_en, "alice")
    page_en.goto("/team/")
    assert "Call list" in page_en.content() and "Paul Pohl" in page_en.content()
    assert_accessible(page_en)
    html_pages(page_en, "my-day-calls")


PHONE = {"width": 390, "height": 844}


@pytest.fixture
def desk_phone(browser, live_server):
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="de-DE",
        timezone_id="Europe/Berlin",
        base_url=live_server.url,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_the_front_desk_pages_work_on_a_phone(desk_phone, desk_world):
    """A clerk at the counter with a phone: every front-desk page and the letter form fit
    390 px without sideways scrolling, the error state included, and pass axe-core."""
    page, coming, tomorrow = desk_phone, desk_world["coming"], desk_world["tomorrow"]
    log_in(page, "frida")
    paths = [
        "/team/empfang/",
        f"/team/empfang/tage/{coming.pk}/",
        f"/team/empfang/tage/{coming.pk}/buchen/",
        f"/team/anrufliste/{tomorrow.pk}/",
        f"/team/druck/einladung/?tag={coming.pk}",
    ]
    for path in paths:
        assert page.goto(path).status == 200, path
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"horizontal scroll on {path}: {width}"
        assert_accessible(page)
    page.goto(f"/team/empfang/tage/{coming.pk}/buchen/")
    page.get_by_role("button", name="Verbindlich buchen").click()
    expect(page.locator("#error-summary")).to_be_visible()
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"horizontal scroll on the form with errors: {width}"
    assert_accessible(page)
