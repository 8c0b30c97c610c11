from django.urls import path

from locations import views

app_name = "locations"

urlpatterns = [
    path("", views.start, name="start"),
    path("freie-termine/", views.first_free, name="first_free"),
]
