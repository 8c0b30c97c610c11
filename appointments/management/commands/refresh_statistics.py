"""Rebuild the statistics' figures of every day whose figures are missing or stale.

The beat task does the same every few minutes; run this once after loading data in bulk
(a first run over a national data set reads every booking once)."""

from django.core.management.base import BaseCommand

from appointments import services


class Command(BaseCommand):
    help = "Rebuild stale statistics figures of counselling days."

    def handle(self, *args, **options):
        count = services.refresh_day_figures()
        self.stdout.write(f"{count} days rebuilt")
