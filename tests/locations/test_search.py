"""Finding one's place: by postcode, by member village, without umlauts, and never an
empty page when nothing matches."""

import pytest

from locations.models import Municipality
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def places():
    factories.municipality(
        "Samtgemeinde Wathlingen",
        postcodes="29339",
        member_villages="Adelheidsdorf, Nienhagen, Wathlingen",
    )
    factories.municipality("Hambühren", postcodes="29313", member_villages="Oldau, Ovelgönne")
    factories.municipality("Bergen", postcodes="29303")


def found(client, query: str) -> list[str]:
    body = client.get("/", {"q": query}).content.decode()
    return sorted(m.name for m in Municipality.objects.all() if f">{m.name}</h3>" in body), body


@pytest.mark.parametrize(
    "query, expected",
    [
        ("29339", ["Samtgemeinde Wathlingen"]),
        ("2931", ["Hambühren"]),
        ("Nienhagen", ["Samtgemeinde Wathlingen"]),
        ("nienhagen", ["Samtgemeinde Wathlingen"]),
        ("Hambühren", ["Hambühren"]),
        ("Hambuehren", ["Hambühren"]),
        ("Hambuhren", ["Hambühren"]),
        ("HAMBÜHREN", ["Hambühren"]),
        ("Ovelgoenne", ["Hambühren"]),
        ("Bergen", ["Bergen"]),
    ],
)
def test_it_finds_a_place_by_postcode_village_and_any_spelling(client, places, query, expected):
    names, _body = found(client, query)
    assert names == expected


def test_a_typo_shows_the_places_with_similar_names(client, places):
    names, body = found(client, "Hambüren")
    assert names == ["Hambühren"]
    assert "Keine Gemeinde gefunden für „Hambüren“" in body


def test_nothing_similar_shows_every_place(client, places):
    names, body = found(client, "Atlantis")
    assert names == ["Bergen", "Hambühren", "Samtgemeinde Wathlingen"]
    assert "Keine Gemeinde gefunden" in body


def test_the_villages_are_shown_on_the_card(client, places):
    body = client.get("/").content.decode()
    assert "Adelheidsdorf, Nienhagen, Wathlingen" in body


def test_search_text_follows_every_save():
    place = factories.municipality("Eschede")
    place.member_villages = "Höfer"
    place.save(update_fields=["member_villages"])
    assert Municipality.objects.search("Hoefer").get() == place
