"""The app's URLs plus the bare-Django baselines every page is compared against."""

from django.urls import path

from benchmarks import views
from joblokal.urls import handler403, handler404, handler500, urlpatterns  # noqa: F401

urlpatterns = [
    path("__bench__/ok", views.bare, name="bench_bare"),
    path("__bench__/select1", views.select_one, name="bench_select1"),
    *urlpatterns,
]
