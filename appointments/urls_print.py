"""Printed material for staff: the poster of a municipality and the invitation letter."""

from django.urls import path

from appointments import views_print

app_name = "print"

urlpatterns = [
    path("aushang/<int:municipality_id>/", views_print.poster, name="poster"),
    path("einladung/", views_print.letter, name="letter"),
]
