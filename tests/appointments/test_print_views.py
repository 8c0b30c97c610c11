"""The poster and the invitation letter as views: who may print them, what they say, and
the seat a letter reserves through the real booking path."""

import re
from datetime import time, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments.models import Booking, BookingToken, Channel, hash_token
from coaches import casework
from coaches.models import FrontDesk
from tests import factories

pytestmark = pytest.mark.django_db

LETTER = "/team/druck/einladung/"


def poster_url(municipality):
    return reverse("print:poster", args=[municipality.pk])


@pytest.fixture
def wathlingen(world):
    """Alice's team serves Wathlingen, with three future days, a draft and a past day."""
    team = factories.team(world.alice, name="Team Wathlingen")
    topic = factories.specialism("Familie und Beruf")
    world.alice.specialisms.add(topic)
    site = world.day.site
    days = [
        factories.day(site, on=factories.future_date(7 * n), coaches=[world.alice], team_=team)
        for n in (1, 2, 3, 4)
    ]
    factories.day(site, on=factories.future_date(2), status="draft")
    world.day.team = team
    world.day.save(update_fields=["team"])
    person = casework.start_accompaniment(
        booking=world.booking,
        coach=world.alice,
        consent=True,
        constraints=casework.WorkConstraints(),
    )
    return {"site": site, "days": days, "team": team, "person": person, "topic": topic}


def desk(user_name, *municipalities):
    user = factories.user(user_name)
    front_desk = FrontDesk.objects.create(user=user)
    front_desk.municipalities.set(municipalities)
    client = Client()
    client.force_login(user)
    return client


def test_the_poster_shows_the_next_three_days_topics_phone_and_a_qr_code(
    as_persona, world, wathlingen, settings
):
    settings.OPERATOR = {**settings.OPERATOR, "phone": "05141 777 000"}
    municipality = wathlingen["site"].municipality
    page = as_persona("alice").get(poster_url(municipality)).content.decode()
    shown = re.findall(r'<time datetime="([\d-]+)"', page)
    # The world's own day is today, 9 to 12: on the poster until it has ended.
    coming = [d for d in [world.day, *wathlingen["days"]] if d.ends_at > timezone.now()]
    assert shown == [f"{d.date:%Y-%m-%d}" for d in coming[:3]]
    assert "Familie und Beruf" in page and "Ein Satz in einfacher Sprache." in page
    assert "05141 777 000" in page
    assert page.count('<svg role="img"') == 1
    assert f"?gemeinde={municipality.slug}" in page
    assert "Bergen" not in page


@pytest.mark.parametrize(
    ("persona", "status"),
    [("alice", 200), ("bob", 200), ("admin", 200), ("stefan", 403), ("carla", 302)],
)
def test_who_may_print_a_poster(persona, status, as_persona, world):
    assert as_persona(persona).get(poster_url(world.day.site.municipality)).status_code == status


def test_a_front_desk_prints_the_posters_of_its_municipalities_only(world):
    wathlingen, bergen = world.day.site.municipality, world.other_day.site.municipality
    clerk = desk("rathaus-wathlingen", wathlingen)
    assert clerk.get(poster_url(wathlingen)).status_code == 200
    assert clerk.get(poster_url(bergen)).status_code == 403


def test_a_staff_account_with_permission_to_view_bookings_may_print(world):
    clerk = factories.user("verwaltung", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_booking"))
    client = Client()
    client.force_login(clerk)
    assert client.get(poster_url(world.day.site.municipality)).status_code == 200


def test_the_poster_qr_address_shows_that_municipality_only(client, world, wathlingen):
    municipality = wathlingen["site"].municipality
    page = client.get(f"/?gemeinde={municipality.slug}").content.decode()
    assert "Wathlingen" in page and "Bergen" not in page


def test_the_admin_links_the_poster(as_persona, world):
    municipality = world.day.site.municipality
    url = reverse("admin:locations_municipality_change", args=[municipality.pk])
    assert poster_url(municipality) in as_persona("admin").get(url).content.decode()


def letter_data(wathlingen, **fields):
    return {
        "person": wathlingen["person"].pk,
        "name": "",
        "address": "Am Markt 3\n29339 Wathlingen",
        "day": wathlingen["days"][0].pk,
        "mode": "reserve",
        "from_time": "",
        "language": "",
        "submission_key": "k" * 32,
        **fields,
    }


def test_a_letter_reserves_a_seat_by_letter_with_a_short_link(as_persona, world, wathlingen):
    alice = as_persona("alice")
    response = alice.post(LETTER, letter_data(wathlingen, from_time="10:00"))
    assert response.status_code == 200
    page = response.content.decode()
    booking = Booking.objects.get(day=wathlingen["days"][0])
    assert booking.channel == Channel.LETTER
    assert booking.name == "Maria Schulz"
    assert timezone.localtime(booking.slot.starts_at).time() == time(10)
    token = re.search(r"/k/([A-Z2-7]{26})/", page)[1]
    assert BookingToken.objects.filter(token_hash=hash_token(token), booking=booking).exists()
    assert Client().get(f"/k/{token}/").status_code == 302
    assert booking.reference in page and "Am Markt 3" in page and "29339 Wathlingen" in page
    assert "Beratungstag heißt" in page
    # The typed address is printed, never stored.
    assert not Booking.objects.filter(note__contains="Am Markt").exists()
    assert "Am Markt" not in str(list(Booking.objects.values()))


def test_the_same_letter_posted_twice_reserves_one_seat(as_persona, world, wathlingen):
    alice = as_persona("alice")
    alice.post(LETTER, letter_data(wathlingen))
    alice.post(LETTER, letter_data(wathlingen))
    assert Booking.objects.filter(day=wathlingen["days"][0]).count() == 1


def test_a_letter_left_open_links_the_day_page_and_books_nothing(as_persona, world, wathlingen):
    day = wathlingen["days"][1]
    page = as_persona("alice").post(
        LETTER, letter_data(wathlingen, mode="open", person="", name="Olaf Otto", day=day.pk)
    )
    page = page.content.decode()
    assert f"/tag/{day.pk}/" in page and "Olaf Otto" in page
    assert not Booking.objects.filter(day=day).exists()


def test_the_letter_adds_the_persons_language(as_persona, world, wathlingen):
    page = as_persona("alice").post(LETTER, letter_data(wathlingen, language="uk"))
    page = page.content.decode()
    assert 'lang="uk"' in page and "Einladung zum Beratungstag" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"address": ""}, "Geben Sie die Anschrift ein."),
        ({"address": "nur eine Zeile"}, "Die Anschrift braucht 2 bis 4 Zeilen"),
        ({"address": "A" * 61 + "\n29339 Wathlingen"}, "zu lang für das Fenster"),
        ({"person": "", "name": ""}, "Wählen Sie eine Person oder geben Sie einen Namen ein."),
        ({"from_time": "25:99"}, "Geben Sie eine Uhrzeit ein"),
        ({"from_time": "23:00"}, "kein Termin mehr frei"),
    ],
)
def test_bad_letter_input_gets_a_clear_message_and_books_nothing(
    fields, message, as_persona, world, wathlingen
):
    response = as_persona("alice").post(LETTER, letter_data(wathlingen, **fields))
    assert response.status_code in (400, 409)
    assert message in response.content.decode()
    assert not Booking.objects.filter(day__in=wathlingen["days"]).exists()


def test_a_coach_writes_only_for_own_persons_and_days(as_persona, world, wathlingen):
    bob = as_persona("bob")
    form = bob.get(LETTER).content.decode()
    assert "Maria Schulz" not in form
    response = bob.post(LETTER, letter_data(wathlingen))
    assert response.status_code == 400
    assert not Booking.objects.filter(day__in=wathlingen["days"]).exists()
    other = factories.day(world.other_day.site, on=factories.future_date(9))
    assert f'value="{other.pk}"' not in as_persona("alice").get(LETTER).content.decode()


@pytest.mark.parametrize(("persona", "status"), [("stefan", 403), ("carla", 302)])
def test_others_get_no_letter_form(persona, status, as_persona, world):
    assert as_persona(persona).get(LETTER).status_code == status


def test_the_letter_for_a_person_is_logged(as_persona, world, wathlingen):
    from appointments.models import AuditEntry

    as_persona("alice").post(LETTER, letter_data(wathlingen))
    person = wathlingen["person"]
    assert AuditEntry.objects.filter(detail=f"person {person.pk} letter").exists()


def test_the_letter_form_is_fast_enough(as_persona, world, wathlingen, django_assert_num_queries):
    alice = as_persona("alice")
    alice.get(LETTER)
    for n in range(5):
        factories.day(wathlingen["site"], on=factories.future_date(40 + n), coaches=[world.alice])
    with django_assert_num_queries(7):
        alice.get(LETTER)


def test_the_poster_query_count_does_not_grow(
    as_persona, world, wathlingen, django_assert_num_queries
):
    alice = as_persona("alice")
    url = poster_url(wathlingen["site"].municipality)
    alice.get(url)
    coach = factories.coach("Cem Coach", specialisms=[factories.specialism("Bewerbung")])
    for day in wathlingen["days"]:
        day.day_coaches.create(coach=coach, starts_at=day.starts_at, ends_at=day.ends_at)
    with django_assert_num_queries(7):
        alice.get(url)


def test_the_letter_day_list_has_only_upcoming_days(as_persona, world, wathlingen):
    past = factories.day(wathlingen["site"], on=timezone.localdate() - timedelta(days=3))
    assert f'value="{past.pk}"' not in as_persona("alice").get(LETTER).content.decode()


def test_a_front_desk_writes_letters_for_its_municipalities_days_only(world, wathlingen):
    clerk = desk("rathaus-wathlingen", wathlingen["site"].municipality)
    form = clerk.get(LETTER).content.decode()
    assert f'value="{wathlingen["days"][0].pk}"' in form
    assert "Maria Schulz" not in form  # no accompanied persons at the desk
    bergen = factories.day(world.other_day.site, on=factories.future_date(9))
    assert f'value="{bergen.pk}"' not in form
    response = clerk.post(
        LETTER, letter_data(wathlingen, person="", name="Jan Peters", from_time="11:00")
    )
    assert response.status_code == 200
    assert Booking.objects.get(day=wathlingen["days"][0]).channel == Channel.LETTER


def test_a_letter_opened_from_a_day_has_that_day_chosen(as_persona, world, wathlingen):
    day = wathlingen["days"][2]
    form = as_persona("alice").get(f"{LETTER}?tag={day.pk}").content.decode()
    assert f'<option value="{day.pk}" selected>' in form
    assert as_persona("alice").get(f"{LETTER}?tag=9{'9' * 40}").status_code == 200


def test_my_day_links_the_poster_and_the_letter(as_persona, world, wathlingen):
    day = wathlingen["days"][0]
    page = as_persona("alice").get(f"/team/?date={day.date:%Y-%m-%d}").content.decode()
    assert poster_url(day.site.municipality) in page
    assert f"{LETTER}?tag={day.pk}" in page
