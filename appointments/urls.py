from django.urls import path

from appointments import views, views_consent, views_manage, views_programmes

app_name = "appointments"

urlpatterns = [
    path("tag/<int:pk>/", views.day, name="day"),
    path("tag/<int:pk>/warteliste/", views.waitlist, name="waitlist"),
    path("tag/<int:pk>/warteliste/eingetragen/", views.waitlist_joined, name="waitlist_joined"),
    path("buchen/<int:pk>/", views.book, name="book"),
    path("gebucht/<str:reference>/", views.confirmation, name="confirmation"),
    path("termin/<str:token>/", views_manage.manage, name="manage"),
    # The short link of SMS, slips and letters; typed by hand, so any letter case works.
    path("k/<str:token>/", views_manage.short_link, name="short"),
    path("termin/<str:token>/termin.ics", views_manage.booking_ics, name="ics"),
    path("termin/<str:token>/absagen/", views_manage.cancel, name="cancel"),
    path("termin/<str:token>/verschieben/", views_manage.move, name="move"),
    path("termin/<str:token>/meine-daten.json", views_manage.export_data, name="export"),
    path("termin/<str:token>/daten-loeschen/", views_manage.erase, name="erase"),
    path(
        "termin/<str:token>/begleitung-widerrufen/",
        views_consent.withdraw_consent,
        name="withdraw_consent",
    ),
    path("programm/<int:cohort_id>/bewerben/", views_programmes.apply, name="apply"),
    path("programm/<int:cohort_id>/beworben/", views_programmes.applied, name="applied"),
    path("warteliste/angebot/<str:token>/", views.waitlist_offer, name="waitlist_offer"),
]
