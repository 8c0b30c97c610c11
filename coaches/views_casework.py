"""Casework pages: start an accompaniment at the table, the person's page with its
timeline, constraints, contact log, matches and referrals, and the end.

Access (invariant 3): `_get_person` lets through the coaches of the person's team and
administrators, and refuses everyone else; every look is written to the audit log here,
every change by the domain function that makes it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from appointments.models import AuditAction, Enrolment
from coaches import casework, employers, matching
from coaches.forms_casework import (
    ConsentForm,
    ContactForm,
    EndForm,
    ReferForm,
    ReferralStatusForm,
    WorkConstraintsForm,
)
from coaches.models import Coach
from coaches.models_casework import Person, PersonVisit
from coaches.models_employers import Referral, ReferralStep
from coaches.views import _first_or_404, _get_booking


def _coach(user) -> Coach:
    """The acting coach. Administrators without a coach profile may read, not write."""
    coach = Coach.objects.active().filter(user=user).first()
    if coach is None:
        raise PermissionDenied
    return coach


def _viewer(user) -> None:
    if (
        not (user.is_active and user.is_superuser)
        and not Coach.objects.active().filter(user=user).exists()
    ):
        raise PermissionDenied


def _get_person(request, person_id: int) -> Person:
    person = _first_or_404(
        Person.objects.select_related("municipality__district", "team"), person_id
    )
    if not casework.persons_visible_to(request.user).filter(pk=person.pk).exists():
        raise PermissionDenied
    return person


def _person_url(person: Person, anchor: str = "") -> str:
    return reverse("coaches:person", args=[person.pk]) + (f"#{anchor}" if anchor else "")


def _refused(request, refusal) -> None:
    messages.error(request, str(refusal))


@login_required
@never_cache
@require_GET
def person_list(request):
    _viewer(request.user)
    persons = list(
        casework.persons_visible_to(request.user)
        .kept()
        .select_related("municipality")
        .order_by("status", "name")
    )
    casework.audit_persons(user=request.user, persons=persons, action=AuditAction.VIEW_PERSON)
    return render(request, "coaches/person_list.html", {"persons": persons})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def start_accompaniment(request, booking_id: int):
    booking = _get_booking(request, booking_id)
    coach = _coach(request.user) if request.method == "POST" else None
    district = booking.day.site.municipality.district
    form = ConsentForm(request.POST if request.method == "POST" else None, district=district)
    if request.method == "POST" and form.is_valid():
        try:
            person = casework.start_accompaniment(
                booking=booking, coach=coach, consent=True, constraints=form.constraints()
            )
        except casework.CaseworkRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Die Begleitung ist aufgenommen."))
            return redirect(_person_url(person))
    status = 400 if form.errors else 200
    context = {"booking": booking, "form": form}
    return render(request, "coaches/person_start.html", context, status=status)


def _load_person_page(person: Person) -> Person:
    """The person with everything the page shows, in a fixed number of queries."""
    visits = PersonVisit.objects.select_related(
        "booking__day__site__municipality"
    ).prefetch_related("booking__outcomes")
    referrals = Referral.objects.select_related("employer", "opening").prefetch_related(
        Prefetch("steps", queryset=ReferralStep.objects.order_by("on", "pk"))
    )
    return (
        Person.objects.filter(pk=person.pk)
        .select_related("municipality", "team", "consent_by")
        .prefetch_related(
            Prefetch("visits", queryset=visits.order_by("booking__day__date", "pk")),
            Prefetch("contacts", queryset=person.contacts.select_related("coach")),
            Prefetch("referrals", queryset=referrals),
            Prefetch(
                "enrolments",
                queryset=Enrolment.objects.select_related("cohort__programme").order_by("pk"),
            ),
            "reachable",
        )
        .get()
    )


def timeline(person: Person) -> list[dict]:
    """Visits, follow-ups, contacts and referral steps of a loaded person, newest first."""
    events = []
    for visit in person.visits.all():
        booking = visit.booking
        events.append({"on": booking.day.date, "kind": "visit", "booking": booking})
        if booking.follow_up_on:
            events.append({"on": booking.follow_up_on, "kind": "follow_up", "booking": booking})
    for contact in person.contacts.all():
        events.append({"on": contact.on, "kind": "contact", "contact": contact})
    for referral in person.referrals.all():
        for step in referral.steps.all():
            events.append({"on": step.on, "kind": "step", "step": step, "referral": referral})
    return sorted(events, key=lambda event: event["on"], reverse=True)


def _render_person(request, person: Person, status=200, **forms):
    person = _load_person_page(person)
    casework.audit_person(user=request.user, person=person, action=AuditAction.VIEW_PERSON)
    context = {
        "person": person,
        "timeline": timeline(person),
        "contact_form": forms.get("contact_form") or ContactForm(),
        "end_form": forms.get("end_form") or EndForm(),
        "status_form": ReferralStatusForm(),
    }
    return render(request, "coaches/person.html", context, status=status)


@login_required
@never_cache
@require_GET
def person_detail(request, person_id: int):
    return _render_person(request, _get_person(request, person_id))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def edit_constraints(request, person_id: int):
    person = _get_person(request, person_id)
    initial = {
        name: getattr(person, name)
        for name in WorkConstraintsForm.base_fields
        if name != "reachable"
    }
    initial["reachable"] = list(person.reachable.all())
    form = WorkConstraintsForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        district=person.municipality.district,
    )
    if request.method == "POST" and form.is_valid():
        _coach(request.user)
        try:
            casework.update_constraints(
                person=person, constraints=form.constraints(), user=request.user
            )
        except casework.CaseworkRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Gespeichert."))
            return redirect(_person_url(person, "constraints"))
    casework.audit_person(user=request.user, person=person, action=AuditAction.VIEW_PERSON)
    status = 400 if form.errors else 200
    context = {"person": person, "form": form}
    return render(request, "coaches/person_constraints.html", context, status=status)


@login_required
@require_POST
def add_contact(request, person_id: int):
    person = _get_person(request, person_id)
    coach = _coach(request.user)
    form = ContactForm(request.POST)
    if not form.is_valid():
        return _render_person(request, person, status=400, contact_form=form)
    try:
        casework.log_contact(person=person, coach=coach, **form.cleaned_data)
    except casework.CaseworkRefused as refusal:
        _refused(request, refusal)
    else:
        messages.success(request, _("Der Kontakt ist eingetragen."))
    return redirect(_person_url(person, "contacts"))


@login_required
@require_POST
def end_accompaniment(request, person_id: int):
    person = _get_person(request, person_id)
    _coach(request.user)
    form = EndForm(request.POST)
    if not form.is_valid():
        return _render_person(request, person, status=400, end_form=form)
    ended = casework.end_accompaniment(person=person, user=request.user, **form.cleaned_data)
    messages.success(
        request, _("Die Begleitung ist beendet.") if ended else _("Das war schon gespeichert.")
    )
    return redirect(_person_url(person))


@login_required
@require_POST
def link_visit(request, person_id: int, booking_id: int):
    person = _get_person(request, person_id)
    booking = _get_booking(request, booking_id)
    coach = _coach(request.user)
    try:
        casework.link_visit(person=person, booking=booking, coach=coach)
    except casework.CaseworkRefused as refusal:
        _refused(request, refusal)
        return redirect("coaches:booking", booking.pk)
    messages.success(request, _("Der Besuch gehört jetzt zu dieser Person."))
    return redirect(_person_url(person, "timeline"))


@login_required
@never_cache
@require_GET
def person_matches(request, person_id: int):
    person = _get_person(request, person_id)
    casework.audit_person(user=request.user, person=person, action=AuditAction.VIEW_PERSON)
    found = matching.match_openings(
        person=person,
        openings=employers.open_openings_for(person=person),
        reachable_ids=set(person.reachable.values_list("pk", flat=True)),
        referred_ids=set(person.referrals.values_list("opening_id", flat=True)),
    )
    context = {"person": person, "matches": found}
    return render(request, "coaches/person_matches.html", context)


@login_required
@require_POST
def refer(request, person_id: int):
    person = _get_person(request, person_id)
    coach = _coach(request.user)
    form = ReferForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Diese Stelle gibt es nicht."))
        return redirect("coaches:person_matches", person.pk)
    try:
        employers.refer_person(person=person, opening=form.cleaned_data["opening"], coach=coach)
    except casework.CaseworkRefused as refusal:
        _refused(request, refusal)
        return redirect("coaches:person_matches", person.pk)
    messages.success(request, _("Der Vorschlag ist angelegt."))
    return redirect(_person_url(person, "referrals"))


def _get_referral(request, referral_id: int) -> Referral:
    referral = _first_or_404(Referral.objects.select_related("person"), referral_id)
    if not casework.persons_visible_to(request.user).filter(pk=referral.person_id).exists():
        raise PermissionDenied
    return referral


@login_required
@never_cache
@require_GET
def referral_detail(request, referral_id: int):
    referral = _get_referral(request, referral_id)
    return _render_referral(request, referral, ReferralStatusForm())


def _render_referral(request, referral, form, status=200):
    casework.audit_person(
        user=request.user,
        person=referral.person,
        action=AuditAction.VIEW_PERSON,
        detail=f"referral {referral.pk}",
    )
    referral = (
        Referral.objects.select_related("person", "employer__municipality", "opening")
        .prefetch_related(Prefetch("steps", queryset=ReferralStep.objects.select_related("coach")))
        .get(pk=referral.pk)
    )
    context = {"referral": referral, "form": form}
    return render(request, "coaches/referral.html", context, status=status)


@login_required
@require_POST
def change_referral(request, referral_id: int):
    referral = _get_referral(request, referral_id)
    coach = _coach(request.user)
    form = ReferralStatusForm(request.POST)
    if form.is_valid():
        try:
            employers.change_referral_status(referral=referral, coach=coach, **form.cleaned_data)
        except casework.CaseworkRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Der neue Stand ist gespeichert."))
            return redirect("coaches:referral", referral.pk)
    return _render_referral(request, referral, form, status=400)
