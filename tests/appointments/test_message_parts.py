"""A batch renders a booking notice once per kind, language and slot with marks for the
client's values (appointments.message_parts): what goes out must be byte for byte what a
direct rendering gives, for every shared kind and language, whatever the values hold."""

import string

import pytest
from django.conf import settings
from django.template import engines
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from appointments import message_parts
from appointments.message_parts import SHARED_KINDS, SharedParts
from appointments.messages import build_message, render_parts
from appointments.models import MailKind, OutgoingMail
from tests import factories

pytestmark = pytest.mark.django_db


LANGUAGES = [code for code, _name in settings.LANGUAGES]
AWKWARD = [
    "<b>Anna</b> & 'Ben' \"Cem\"",
    "محمد عبد الله",
    "Олена Шевченко",
    "Ünal Öztürk-Çelik",
    "x" * 300,
    "  Zeilen\numbruch\r\n und  Leerzeichen ",
    "&amp; &lt;",
    "{{ booking.name }} {% if %}",
    "%(name)s %s {0}",
    "\u202eRTL-Override\u202c",
    "",
]
values = st.one_of(
    st.sampled_from(AWKWARD),
    st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00")),
)

# A manage token is URL-safe base64; none gives a notice without a manage link.
tokens = st.one_of(st.none(), st.text(string.ascii_letters + string.digits + "-_", min_size=1))


@pytest.fixture
def slots():
    site = factories.site(
        name="Rathaus <Saal> & 'Kaminzimmer'", room='Raum "2"', address="Markt 1 & 2"
    )
    day = factories.day(site, seats=10)
    return list(day.slots.order_by("starts_at"))


def notice(slot, kind, language, *, name, reference, token, shared=None):
    booking, _token = factories.booking(slot)
    booking.name, booking.reference, booking.language = name, reference, language
    mail = OutgoingMail(kind=kind, booking=booking, key=f"{kind}:{booking.pk}", context={})
    return build_message(mail, manage_token=token, shared=shared)


def content(message):
    # The calendar file is written for each notice either way (and stamped with the time).
    return (message.subject, message.body, message.html, message.to, message.message_id)


@pytest.mark.parametrize("kind", sorted(SHARED_KINDS))
def test_shared_parts_equal_a_direct_rendering_for_every_language_and_any_values(kind, slots):
    slot = slots[0]
    batch = SharedParts()
    for language in LANGUAGES:
        # A first client makes the key's marked parts; the example's client reuses them.
        notice(
            slot, kind, language, name="Erste", reference="AAAA-1111", token="t" * 32, shared=batch
        )

    booking, _ = factories.booking(slot)

    @hypothesis_settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(name=values, reference=values, token=tokens, language=st.sampled_from(LANGUAGES))
    def check(name, reference, token, language):
        booking.name, booking.reference, booking.language = name, reference, language
        mail = OutgoingMail(kind=kind, booking=booking, key=f"{kind}:{booking.pk}", context={})
        direct = build_message(mail, manage_token=token)
        shared = build_message(mail, manage_token=token, shared=batch)
        assert content(shared) == content(direct)

    check()
    # Every language's rendering was shared, none fell back.
    assert all(parts is not None for parts in batch._parts.values())
    assert {key[1] for key in batch._parts} == set(LANGUAGES)


def test_each_slot_has_parts_of_its_own(slots):
    batch = SharedParts()
    first = notice(
        slots[0], MailKind.REMINDER, "de", name="A", reference="R1", token="t" * 32, shared=batch
    )
    second = notice(
        slots[1], MailKind.REMINDER, "de", name="B", reference="R2", token="u" * 32, shared=batch
    )
    assert "09:00–09:30" in first.body
    assert "09:30–10:00" in second.body
    assert len(batch._parts) == 2


def test_the_confirmation_reads_the_clients_needs_so_it_is_rendered_directly(slots):
    booking, _ = factories.booking(slots[0], need_child=True)
    mail = OutgoingMail(kind=MailKind.BOOKING_CONFIRMED, booking=booking, key="k", context={})
    assert not message_parts.shareable(mail)
    # Were it listed as shared, the stand-in would refuse it rather than guess.
    batch = SharedParts()
    context = {"booking": booking, "mail": mail, "manage_url": "https://x/t/"}
    assert batch.render(mail, language="de", context=context, render_parts=render_parts) is None
    assert list(batch._parts.values()) == [None]


def render_with(source):
    template = engines["django"].from_string(source)

    def render(name, *, language, context):
        text = template.render(context)
        return text, text, text

    return render


@pytest.mark.parametrize(
    "source",
    [
        "{{ booking.name|upper }}",  # a filter changed the mark
        "{{ booking.name|slice:':3' }}",  # cut it
        "{{ booking.name|force_escape|force_escape }}",  # escaped it twice
        "{% if booking.name %}x{% endif %}",  # decided a condition by it
        "{{ booking.name|length }}",  # measured it
        "{{ booking.email }}",  # read a value that is not marked or keyed
        "{{ booking }}",  # the booking itself
        "{{ mail.key }}",  # anything of the outbox row
    ],
)
def test_a_template_that_uses_a_clients_value_otherwise_is_not_shared(source, slots):
    booking, _ = factories.booking(slots[0])
    mail = OutgoingMail(kind=MailKind.REMINDER, booking=booking, key="k", context={})
    context = {"booking": booking, "mail": mail, "manage_url": "https://x/t/"}
    batch = SharedParts()
    assert (
        batch.render(mail, language="de", context=context, render_parts=render_with(source)) is None
    )


def test_escaped_and_raw_marks_are_filled_as_the_template_would(slots):
    booking, _ = factories.booking(slots[0], name="<A & B>")
    mail = OutgoingMail(kind=MailKind.REMINDER, booking=booking, key="k", context={})
    context = {"booking": booking, "mail": mail, "manage_url": "https://x/t/?a=1&b=2"}
    source = (
        "{{ booking.name }}|{{ booking.name|safe }}|"
        "{% autoescape off %}{{ manage_url }}{% endautoescape %}|{{ manage_url }}"
    )
    parts = SharedParts().render(
        mail, language="de", context=context, render_parts=render_with(source)
    )
    assert parts[0] == "&lt;A &amp; B&gt;|<A & B>|https://x/t/?a=1&b=2|https://x/t/?a=1&amp;b=2"
