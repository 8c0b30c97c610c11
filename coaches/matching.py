"""Matching help: which open openings fit a person's constraints, best fit first, and why.

A transparent filter and ranking: each opening gets one reason per constraint the person
gave, each fitting or not, and openings are ordered by how many reasons fit. Pure Python
over rows the caller loaded, so the number of queries does not grow with the openings.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from coaches.models_casework import Mobility, Person
from coaches.models_employers import Opening


@dataclass
class Reason:
    text: str
    fits: bool


@dataclass
class Match:
    opening: Opening
    reasons: list[Reason]
    referred: bool = False

    @property
    def score(self) -> int:
        return sum(reason.fits for reason in self.reasons)

    @property
    def fits_all(self) -> bool:
        return all(reason.fits for reason in self.reasons)


def _start(person: Person, opening: Opening) -> Reason | None:
    if person.earliest_start is None:
        return None
    if opening.latest_start < person.earliest_start:
        text = _("Beginn spätestens %(time)s") % {"time": f"{opening.latest_start:%H:%M}"}
        return Reason(text, False)
    at = max(opening.earliest_start, person.earliest_start)
    return Reason(_("Beginn %(time)s") % {"time": f"{at:%H:%M}"}, True)


def _hours(person: Person, opening: Opening) -> Reason | None:
    if person.hours_per_week is None:
        return None
    hours = opening.hours_per_week
    if hours <= person.hours_per_week:
        return Reason(_("%(hours)s Stunden pro Woche") % {"hours": hours}, True)
    if opening.employer.part_time:
        return Reason(_("Teilzeit möglich"), True)
    return Reason(_("%(hours)s Stunden pro Woche") % {"hours": hours}, False)


def _qualification(person: Person, opening: Opening) -> Reason:
    if not opening.needs_qualification:
        return Reason(_("keine Ausbildung nötig"), True)
    return Reason(_("Ausbildung nötig"), person.has_qualification)


def _place(person: Person, opening: Opening, reachable_ids: set[int]) -> Reason:
    place = opening.employer.municipality
    if place.pk == person.municipality_id:
        return Reason(_("in %(place)s") % {"place": place.name}, True)
    if person.mobility == Mobility.CAR:
        return Reason(_("%(place)s mit dem Auto erreichbar") % {"place": place.name}, True)
    if person.mobility == Mobility.BUS:
        fits = place.pk in reachable_ids or opening.employer.by_bus
        return Reason(_("%(place)s mit dem Bus erreichbar") % {"place": place.name}, fits)
    return Reason(_("%(place)s ist weit weg") % {"place": place.name}, False)


def match_openings(
    *, person: Person, openings, reachable_ids: set[int], referred_ids: set[int]
) -> list[Match]:
    """Every opening with its reasons, best fit first (then by title)."""
    matches = []
    for opening in openings:
        reasons = [
            _start(person, opening),
            _hours(person, opening),
            _qualification(person, opening),
            _place(person, opening, reachable_ids),
        ]
        matches.append(
            Match(
                opening=opening,
                reasons=[reason for reason in reasons if reason],
                referred=opening.pk in referred_ids,
            )
        )
    matches.sort(key=lambda match: (-match.score, match.opening.title.lower(), match.opening.pk))
    return matches
