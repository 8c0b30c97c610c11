"""Profile pages in-process: N requests each through Django's test client, under cProfile,
against the benchmark database (fill it first with generate.py). Prints per page the time
per request, the queries per request, and where the time went.

    BENCH_DATABASE_URL=postgres://…/joblokal_bench python benchmarks/profile_pages.py \
        --requests 200 --pages day,form,form_post

"flow" is one whole booking per request as benchmarks/run.py's flow makes it: a new
visitor GETs the form, POSTs it and follows the redirect to the confirmation page.

The settings are the server's in run.py (production, DEBUG off, Redis cache), so the
template loader caches and the page cache behaves as it does behind gunicorn.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["bare", "day", "day_304", "form", "form_post", "start", "coach_day", "statistics"]
PAGES += ["manage", "move", "statistics_country", "confirmation", "flow"]


def configure(args):
    from benchmarks.run import server_settings

    settings_args = argparse.Namespace(
        secret_key=secrets.token_urlsafe(40), database_url=args.database_url
    )
    os.environ.update(server_settings(settings_args))
    os.environ["CACHE_URL"] = args.cache_url
    os.environ["CELERY_BROKER_URL"] = args.cache_url
    import django
    from django.core.management import call_command

    django.setup()
    # Production settings serve hashed static files; the pages need the manifest.
    call_command("collectstatic", interactive=False, verbosity=0)


def page_requests(name, fixture):
    """(method, path, data, extra) per request for a page, as a callable of the index."""
    from django.urls import reverse

    book_day, flow_day = fixture["book_day"], fixture["flow_day"]
    coach_date = fixture["coach_day"]["date"]
    if name == "bare":
        return lambda i: ("get", "/__bench__/ok", {})
    if name in ("day", "day_304"):
        return lambda i: ("get", reverse("appointments:day", args=[book_day["day"]]), {})
    if name == "form":
        return lambda i: ("get", reverse("appointments:book", args=[book_day["free_slots"][0]]), {})
    if name == "start":
        return lambda i: ("get", reverse("locations:start"), {})
    if name == "coach_day":
        return lambda i: ("get", reverse("coaches:my_day"), {"date": coach_date})
    if name == "statistics":
        return lambda i: ("get", reverse("admin:appointments_statistics"), {})
    if name == "statistics_country":
        # "All Landkreise": one row per Landkreis and month.
        return lambda i: ("get", reverse("admin:appointments_statistics"), {"district": ""})
    if name in ("manage", "move"):
        from benchmarks.run import bench_manage_token

        path = reverse(f"appointments:{name}", args=[bench_manage_token(fixture)])
        return lambda i: ("get", path, {})
    if name == "confirmation":
        from benchmarks.run import bench_booking

        path = reverse("appointments:confirmation", args=[bench_booking(fixture).reference])
        return lambda i: ("get", path, {})
    if name in ("form_post", "flow"):
        slots = flow_day["free_slots"]
        return lambda i: ("post", reverse("appointments:book", args=[slots[i % len(slots)]]), i)
    raise SystemExit(f"unknown page {name}")


def client_for(name, fixture):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    if name == "confirmation":
        from benchmarks.run import confirmation_cookies

        for key, value in confirmation_cookies(fixture).items():
            client.cookies[key] = value
    if name == "coach_day":
        client.force_login(get_user_model().objects.get(username="coach0000"))
    if name.startswith("statistics"):
        client.force_login(get_user_model().objects.get(username="benchadmin"))
    return client


def posted_booking(client, path, i, follow=False):
    from benchmarks.client import booking_form, fill
    from benchmarks.run import FLOW_DOMAIN

    form = booking_form(client.get(path).content.decode())
    tag = secrets.token_hex(4)
    phone = f"0151 {secrets.randbelow(10**8):08d}"
    # The flow's domain, so reset_bench_bookings removes these bookings again.
    email = f"profil-{tag}-{i}@{FLOW_DOMAIN}"
    data = fill(form, name=f"Profil {tag}", email=email, phone=phone)
    return client.post(path, dict(_merge(data)), follow=follow)


def _merge(pairs):
    merged = {}
    for key, value in pairs:
        merged.setdefault(key, []).append(value)
    return merged.items()


def run_page(name, fixture, n, top, sort="cumulative"):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client, request = client_for(name, fixture), page_requests(name, fixture)
    extra = {}
    if name == "day_304":
        method, path, data = request(0)
        client.get(path)  # sets the CSRF cookie, which is part of the tag
        etag = client.get(path).headers.get("ETag")
        extra = {"HTTP_IF_NONE_MATCH": etag} if etag else {}

    def once(i):
        method, path, data = request(i)
        if name == "flow":
            # What benchmarks/run.py's flow does: a new visitor (no cookies) gets the
            # form, posts it and follows the redirect to the confirmation page.
            # A new Client would also load the middleware anew; new cookies are enough.
            client.cookies.clear()
            return posted_booking(client, path, i, follow=True)
        if method == "post":
            # The form's GET is part of the path a client takes; measured with the POST.
            return posted_booking(client, path, i)
        return client.get(path, data, **extra)

    once(0)  # warm-up: template loading, first connection
    profile = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        profile.enable()
        statuses = {}
        for i in range(1, n + 1):
            status = once(i).status_code
            statuses[status] = statuses.get(status, 0) + 1
        profile.disable()
        elapsed = time.perf_counter() - started
    sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats(sort)
    stats.print_stats(top)
    print(f"\n## {name}: {n} requests, statuses {statuses}")
    print(
        f"{elapsed / n * 1000:.2f} ms per request (under the profiler), "
        f"{len(queries.captured_queries) / n:.1f} queries per request, "
        f"SQL {sql_ms / n:.2f} ms per request"
    )
    print(out.getvalue())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--pages", default="day,form,form_post")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative", help="pstats sort key, e.g. tottime")
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("set BENCH_DATABASE_URL or --database-url")
    configure(args)
    fixture = json.loads((ROOT / "benchmarks" / "var" / "fixture.json").read_text())
    from benchmarks.run import FLOW_DOMAIN, reset_bench_bookings

    for name in args.pages.split(","):
        # Every run books on the flow day from the same state.
        reset_bench_bookings(fixture, FLOW_DOMAIN)
        run_page(name, fixture, args.requests, args.top, args.sort)


if __name__ == "__main__":
    main()
