from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.views.decorators.http import require_http_methods

from coaches import views, views_casework, views_employers, views_frontdesk, views_programmes
from coaches.forms import LoginForm, QueuedPasswordResetForm
from joblokal.ratelimits import refuse_over

app_name = "coaches"

# Django's form views also answer PUT; these pages take GET and POST only.
get_or_post = require_http_methods(["GET", "POST"])

urlpatterns = [
    path(
        "anmelden/",
        get_or_post(
            views_frontdesk.StaffLoginView.as_view(
                template_name="coaches/login.html", authentication_form=LoginForm
            )
        ),
        name="login",
    ),
    path("abmelden/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "passwort/",
        # Each request sends a mail: a few per address and hour are plenty for a person.
        refuse_over(group="password-reset", rate="5/h")(
            get_or_post(
                auth_views.PasswordResetView.as_view(
                    form_class=QueuedPasswordResetForm,
                    template_name="coaches/password_reset_form.html",
                    success_url=reverse_lazy("coaches:password_reset_done"),
                )
            )
        ),
        name="password_reset",
    ),
    path(
        "passwort/gesendet/",
        auth_views.PasswordResetDoneView.as_view(template_name="coaches/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "passwort/neu/<uidb64>/<token>/",
        get_or_post(
            auth_views.PasswordResetConfirmView.as_view(
                template_name="coaches/password_reset_confirm.html",
                success_url=reverse_lazy("coaches:password_reset_complete"),
            )
        ),
        name="password_reset_confirm",
    ),
    path(
        "passwort/fertig/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="coaches/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("", views.my_day, name="my_day"),
    path("nachfassen/", views.follow_ups, name="follow_ups"),
    path("tage/<int:day_id>/drucken/", views.print_day, name="print_day"),
    path("tage/<int:day_id>/ohne-termin/", views.add_walk_in, name="add_walk_in"),
    path("termine/<int:booking_id>/", views.booking_detail, name="booking"),
    path("termine/<int:booking_id>/ergebnis/", views.record_outcome, name="record_outcome"),
    path("termine/<int:booking_id>/erschienen/", views.mark_attended, name="mark_attended"),
    path("termine/<int:booking_id>/nicht-erschienen/", views.mark_no_show, name="mark_no_show"),
    path(
        "termine/<int:booking_id>/zuruecksetzen/",
        views.undo_attendance,
        name="undo_attendance",
    ),
    path(
        "termine/<int:booking_id>/nachfassen-erledigt/",
        views.complete_follow_up,
        name="complete_follow_up",
    ),
    path(
        "termine/<int:booking_id>/begleitung/",
        views_casework.start_accompaniment,
        name="start_accompaniment",
    ),
    path("personen/", views_casework.person_list, name="persons"),
    path("personen/<int:person_id>/", views_casework.person_detail, name="person"),
    path(
        "personen/<int:person_id>/bedingungen/",
        views_casework.edit_constraints,
        name="person_constraints",
    ),
    path("personen/<int:person_id>/kontakt/", views_casework.add_contact, name="add_contact"),
    path(
        "personen/<int:person_id>/beenden/",
        views_casework.end_accompaniment,
        name="end_accompaniment",
    ),
    path(
        "personen/<int:person_id>/verknuepfen/<int:booking_id>/",
        views_casework.link_visit,
        name="link_visit",
    ),
    path(
        "personen/<int:person_id>/passende-stellen/",
        views_casework.person_matches,
        name="person_matches",
    ),
    path("personen/<int:person_id>/vorschlagen/", views_casework.refer, name="refer"),
    path("vorschlaege/<int:referral_id>/", views_casework.referral_detail, name="referral"),
    path(
        "vorschlaege/<int:referral_id>/stand/",
        views_casework.change_referral,
        name="change_referral",
    ),
    path("arbeitgeber/", views_employers.employer_list, name="employers"),
    path("arbeitgeber/<int:employer_id>/", views_employers.employer_detail, name="employer"),
    path("arbeitgeber/neu/", views_employers.employer_edit, name="add_employer"),
    path(
        "arbeitgeber/<int:employer_id>/bearbeiten/",
        views_employers.employer_edit,
        name="edit_employer",
    ),
    path(
        "arbeitgeber/<int:employer_id>/stellen/neu/",
        views_employers.opening_edit,
        name="add_opening",
    ),
    path(
        "arbeitgeber/<int:employer_id>/stellen/<int:opening_id>/bearbeiten/",
        views_employers.opening_edit,
        name="edit_opening",
    ),
    path(
        "arbeitgeber/<int:employer_id>/stellen/<int:opening_id>/",
        views_employers.opening_status,
        name="opening_status",
    ),
    path("zahlen/", views_employers.person_figures, name="person_figures"),
    path("zahlen.csv", views_employers.person_figures_csv, name="person_figures_csv"),
    path("personen/<int:person_id>/programm/", views_programmes.enrol, name="enrol"),
    path("programm/durchgaenge/<int:cohort_id>/", views_programmes.cohort_detail, name="cohort"),
    path("programm/bewerbungen/", views_programmes.application_list, name="applications"),
    path(
        "programm/bewerbungen/<int:application_id>/entscheiden/",
        views_programmes.decide,
        name="decide_application",
    ),
    path(
        "programm/termine/<int:session_id>/",
        views_programmes.session_register,
        name="session_register",
    ),
    path(
        "programm/termine/<int:session_id>/anwesenheit/",
        views_programmes.mark,
        name="mark_session",
    ),
    path(
        "programm/termine/<int:session_id>/fruehere/",
        views_programmes.former_visit,
        name="former_visit",
    ),
    path(
        "programm/teilnahmen/<int:enrolment_id>/beenden/",
        views_programmes.leave,
        name="leave_programme",
    ),
    path("programm/zahlen/", views_programmes.figures, name="programme_figures"),
    path("programm/zahlen.csv", views_programmes.figures_csv, name="programme_figures_csv"),
]

# The front desk (town hall or job-centre reception) and the call lists.
urlpatterns += [
    path("empfang/", views_frontdesk.start, name="frontdesk"),
    path("empfang/tage/<int:day_id>/", views_frontdesk.day_detail, name="frontdesk_day"),
    path("empfang/tage/<int:day_id>/buchen/", views_frontdesk.book, name="frontdesk_book"),
    path("empfang/termine/<int:booking_id>/beleg/", views_frontdesk.slip, name="frontdesk_slip"),
    path(
        "empfang/termine/<int:booking_id>/absagen/",
        views_frontdesk.cancel,
        name="frontdesk_cancel",
    ),
    path(
        "empfang/termine/<int:booking_id>/verschieben/",
        views_frontdesk.move,
        name="frontdesk_move",
    ),
    path("anrufliste/<int:day_id>/", views_frontdesk.call_list, name="call_list"),
    path("anrufe/<int:call_id>/erledigt/", views_frontdesk.call_done, name="call_done"),
]
