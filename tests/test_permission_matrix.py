"""Every named URL, requested as each persona, against an explicit table.

A URL added to the URLconf without a row here fails `test_every_named_url_has_a_row`,
so nobody can add a page without deciding who may see it.
"""

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from appointments.models import BookingToken, Call, CallReason
from tests import factories
from tests.personas import PERSONAS

A, B, C, N, D, S, F = "alice", "bob", "carla", "anonymous", "admin", "stefan", "frida"


def status_row(alice, bob, carla, anonymous, admin, stefan, frida):
    return {A: alice, B: bob, C: carla, N: anonymous, D: admin, S: stefan, F: frida}


def everyone(code):
    return status_row(code, code, code, code, code, code, code)


# Staff pages: a coach sees their own day; a coach elsewhere is refused; no account means
# the login page; administrators see everything; a staff account without the permission
# to view bookings is refused, whatever is_staff says; the front desk sees no coach page.
STAFF_PAGE = status_row(200, 403, 302, 302, 200, 403, 403)
STAFF_ACTION_GET = status_row(405, 405, 302, 302, 405, 405, 405)  # no account: login first
STAFF_ONLY = status_row(200, 200, 302, 302, 200, 403, 403)  # pages of any logged-in coach
FRONT_DESK_PAGE = status_row(403, 403, 302, 302, 200, 403, 200)

# name: (kwargs key, GET row). Keys name objects of the world below.
EXPECTED_GET = {
    "locations:start": (None, everyone(200)),
    "locations:first_free": (None, everyone(200)),
    "appointments:day": ("future_day", everyone(200)),
    "appointments:waitlist": ("full_day", everyone(200)),
    # Only the session that joined sees its confirmation.
    "appointments:waitlist_joined": ("full_day", everyone(404)),
    "appointments:book": ("free_slot", everyone(200)),
    # Only the browser session that made a booking sees its confirmation.
    "appointments:confirmation": ("reference", everyone(404)),
    # The secret link is the key, whoever holds it.
    "appointments:manage": ("token", everyone(200)),
    # The short form of the secret link (SMS, slips, letters) redirects to it.
    "appointments:short": ("short_token", everyone(302)),
    "appointments:ics": ("token", everyone(200)),
    "appointments:export": ("token", everyone(200)),
    # GET asks for a confirmation; only the POST from that page changes anything.
    "appointments:cancel": ("token", everyone(200)),
    # GET shows the days and times to move to; only the POST from that page moves.
    "appointments:move": ("token", everyone(200)),
    "appointments:erase": ("token", everyone(200)),
    # The offer link is signed for one entry and slot; a manage token is not one.
    "appointments:waitlist_offer": ("token", everyone(404)),
    # Anyone may apply for a published cohort; only the session that applied sees its
    # confirmation.
    "appointments:apply": ("open_cohort", everyone(200)),
    "appointments:applied": ("open_cohort", everyone(404)),
    "coaches:login": (None, everyone(200)),
    "coaches:logout": (None, everyone(405)),
    "coaches:password_reset": (None, everyone(200)),
    "coaches:password_reset_done": (None, everyone(200)),
    "coaches:password_reset_confirm": ("reset", everyone(200)),
    "coaches:password_reset_complete": (None, everyone(200)),
    "coaches:my_day": (None, STAFF_ONLY),
    "coaches:follow_ups": (None, STAFF_ONLY),
    "coaches:print_day": ("day_id", STAFF_PAGE),
    "coaches:add_walk_in": ("day_id", STAFF_PAGE),
    "coaches:booking": ("booking_id", STAFF_PAGE),
    "coaches:record_outcome": ("booking_id", STAFF_ACTION_GET),
    "coaches:mark_attended": ("booking_id", STAFF_ACTION_GET),
    "coaches:mark_no_show": ("booking_id", STAFF_ACTION_GET),
    "coaches:undo_attendance": ("booking_id", STAFF_ACTION_GET),
    "coaches:complete_follow_up": ("booking_id", STAFF_ACTION_GET),
    "healthz": (None, everyone(200)),
    "privacy": (None, everyone(200)),
    "accessibility": (None, everyone(200)),
    "imprint": (None, everyone(200)),
    "easy_language": (None, everyone(200)),
    "sign_language": (None, everyone(200)),
    "set_language": (None, everyone(302)),
    # Accompaniment: the coaches of the person's team and administrators; Bob's team
    # does not accompany the person, so he is refused on the person, the employer's
    # notes and the referrals.
    "coaches:start_accompaniment": ("booking_id", STAFF_PAGE),
    "coaches:persons": (None, STAFF_ONLY),
    "coaches:person": ("person_id", STAFF_PAGE),
    "coaches:person_constraints": ("person_id", STAFF_PAGE),
    "coaches:person_matches": ("person_id", STAFF_PAGE),
    "coaches:add_contact": ("person_id", STAFF_ACTION_GET),
    "coaches:end_accompaniment": ("person_id", STAFF_ACTION_GET),
    "coaches:link_visit": ("person_booking", STAFF_ACTION_GET),
    "coaches:refer": ("person_id", STAFF_ACTION_GET),
    "coaches:referral": ("referral_id", STAFF_PAGE),
    "coaches:change_referral": ("referral_id", STAFF_ACTION_GET),
    "coaches:employers": (None, STAFF_ONLY),
    "coaches:employer": ("employer_id", STAFF_PAGE),
    "coaches:opening_status": ("employer_opening", STAFF_ACTION_GET),
    # Employers and openings are changed by the coaches of the employer's team only; an
    # administrator without a coach profile uses the admin.
    "coaches:add_employer": (None, status_row(200, 200, 302, 302, 403, 403, 403)),
    "coaches:edit_employer": ("employer_id", status_row(200, 403, 302, 302, 403, 403, 403)),
    "coaches:add_opening": ("employer_id", status_row(200, 403, 302, 302, 403, 403, 403)),
    "coaches:edit_opening": ("employer_opening", status_row(200, 403, 302, 302, 403, 403, 403)),
    "coaches:person_figures": (None, STAFF_ONLY),
    "coaches:person_figures_csv": (None, STAFF_ONLY),
    "appointments:withdraw_consent": ("token", everyone(405)),
    # Programmes: the coaches of the programme's team, its lead and administrators; Bob
    # is outside the team. Enrolling needs a coach profile, as every casework change.
    "coaches:enrol": ("person_id", status_row(200, 403, 302, 302, 403, 403, 403)),
    "coaches:cohort": ("cohort_id", STAFF_PAGE),
    "coaches:decide_application": ("application_id", STAFF_ACTION_GET),
    # The applications of every cohort the user runs, in one list.
    "coaches:applications": (None, STAFF_PAGE),
    "coaches:session_register": ("session_id", STAFF_PAGE),
    "coaches:mark_session": ("session_id", STAFF_ACTION_GET),
    "coaches:former_visit": ("session_id", STAFF_ACTION_GET),
    "coaches:leave_programme": ("enrolment_id", STAFF_PAGE),
    "coaches:programme_figures": (None, STAFF_PAGE),
    "coaches:programme_figures_csv": (None, STAFF_PAGE),
    # Printed material: the poster shows no client data, so any coach prints it; the
    # letter form lists the coach's own persons and days, the front desk's its own
    # municipalities' days. Stefan has no role for either.
    "print:poster": ("municipality_id", status_row(200, 200, 302, 302, 200, 403, 200)),
    "print:letter": (None, status_row(200, 200, 302, 302, 200, 403, 200)),
    # The front desk: Frida for Wathlingen's days, administrators for every day; coaches
    # have their own pages and get none of these.
    "coaches:frontdesk": (None, FRONT_DESK_PAGE),
    "coaches:frontdesk_day": ("day_id", FRONT_DESK_PAGE),
    "coaches:frontdesk_book": ("day_id", FRONT_DESK_PAGE),
    # Printing the slip issues a fresh short link.
    "coaches:frontdesk_slip": ("booking_id", FRONT_DESK_PAGE),
    "coaches:frontdesk_cancel": ("booking_id", FRONT_DESK_PAGE),
    "coaches:frontdesk_move": ("booking_id", FRONT_DESK_PAGE),
    # A day's call list: the coaches serving it, the front desk of its municipality and
    # administrators.
    "coaches:call_list": ("day_id", status_row(200, 403, 302, 302, 200, 403, 200)),
    "coaches:call_done": ("call_id", STAFF_ACTION_GET),
}

# POST with an empty body to every URL that changes something. A POST to a staff action
# by someone who may not is refused before anything is read.
STAFF_POST = status_row(302, 403, 302, 302, 302, 403, 403)
EXPECTED_POST = {
    "coaches:mark_attended": STAFF_POST,
    "coaches:mark_no_show": STAFF_POST,
    "coaches:undo_attendance": STAFF_POST,
    "coaches:complete_follow_up": STAFF_POST,
    "coaches:record_outcome": status_row(400, 403, 302, 302, 400, 403, 403),
    "coaches:add_walk_in": status_row(200, 403, 302, 302, 200, 403, 403),  # the form with errors
    "appointments:cancel": everyone(302),
    "appointments:move": everyone(302),
    "appointments:erase": everyone(302),
    # Casework changes need a coach of the person's team; an administrator without a
    # coach profile may read, not write. Invalid forms answer 400.
    "coaches:start_accompaniment": status_row(400, 403, 302, 302, 403, 403, 403),
    "coaches:person_constraints": status_row(400, 403, 302, 302, 400, 403, 403),
    "coaches:add_contact": status_row(400, 403, 302, 302, 403, 403, 403),
    "coaches:link_visit": status_row(302, 403, 302, 302, 403, 403, 403),
    "coaches:refer": status_row(302, 403, 302, 302, 403, 403, 403),
    "coaches:change_referral": status_row(400, 403, 302, 302, 403, 403, 403),
    "coaches:opening_status": status_row(302, 403, 302, 302, 302, 403, 403),
    "coaches:add_employer": status_row(400, 400, 302, 302, 403, 403, 403),
    "coaches:edit_employer": status_row(400, 403, 302, 302, 403, 403, 403),
    "coaches:add_opening": status_row(400, 403, 302, 302, 403, 403, 403),
    "coaches:edit_opening": status_row(400, 403, 302, 302, 403, 403, 403),
    "coaches:end_accompaniment": status_row(302, 403, 302, 302, 403, 403, 403),
    "appointments:withdraw_consent": everyone(302),
    # An empty application is the form again with its messages.
    "appointments:apply": everyone(200),
    "coaches:enrol": status_row(400, 403, 302, 302, 403, 403, 403),
    "coaches:mark_session": status_row(400, 403, 302, 302, 403, 403, 403),
    "coaches:former_visit": status_row(302, 403, 302, 302, 403, 403, 403),
    "coaches:leave_programme": status_row(400, 403, 302, 302, 400, 403, 403),
    # Deciding is the team's, its lead's or an administrator's; an empty POST decides
    # nothing and goes back to the cohort.
    "coaches:decide_application": STAFF_POST,
    # An empty letter form is the form again with its messages.
    "print:letter": status_row(400, 400, 302, 302, 400, 403, 400),
    # An empty booking or move form is shown again with its messages; an empty cancel
    # form is a cancel without a reason (after the move above was refused).
    "coaches:frontdesk_book": status_row(403, 403, 302, 302, 400, 403, 400),
    "coaches:frontdesk_move": status_row(403, 403, 302, 302, 400, 403, 400),
    "coaches:frontdesk_cancel": status_row(403, 403, 302, 302, 302, 403, 302),
    "coaches:call_done": status_row(302, 403, 302, 302, 302, 403, 302),
}

# The admin: its models are listed explicitly; every URL of a listed model follows the
# rule for its kind. Only administrators get in; everyone else is sent to its login.
ADMIN_MODELS = {
    "auth_group",
    "auth_user",
    "locations_district",
    "locations_municipality",
    "locations_site",
    "coaches_specialism",
    "coaches_coach",
    "coaches_team",
    "coaches_employer",
    "coaches_frontdesk",
    "appointments_outreachseries",
    "appointments_outreachday",
    "appointments_booking",
    "appointments_waitlistentry",
    "appointments_outgoingmail",
    "appointments_auditentry",
    "appointments_programme",
    "appointments_cohort",
    # The operator's own texts on the legal pages.
    "joblokal_legaltext",
    # django-axes: failed logins and lockouts.
    "axes_accessattempt",
    "axes_accessfailurelog",
    "axes_accesslog",
}
ADMIN_VIEWS = {
    "index",
    "app_list",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "autocomplete",
    "jsi18n",
    "view_on_site",
    "appointments_statistics",
    "appointments_statistics_csv",
    "appointments_outreachday_cancel",
    "appointments_outreachseries_preview",
    "auth_user_password_change",
}
NOT_FOR_ADMIN_GET = {
    # Django answers an autocomplete request without its field parameters with 403.
    "autocomplete": 403,
    # Cancelling needs days chosen in the list first; without them it goes back there.
    "appointments_outreachday_cancel": 302,
    "axes_accessattempt_add": 403,
    "axes_accessfailurelog_add": 403,
    "axes_accesslog_add": 403,
    # Written only through the domain functions or by the system itself.
    "appointments_booking_add": 403,
    "appointments_booking_delete": 403,
    "appointments_waitlistentry_add": 403,
    "appointments_auditentry_add": 403,
    "appointments_auditentry_delete": 403,
    "appointments_outgoingmail_add": 403,
    # Publishing changes something: POST only.
    "appointments_outreachday_publish": 405,
    "appointments_outreachseries_publish": 405,
}


def named_urls(patterns=None, namespace=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_urls(entry.url_patterns, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespace + entry.name


def test_every_named_url_has_a_row():
    missing = []
    for name in set(named_urls()):
        if name.startswith("admin:"):
            short = name.removeprefix("admin:")
            model = short.rsplit("_", 1)[0]
            if short not in ADMIN_VIEWS and model not in ADMIN_MODELS:
                missing.append(name)
        elif name not in EXPECTED_GET:
            missing.append(name)
    assert missing == [], f"URLs without a row in the permission matrix: {sorted(missing)}"


@pytest.fixture
def objects(world):
    future = factories.day(factories.site(), on=timezone.localdate() + timedelta(days=10))
    full = factories.day(
        factories.site(),
        on=timezone.localdate() + timedelta(days=11),
        start=future.starts_at.astimezone().time(),
        end=(future.starts_at + timedelta(minutes=30)).astimezone().time(),
    )
    factories.booking(full.slots.get())
    return {
        None: {},
        "future_day": {"pk": future.pk},
        "full_day": {"pk": full.pk},
        "free_slot": {"pk": future.slots.first().pk},
        "reference": {"reference": world.booking.reference},
        "token": {"token": world.token},
        "short_token": {"token": BookingToken.objects.issue(booking=world.booking, short=True)},
        "reset": {"uidb64": "MQ", "token": "set-password"},
        "day_id": {"day_id": world.day.pk},
        "booking_id": {"booking_id": world.booking.pk},
        "municipality_id": {"municipality_id": world.day.site.municipality_id},
        "call_id": {"call_id": call_for(world.booking).pk},
        **casework_objects(world),
    }


def call_for(booking) -> Call:
    return Call.objects.create(
        booking=booking, reason=CallReason.REMINDER, for_date=booking.day.date
    )


def casework_objects(world) -> dict:
    """Alice's team serves Wathlingen and accompanies Maria; Bob's team is another."""
    from datetime import time

    from coaches import casework, employers
    from coaches.models import Employer, Opening

    team = factories.team(world.alice, name="Team Wathlingen")
    factories.team(world.bob, name="Team Bergen")
    world.day.team = team
    world.day.save(update_fields=["team"])
    person = casework.start_accompaniment(
        booking=world.booking,
        coach=world.alice,
        consent=True,
        constraints=casework.WorkConstraints(),
    )
    employer = Employer.objects.create(
        team=team, municipality=world.day.site.municipality, name="Pflegeheim", sector="Pflege"
    )
    opening = Opening.objects.create(
        employer=employer,
        title="Wäscherei",
        hours_per_week=25,
        earliest_start=time(8),
        latest_start=time(10),
    )
    referral = employers.refer_person(person=person, opening=opening, coach=world.alice)
    return {
        **programme_objects(team, person),
        "person_id": {"person_id": person.pk},
        "person_booking": {"person_id": person.pk, "booking_id": world.booking.pk},
        "referral_id": {"referral_id": referral.pk},
        "employer_id": {"employer_id": employer.pk},
        "employer_opening": {"employer_id": employer.pk, "opening_id": opening.pk},
    }


def programme_objects(team, person) -> dict:
    """Alice's team runs a programme in Wathlingen; Maria takes part in its cohort."""
    from appointments.services import apply_for_cohort, enrol_person, publish_cohort
    from tests.coaches import programme_world

    programme = programme_world.programme(team, factories.site(person.municipality))
    cohort = programme_world.cohort(programme)
    enrolment = enrol_person(person=person, cohort=cohort, coach=team.lead)
    published = programme_world.cohort(
        programme, starts_on=programme_world.START + timedelta(weeks=10)
    )
    publish_cohort(cohort=published)
    application = apply_for_cohort(
        cohort=published,
        name="Lea Lang",
        email="lea@example.org",
        phone="",
        note="",
        language="de",
        submission_key="m" * 32,
    )
    return {
        "application_id": {"application_id": application.pk},
        "open_cohort": {"cohort_id": published.pk},
        "cohort_id": {"cohort_id": cohort.pk},
        "session_id": {"session_id": cohort.sessions.first().pk},
        "enrolment_id": {"enrolment_id": enrolment.pk},
    }


def status_of(client, method, url):
    return getattr(client, method)(url).status_code


@pytest.mark.parametrize("persona", PERSONAS)
def test_get_matches_the_table(persona, as_persona, objects):
    client = as_persona(persona)
    actual, expected = {}, {}
    for name, (key, row) in EXPECTED_GET.items():
        url = reverse(name, kwargs=objects[key])
        actual[name], expected[name] = status_of(client, "get", url), row[persona]
    assert actual == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_post_matches_the_table(persona, as_persona, objects):
    client = as_persona(persona)
    actual, expected = {}, {}
    for name, row in EXPECTED_POST.items():
        url = reverse(name, kwargs=objects[EXPECTED_GET[name][0]])
        actual[name], expected[name] = status_of(client, "post", url), row[persona]
    assert actual == expected


def admin_urls(world):
    """Every admin URL with an object of its model where it needs one."""
    from django.contrib import admin

    objects = {}
    for model, model_admin in admin.site._registry.items():
        key = f"{model._meta.app_label}_{model._meta.model_name}"
        obj = (
            model_admin.get_queryset(None).first() if hasattr(model_admin, "get_queryset") else None
        )
        objects[key] = obj
    for name in sorted(set(named_urls())):
        if not name.startswith("admin:"):
            continue
        short = name.removeprefix("admin:")
        if short in {"view_on_site", "logout"}:
            continue
        kwargs = {"app_label": "appointments"} if short == "app_list" else {}
        if short.endswith(
            ("_change", "_delete", "_history", "_password_change", "_preview", "_publish")
        ):
            obj = objects.get(short.rsplit("_", 1)[0].removesuffix("_password"))
            if obj is None:
                continue
            kwargs = {"object_id" if not short.endswith("password_change") else "id": obj.pk}
        yield short, reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("persona", ["alice", "carla", "anonymous"])
def test_only_administrators_get_into_the_admin(persona, as_persona, world):
    client = as_persona(persona)
    for short, url in admin_urls(world):
        response = client.get(url)
        if short in {"login", "jsi18n"}:
            continue
        assert response.status_code == 302, (short, response.status_code)
        assert "/admin/login/" in response["Location"], short


def test_administrators_get_every_admin_page(as_persona, world):
    client = as_persona("admin")
    for short, url in admin_urls(world):
        expected = NOT_FOR_ADMIN_GET.get(short, 302 if short == "login" else 200)
        assert client.get(url).status_code == expected, (short, url)


# Models whose admin pages show client data (or who looked at it).
CLIENT_DATA_ADMIN = {
    "appointments_booking",
    "appointments_waitlistentry",
    "appointments_outgoingmail",
    "appointments_auditentry",
    "appointments_statistics",
    "appointments_outreachday",
    "auth_user",
    "axes_accessattempt",
    "axes_accessfailurelog",
    "axes_accesslog",
}


def test_a_staff_account_without_permissions_sees_no_client_data_in_the_admin(as_persona, world):
    client = as_persona("stefan")
    shown = {}
    for short, url in admin_urls(world):
        model = short.removesuffix("_csv").rsplit("_", 1)[0]
        if model in CLIENT_DATA_ADMIN or short.startswith("appointments_statistics"):
            shown[short] = client.get(url).status_code
    # 405: a POST-only action answers a GET before it reads anything.
    assert shown and all(code in (302, 403, 405) for code in shown.values()), {
        k: v for k, v in shown.items() if v not in (302, 403, 405)
    }
    # He does get what he was given.
    assert client.get(reverse("admin:locations_municipality_changelist")).status_code == 200
