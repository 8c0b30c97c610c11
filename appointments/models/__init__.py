from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count, F, Max, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce, Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments.models.series import OutreachSeries, Recurrence, Weekday, WeekOfMonth
from appointments.models.tokens import BookingToken, hash_token, new_short_token, new_token
from coaches.models import Coach, Specialism, Team
from locations.models import Site


def local_datetime(day, at: time) -> datetime:
    """An aware datetime for a local wall-clock time on a date, in the project time zone."""
    return timezone.make_aware(datetime.combine(day, at), timezone.get_default_timezone())


class DayStatus(models.TextChoices):
    DRAFT = "draft", _("Entwurf")
    PUBLISHED = "published", _("veröffentlicht")
    CANCELLED = "cancelled", _("abgesagt")


class OutreachDayQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=DayStatus.PUBLISHED)

    def upcoming(self, now=None):
        return self.filter(ends_at__gt=now or timezone.now())

    def served_by(self, coach):
        return self.filter(coaches=coach)

    def with_free_slots(self, now=None):
        """Annotate `free_slots`: how many slots a client can book now (one subquery)."""
        free = (
            Slot.objects.bookable(now)
            .filter(day=OuterRef("pk"))
            .values("day")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(
            free_slots=Coalesce(Subquery(free, output_field=models.IntegerField()), 0)
        )

    def bump_version(self) -> int:
        return self.update(version=F("version") + 1, changed_at=Now())

    def last_change(self):
        """When any of these days last changed (one lookup in the index on changed_at):
        the marker under which pages showing many days keep their cached copies."""
        return self.aggregate(last=Max("changed_at"))["last"]

    def for_clients_page(self):
        """Days a client may see (not drafts) with venue and coaches' specialisms."""
        coaches = Coach.objects.prefetch_related("specialisms")
        return (
            self.exclude(status=DayStatus.DRAFT)
            .select_related("site__municipality")
            .prefetch_related(Prefetch("coaches", queryset=coaches))
        )

    def for_clients(self, now=None):
        """The same with `free_slots`, in a fixed number of queries however many days or
        bookings there are."""
        return self.for_clients_page().with_free_slots(now)


class OutreachDay(models.Model):
    """A Beratungstag: one date at one venue, with its team and slots."""

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="days", verbose_name=_("Ort")
    )
    series = models.ForeignKey(
        OutreachSeries,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="days",
        verbose_name=_("Terminreihe"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="days",
        verbose_name=_("Team"),
    )
    coaches = models.ManyToManyField(
        Coach,
        through="DayCoach",
        related_name="days",
        blank=True,
        verbose_name=_("anwesende Jobcoaches"),
    )
    date = models.DateField(_("Datum"))
    # Stored in UTC; the local wall-clock times are derived from them.
    starts_at = models.DateTimeField(_("Beginn"))
    ends_at = models.DateTimeField(_("Ende"))
    slot_minutes = models.PositiveSmallIntegerField(_("Minuten pro Termin"), default=30)
    seats_per_slot = models.PositiveSmallIntegerField(_("Plätze pro Termin"), default=1)
    status = models.CharField(
        _("Status"), max_length=10, choices=DayStatus, default=DayStatus.DRAFT
    )
    published_at = models.DateTimeField(_("veröffentlicht am"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("abgesagt am"), null=True, blank=True)
    cancel_reason = models.CharField(_("Grund der Absage"), max_length=300, blank=True)
    # Raised in the transaction of every change a client sees on the day page (seats,
    # status, times, coaches): the page cache and its ETag are keyed by it.
    version = models.PositiveIntegerField(default=1, editable=False)
    # Set with every version raise and every save: the start page's cache reads the
    # newest of these (one index lookup) to tell whether any day changed at all.
    changed_at = models.DateTimeField(auto_now=True, db_default=Now(), db_index=True)

    objects = OutreachDayQuerySet.as_manager()

    class Meta:
        verbose_name = _("Beratungstag")
        verbose_name_plural = _("Beratungstage")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="day_end_after_start"
            ),
            models.CheckConstraint(condition=Q(seats_per_slot__gte=1), name="day_seats_min"),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5), name="day_slot_min"),
            models.UniqueConstraint(fields=["site", "date"], name="one_day_per_site_and_date"),
        ]
        indexes = [models.Index(fields=["status", "starts_at"])]

    def __str__(self):
        return f"{self.site.municipality.name}, {self.date:%d.%m.%Y}"

    @property
    def is_published(self):
        return self.status == DayStatus.PUBLISHED

    @property
    def is_cancelled(self):
        return self.status == DayStatus.CANCELLED

    @property
    def is_past(self):
        return self.ends_at <= timezone.now()

    @property
    def is_held(self):
        """A published day whose time has passed counts as held."""
        return self.is_published and self.is_past

    def takes_waitlist(self, now: datetime) -> bool:
        """Whether clients may join this day's waiting list: published, open for booking
        (before that nothing is full and no offer would come), and not begun."""
        return self.status == DayStatus.PUBLISHED and self.booking_opens_at <= now < self.starts_at

    @property
    def booking_opens_at(self) -> datetime:
        """When the day's first slot comes inside the booking window."""
        return self.starts_at - timedelta(days=settings.BOOKING_OPENS_DAYS)

    @property
    def specialisms_present(self) -> list:
        """The specialisms of the coaches present, each once; uses prefetched coaches."""
        found = {s.pk: s for coach in self.coaches.all() for s in coach.specialisms.all()}
        return sorted(found.values(), key=lambda s: s.name)


class SlotQuerySet(models.QuerySet):
    def bookable(self, now=None):
        """Slots of published days inside the booking window that still have a seat."""
        now = now or timezone.now()
        return self.filter(
            day__status=DayStatus.PUBLISHED,
            starts_at__gte=now + timedelta(hours=settings.BOOKING_CLOSES_HOURS),
            starts_at__lte=now + timedelta(days=settings.BOOKING_OPENS_DAYS),
            seats_taken__lt=F("capacity"),
        )

    def on(self, day):
        return self.filter(day=day)

    def within(self, on, earliest: time | None, latest: time | None):
        """Slots that start at or after `earliest` and end by `latest` (local times)."""
        slots = self
        if earliest:
            slots = slots.filter(starts_at__gte=local_datetime(on, earliest))
        if latest:
            slots = slots.filter(ends_at__lte=local_datetime(on, latest))
        return slots


class Slot(models.Model):
    """A Zeitfenster. Each slot is a stored row so a booking has one row to lock and count
    against; seats_taken is the counter the database keeps within capacity."""

    day = models.ForeignKey(
        OutreachDay, on_delete=models.CASCADE, related_name="slots", verbose_name=_("Tag")
    )
    starts_at = models.DateTimeField(_("Beginn"))
    ends_at = models.DateTimeField(_("Ende"))
    capacity = models.PositiveSmallIntegerField(_("Plätze"), default=1)
    seats_taken = models.PositiveSmallIntegerField(_("belegte Plätze"), default=0)

    objects = SlotQuerySet.as_manager()

    class Meta:
        verbose_name = _("Zeitfenster")
        verbose_name_plural = _("Zeitfenster")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="slot_end_after_start"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="slot_capacity_min"),
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("capacity")), name="slot_never_overbooked"
            ),
            models.UniqueConstraint(fields=["day", "starts_at"], name="one_slot_per_day_and_start"),
        ]
        # "The earliest free slots" reads slots in time order across all days.
        indexes = [models.Index(fields=["starts_at"], name="slot_starts_at")]

    def __str__(self):
        local = timezone.localtime(self.starts_at)
        return f"{self.day} {local:%H:%M}"

    @property
    def seats_free(self):
        return self.capacity - self.seats_taken

    def is_full(self):
        return self.seats_taken >= self.capacity

    def is_open(self, now: datetime, day=None) -> bool:
        """Whether the slot can be booked now, seats aside: its day is published and it
        starts inside the booking window. `bookable()` is the same rule as a query;
        `day` is the day row when the caller holds it locked."""
        day = day or self.day
        return (
            day.status == DayStatus.PUBLISHED
            and self.starts_at >= now + timedelta(hours=settings.BOOKING_CLOSES_HOURS)
            and self.starts_at <= now + timedelta(days=settings.BOOKING_OPENS_DAYS)
        )


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("gebucht")
    CANCELLED = "cancelled", _("abgesagt")
    ATTENDED = "attended", _("erschienen")
    NO_SHOW = "no_show", _("nicht erschienen")


class Channel(models.TextChoices):
    ONLINE = "online", _("online gebucht")
    WALK_IN = "walk_in", _("ohne Termin gekommen")
    PHONE = "phone", _("am Telefon gebucht")
    DESK = "desk", _("am Empfang gebucht")
    LETTER = "letter", _("per Brief eingeladen")


# Booked by staff for a client who called or came to the desk: verbal consent, recorded
# with the clerk's name (Booking.consent_recorded_by).
STAFF_CHANNELS = [Channel.PHONE, Channel.DESK]


class CancelledBy(models.TextChoices):
    CLIENT = "client", _("Ratsuchende Person")
    OFFICE = "office", _("Jobcenter")


ACTIVE_STATUSES = [BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW]


class BookingQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def confirmed(self):
        return self.filter(status=BookingStatus.CONFIRMED)

    def on_call_list(self):
        """Confirmed bookings whose client is reached neither by mail nor by SMS: staff
        must phone them (DESIGN invariant 10)."""
        return self.confirmed().filter(email="").exclude(sms_consent=True, phone__gt="")

    def by_token(self, token: str):
        return self.filter(tokens__token_hash=hash_token(token))

    def reminder_candidates(self, *, now: datetime, lead_hours: list[int]):
        """Confirmed bookings with an address or SMS number whose reminder may be due now.

        A superset by the one hour a DST change can shift a wall-clock reminder time;
        Booking.due_reminder_lead decides exactly.
        """
        if not lead_hours:
            return self.none()
        margin = timedelta(hours=1)
        # After this moment no reminder of the booking is due any more.
        last_moment = F("slot__starts_at") - timedelta(hours=min(lead_hours)) + margin
        return (
            self.confirmed()
            .filter(Q(email__gt="") | Q(sms_consent=True, phone__gt=""))
            .filter(
                day__status=DayStatus.PUBLISHED,
                slot__starts_at__gt=now,
                slot__starts_at__lte=now + timedelta(hours=max(lead_hours)) + margin,
            )
            .exclude(reminded_at__gte=last_moment)
            .alias(booked_at=Coalesce("rescheduled_at", "created_at"))
            .exclude(booked_at__gte=last_moment)
        )


class Booking(models.Model):
    """A Termin. Reached by the client only through a secret link (see BookingToken);
    the reference is random and short, for the phone and the desk."""

    slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("Zeitfenster")
    )
    # Copied from the slot so the database can allow one active booking per email and day.
    day = models.ForeignKey(
        OutreachDay, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("Tag")
    )
    reference = models.CharField(_("Buchungsnummer"), max_length=12, unique=True)
    # A per-form random key: the same form posted twice finds the first booking.
    submission_key = models.CharField(max_length=64, unique=True, null=True, editable=False)
    status = models.CharField(
        _("Status"), max_length=10, choices=BookingStatus, default=BookingStatus.CONFIRMED
    )
    channel = models.CharField(_("Weg"), max_length=10, choices=Channel, default=Channel.ONLINE)
    # False only for a walk-in recorded as an extra when every seat was taken.
    takes_seat = models.BooleanField(_("belegt einen Platz"), default=True)

    name = models.CharField(_("Name"), max_length=120)
    email = models.EmailField(_("E-Mail"), blank=True)
    phone = models.CharField(_("Telefon"), max_length=40, blank=True)
    # Opt-in: notices go by SMS to the phone number as well.
    sms_consent = models.BooleanField(_("Erinnerung per SMS"), default=False)
    topics = models.ManyToManyField(
        Specialism, related_name="bookings", blank=True, verbose_name=_("Anliegen")
    )
    need_step_free = models.BooleanField(_("braucht stufenlosen Zugang"), default=False)
    need_child = models.BooleanField(_("bringt ein Kind mit"), default=False)
    interpreter_language = models.CharField(_("Dolmetschen für"), max_length=60, blank=True)
    needs_other = models.CharField(_("anderer Bedarf"), max_length=200, blank=True)
    note = models.TextField(_("Nachricht"), max_length=1000, blank=True)
    language = models.CharField(_("Sprache"), max_length=8, default="de")
    consent_at = models.DateTimeField(_("Einwilligung am"), null=True, blank=True)
    # Set when a clerk recorded the caller's spoken consent to the privacy notice.
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("mündliche Einwilligung aufgenommen von"),
    )

    created_at = models.DateTimeField(_("gebucht am"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)
    rescheduled_at = models.DateTimeField(_("verschoben am"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("abgesagt am"), null=True, blank=True)
    cancelled_by = models.CharField(
        _("abgesagt von"), max_length=10, choices=CancelledBy, blank=True
    )
    cancel_reason = models.CharField(_("Grund der Absage"), max_length=300, blank=True)
    # Raised on every move so calendar apps replace the old event (.ics SEQUENCE).
    sequence = models.PositiveIntegerField(default=0, editable=False)
    reminded_at = models.DateTimeField(_("erinnert am"), null=True, blank=True)

    outcome_note = models.TextField(_("Ergebnis"), max_length=1000, blank=True)
    outcome_recorded_at = models.DateTimeField(_("Ergebnis erfasst am"), null=True, blank=True)
    follow_up_on = models.DateField(_("Nachfassen am"), null=True, blank=True)
    follow_up_done_at = models.DateTimeField(_("Nachfassen erledigt am"), null=True, blank=True)
    follow_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Nachfassen eingetragen von"),
    )
    anonymised_at = models.DateTimeField(_("anonymisiert am"), null=True, blank=True)
    # Keyed hashes of the client address and session a public booking came from, for
    # the per-day caps against booking a day out; erased with the contact data.
    origin_address = models.CharField(max_length=32, blank=True, default="", editable=False)
    origin_session = models.CharField(max_length=32, blank=True, default="", editable=False)

    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("Termin")
        verbose_name_plural = _("Termine")
        ordering = ["slot__starts_at", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "email"],
                condition=Q(status="confirmed") & ~Q(email=""),
                name="one_active_booking_per_email_and_day",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "reminded_at"]),
            models.Index(
                fields=["follow_up_on"], condition=Q(follow_up_done_at=None), name="open_follow_ups"
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_active(self):
        return self.status in ACTIVE_STATUSES

    @property
    def is_past(self):
        return self.slot.ends_at <= timezone.now()

    def can_change(self, now: datetime) -> bool:
        """Whether the client may still cancel or move it: confirmed and not yet begun."""
        return self.status == BookingStatus.CONFIRMED and self.slot.starts_at > now

    def due_reminder_lead(
        self, *, now: datetime, lead_hours: list[int], sent: int = 0
    ) -> int | None:
        """The lead time (hours) of the reminder due now, or None.

        `sent` is how many reminders went out for the booking's current time. Due is the
        latest reminder time that has passed, if no reminder went out since it, and if
        fewer reminders were sent than reminder times passed after the booking was made
        (or moved). So a late booking gets none, a moved booking starts afresh, and
        changing the lead times never repeats a reminder: with one sent, a single new
        lead time (12 instead of 24) finds it done; only an added one sends another.
        """
        starts_at, reachable = self.slot.starts_at, self.email or (self.sms_consent and self.phone)
        if self.status != BookingStatus.CONFIRMED or not reachable or starts_at <= now:
            return None
        booked_at = self.rescheduled_at or self.created_at
        passed = [
            (moment, hours)
            for hours in lead_hours
            if booked_at < (moment := reminder_moment(starts_at, hours)) <= now
        ]
        if len(passed) <= sent:
            return None
        moment, hours = max(passed)
        if self.reminded_at is not None and self.reminded_at >= moment:
            return None
        return hours


def reminder_moment(starts_at: datetime, lead_hours: int) -> datetime:
    """When a reminder lead_hours before starts_at goes out, in local wall-clock time:
    "24 hours before 9:00" is 9:00 the day before, also across a DST change."""
    zone = timezone.get_default_timezone()
    local = starts_at.astimezone(zone).replace(tzinfo=None) - timedelta(hours=lead_hours)
    return local.replace(tzinfo=zone)


class OutcomeCode(models.TextChoices):
    ADVICE = "advice", _("Beratung gegeben")
    APPLICATION = "application", _("Hilfe bei Bewerbungen")
    EMPLOYER = "employer", _("an Arbeitgeber vermittelt")
    TRAINING = "training", _("Weiterbildung oder Qualifizierung")
    CHILDCARE = "childcare", _("Kinderbetreuung geklärt")
    HEALTH = "health", _("Hilfe zur Gesundheit")
    JOB_START = "job_start", _("Arbeitsaufnahme")
    INTERVIEW = "interview", _("Vorstellungsgespräch vereinbart")
    INTERNSHIP = "internship", _("Praktikum")
    OTHER = "other", _("Sonstiges")


class BookingOutcome(models.Model):
    """One structured outcome code of a booking; stored as rows so statistics count them
    in the database."""

    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="outcomes", verbose_name=_("Termin")
    )
    code = models.CharField(_("Ergebnis"), max_length=20, choices=OutcomeCode)

    class Meta:
        verbose_name = _("Ergebnis")
        verbose_name_plural = _("Ergebnisse")
        constraints = [
            models.UniqueConstraint(fields=["booking", "code"], name="one_outcome_code_per_booking")
        ]

    def __str__(self):
        return self.get_code_display()


# Models of their own capability, in modules of their own; imported here so that Django
# registers them and `appointments.models` names every model of the app.
from appointments.models.audit import AuditAction, AuditEntry  # noqa: E402
from appointments.models.calls import Call, CallReason  # noqa: E402, F401
from appointments.models.day_coach import DayCoach  # noqa: E402
from appointments.models.figures import DayFigures  # noqa: E402
from appointments.models.outbox import MailKind, MailStatus, OutgoingMail  # noqa: E402
from appointments.models.programmes import (  # noqa: E402
    ApplicationStatus,
    Attendance,
    Cohort,
    CohortStatus,
    Enrolment,
    EnrolmentStatus,
    FormerVisit,
    LeaveReason,
    Mark,
    Programme,
    ProgrammeApplication,
    Session,
)
from appointments.models.waitlist import WaitlistEntry, WaitlistStatus  # noqa: E402

__all__ = [
    "BookingToken",
    "hash_token",
    "new_short_token",
    "new_token",
    "OutreachSeries",
    "Recurrence",
    "WeekOfMonth",
    "Weekday",
    "AuditAction",
    "AuditEntry",
    "DayCoach",
    "DayFigures",
    "MailKind",
    "MailStatus",
    "OutgoingMail",
    "WaitlistEntry",
    "WaitlistStatus",
    "ApplicationStatus",
    "Attendance",
    "Cohort",
    "CohortStatus",
    "Enrolment",
    "EnrolmentStatus",
    "FormerVisit",
    "LeaveReason",
    "Mark",
    "Programme",
    "ProgrammeApplication",
    "Session",
]
