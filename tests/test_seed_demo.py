import pytest
from django.core.management import call_command

from appointments.models import Booking, OutreachDay, Slot
from coaches.models import Coach, Team
from locations.models import Municipality, Site

MODELS = [Municipality, Site, Coach, Team, OutreachDay, Slot, Booking]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.mark.django_db
def test_it_seeds_the_landkreis_celle_and_a_second_run_changes_nothing(capsys):
    call_command("seed_demo")
    first = counts()
    assert first["Municipality"] == 3
    assert first["Coach"] == 3
    assert first["OutreachDay"] == 9
    assert first["Booking"] > 0
    assert "admin" in capsys.readouterr().out

    call_command("seed_demo")
    assert counts() == first
    assert set(OutreachDay.objects.values_list("status", flat=True)) == {"published"}
    assert Site.objects.filter(room="Großer Sitzungssaal", municipality__slug="wathlingen").exists()
