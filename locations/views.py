from django.shortcuts import render
from django.views.decorators.http import require_GET

from locations.models import Municipality


@require_GET
def start(request):
    municipalities = Municipality.objects.active().with_next_day()
    return render(request, "locations/start.html", {"municipalities": municipalities})
