import pytest
from django.core.management import call_command

from coaches.management.commands.seed_casework import PERSONS
from coaches.models import Employer, Opening, Person, Referral, ReferralStatus


def quietly(command):
    call_command(command, stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.mark.django_db
def test_it_adds_casework_to_the_demo_with_every_referral_status_once():
    quietly("seed_demo")
    quietly("seed_casework")
    # seed_demo also seeds a programme, whose participants are persons of their own.
    accompanied = Person.objects.filter(name__in=PERSONS)
    counts = [Employer.objects.count(), Opening.objects.count(), accompanied.count()]
    assert counts == [3, 4, 3]
    assert set(Referral.objects.values_list("status", flat=True)) == set(ReferralStatus.values)
    assert Person.objects.get(name="Maria Schulz").job_start_on is not None

    quietly("seed_casework")
    assert [Employer.objects.count(), Opening.objects.count(), accompanied.count()] == counts
