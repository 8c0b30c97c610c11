"""Domain functions for counselling days and bookings, one module per capability.

Views, admin actions, tasks and management commands call these; none of them
re-implements a rule. Every public name is importable from here.

- seats: the day lock, seat claims and the booking row every path shares
- booking: book, cancel and move a seat
- waitlist: join a full day, offer a freed seat, accept or expire an offer
- planning: series, day generation, publishing, editing and cancelling days
- staff: attendance, walk-ins, outcomes, follow-ups and the access log
- privacy: erasure on schedule, the client's export and erasure
- reminders: the periodic reminder scan
- figures: the statistics' stored counts per day, rebuilt when a day's version moves on
- programmes: cohort sessions, enrolment, attendance and leaving a programme
- applications: the public application for a programme place
- calls: call lists for clients reached by neither mail nor SMS
- desk: the front desk's cancel and move of a caller's booking
"""

from appointments.services.applications import (
    ApplicationRefused,
    applications_visible_to,
    apply_for_cohort,
    cohorts_open_for_applications,
    decide_application,
    erase_expired_applications,
)
from appointments.services.booking import book_slot, cancel_booking, move_booking, move_targets
from appointments.services.calls import mark_call_done, queue_reminder_calls, record_calls
from appointments.services.desk import desk_cancel_booking, desk_move_booking
from appointments.services.figures import refresh_day_figures, stale_days
from appointments.services.planning import (
    MAX_SERIES_DAYS,
    SERIES_RULE_FIELDS,
    GenerationResult,
    PlanningError,
    SeriesDates,
    assign_coaches,
    build_slots,
    cancel_day,
    change_day,
    coach_clashes,
    create_day,
    dates_of_series,
    day_change_problems,
    describe_clash,
    generate_days,
    preview_series,
    publish_day,
    publish_days,
    publish_next_days,
    series_dates,
    series_problems,
    slot_times,
)
from appointments.services.privacy import (
    erase_booking,
    erase_expired_personal_data,
    erasure_due,
    export_booking_data,
)
from appointments.services.programmes import (
    CohortFull,
    ParticipantRow,
    ProgrammeRefused,
    SessionPlan,
    cancel_cohort,
    cohort_attendance_rate,
    cohorts_visible_to,
    end_enrolments_without_consent,
    enrol_person,
    generate_sessions,
    leave_programme,
    mark_session,
    open_cohorts,
    participant_rows,
    plan_sessions,
    publish_cohort,
    record_former_visit,
)
from appointments.services.reminders import queue_due_reminders, queue_programme_reminders
from appointments.services.seats import (
    AlreadyBooked,
    BookingClosed,
    BookingError,
    BookingOrigin,
    BookingResult,
    ClientDetails,
    SlotNotBookable,
    SlotTaken,
    TooManyBookings,
    new_reference,
    normalised_email,
    normalised_phone,
)
from appointments.services.staff import (
    StaffActionRefused,
    add_walk_in,
    complete_follow_up,
    follow_up_too_late_message,
    latest_follow_up,
    log_access,
    mark_attendance,
    record_outcome,
    undo_attendance,
)
from appointments.services.waitlist import (
    SlotsStillFree,
    accept_waitlist_offer,
    expire_waitlist_offers,
    join_waitlist,
    offer_freed_seat,
)

__all__ = [
    "mark_call_done",
    "queue_reminder_calls",
    "record_calls",
    "desk_cancel_booking",
    "desk_move_booking",
    "MAX_SERIES_DAYS",
    "SERIES_RULE_FIELDS",
    "AlreadyBooked",
    "ApplicationRefused",
    "BookingClosed",
    "BookingError",
    "BookingOrigin",
    "BookingResult",
    "ClientDetails",
    "GenerationResult",
    "PlanningError",
    "SeriesDates",
    "SlotNotBookable",
    "SlotTaken",
    "SlotsStillFree",
    "StaffActionRefused",
    "TooManyBookings",
    "accept_waitlist_offer",
    "applications_visible_to",
    "apply_for_cohort",
    "cohorts_open_for_applications",
    "decide_application",
    "erase_expired_applications",
    "add_walk_in",
    "assign_coaches",
    "book_slot",
    "build_slots",
    "cancel_booking",
    "cancel_day",
    "change_day",
    "coach_clashes",
    "complete_follow_up",
    "create_day",
    "dates_of_series",
    "day_change_problems",
    "describe_clash",
    "erase_booking",
    "erase_expired_personal_data",
    "erasure_due",
    "expire_waitlist_offers",
    "export_booking_data",
    "generate_days",
    "join_waitlist",
    "log_access",
    "latest_follow_up",
    "follow_up_too_late_message",
    "mark_attendance",
    "move_booking",
    "move_targets",
    "new_reference",
    "normalised_email",
    "normalised_phone",
    "offer_freed_seat",
    "publish_day",
    "refresh_day_figures",
    "stale_days",
    "preview_series",
    "publish_days",
    "publish_next_days",
    "queue_due_reminders",
    "queue_programme_reminders",
    "record_outcome",
    "series_dates",
    "series_problems",
    "slot_times",
    "undo_attendance",
    "CohortFull",
    "ParticipantRow",
    "ProgrammeRefused",
    "SessionPlan",
    "cancel_cohort",
    "cohort_attendance_rate",
    "end_enrolments_without_consent",
    "enrol_person",
    "generate_sessions",
    "leave_programme",
    "mark_session",
    "participant_rows",
    "plan_sessions",
    "publish_cohort",
    "cohorts_visible_to",
    "open_cohorts",
    "record_former_visit",
]
