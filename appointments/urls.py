from django.urls import path

from appointments import views

app_name = "appointments"

urlpatterns = [
    path("termin/<str:token>/", views.manage, name="manage"),
    path("warteliste/angebot/<str:token>/", views.waitlist_offer, name="waitlist_offer"),
]
