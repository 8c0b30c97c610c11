"""Baselines: the cheapest response Django can give through the full middleware stack,
and the same plus one database round trip. Pages are reported as ratios to these."""

from django.db import connection
from django.http import HttpResponse


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


def select_one(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain")
