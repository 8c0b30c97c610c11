"""The JobLokal benchmark suite: `make bench` runs this and writes benchmarks/RESULTS.md.

For each scale it regenerates the data (benchmarks/generate.py), starts gunicorn on
127.0.0.1 (2 sync workers, production settings, DEBUG off) and measures with wrk. At the
largest scale it also measures every page against two baselines served by the same
server (a bare Django view and one running SELECT 1), the full booking flow, and the
race for the last 10 seats. Every figure is the median of --runs runs.

    python benchmarks/run.py                      # the whole suite (make bench)
    python benchmarks/run.py --scales 0,10000 --runs 1 --duration 2   # a quick try

Every loop is bounded in count and time, and nothing leaves 127.0.0.1.
"""

import argparse
import contextlib
import importlib
import json
import math
import os
import platform
import re
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VAR = HERE / "var"
PY = sys.executable
sys.path.insert(0, str(ROOT))

from benchmarks.client import Client, booking_form, fill  # noqa: E402

# The "just taken" page of the booking form (templates/appointments/slot_unavailable.html).
TAKEN_MARKER = os.environ.get("BENCH_TAKEN_MARKER", "Dieser Termin wurde gerade vergeben.")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
FLOW_DOMAIN, RACE_DOMAIN = "flow.bench.invalid", "race.bench.invalid"

# Pages by URL name, so they follow the routes of the merged code. Each may list several
# candidates; the first that resolves is used. BENCH_URL_<KEY>=/path overrides a page.
PAGES = {
    "bare": {"names": ["bench_bare"], "label": 'bare Django view ("ok")'},
    "select1": {"names": ["bench_select1"], "label": "view running SELECT 1"},
    "start": {"names": ["locations:start"], "label": "start page"},
    "day": {"names": ["appointments:day"], "args": "book_day", "label": "day page"},
    "form": {"names": ["appointments:book"], "args": "book_slot", "label": "booking form (GET)"},
    "coach_day": {
        "names": ["coaches:my_day"],
        "query": "date={coach_date}",
        "auth": "coach",
        "label": "coach's day",
    },
    "manage": {
        "names": ["appointments:manage"],
        "args": "manage_token",
        "label": "manage page (secret link)",
    },
    # Moving is a step of its own: the days of the Landkreis and a day's free times.
    "move": {
        "names": ["appointments:move"],
        "args": "manage_token",
        "label": "move page (secret link)",
    },
    # The page a client lands on after booking: it needs the session that made the
    # booking and the signed cookie carrying the manage token (see confirmation_cookie).
    "confirmation": {
        "names": ["appointments:confirmation"],
        "args": "confirmation",
        "auth": "confirmation",
        "label": "confirmation page (after booking)",
    },
    "statistics": {
        "names": ["admin:appointments_statistics", "appointments:statistics"],
        "auth": "admin",
        "label": "statistics (admin)",
    },
    # "All Landkreise": one row per Landkreis and month, over the whole country.
    "statistics_country": {
        "names": ["admin:appointments_statistics"],
        "query": "district=",
        "auth": "admin",
        "label": "statistics, whole country (admin)",
    },
}
CURVE_PAGES = ["bare", "day", "coach_day", "statistics"]

WRK_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) s2 = 0; s3 = 0; s4 = 0; s5 = 0 end
function response(status, headers, body)
  if status >= 500 then s5 = s5 + 1 elseif status >= 400 then s4 = s4 + 1
  elseif status >= 300 then s3 = s3 + 1 else s2 = s2 + 1 end
end
function done(summary, latency, requests)
  local t = {0, 0, 0, 0}
  for _, th in ipairs(threads) do
    t[1] = t[1] + th:get("s2"); t[2] = t[2] + th:get("s3")
    t[3] = t[3] + th:get("s4"); t[4] = t[4] + th:get("s5")
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.2f p50=%.3f p99=%.3f requests=%d s2=%d s3=%d s4=%d s5=%d sockerr=%d\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests, t[1], t[2], t[3], t[4],
    e.connect + e.read + e.write + e.timeout))
end
"""


def log(message):
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# --- the server -------------------------------------------------------------------------


def server_env(args):
    return dict(os.environ) | server_settings(args)


def server_settings(args):
    """The environment the server runs with, on top of the caller's."""
    return {
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "JOBLOKAL_ENV": "production",
        "DEBUG": "false",
        # Shared with this process, which makes the login sessions the server reads.
        "SECRET_KEY": args.secret_key,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": args.database_url,
        "CACHE_URL": REDIS_URL,
        # Mail is queued to a broker nobody consumes: the web request's share of the
        # mail work is measured, delivery is the mail dispatch benchmark's job.
        "CELERY_BROKER_URL": REDIS_URL,
        # Plain HTTP on loopback: no TLS redirect, cookies without the Secure flag.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "TRUST_X_FORWARDED_PROTO": "false",
        # One address books hundreds of times a minute here; the limit would answer 429.
        "RATELIMIT_ENABLE": "false",
        # ...and the per-day caps per address and session would refuse the race's clients.
        "BOOKINGS_PER_ADDRESS_PER_DAY": "100000",
        "BOOKINGS_PER_SESSION_PER_DAY": "100000",
        "LOG_LEVEL": "WARNING",
        "JOBLOKAL_VAR_DIR": str(VAR / "app"),
    }


class Server:
    """gunicorn on 127.0.0.1, started and stopped by its own process id."""

    def __init__(self, args, root: Path = ROOT):
        # root: the checkout to serve, with its own .venv (benchmarks/compare_flow.py).
        self.args, self.proc, self.root = args, None, root
        self.base = f"http://127.0.0.1:{args.port}"

    def gunicorn(self) -> Path:
        if self.root == ROOT:
            return Path(PY).parent / "gunicorn"
        return self.root / ".venv" / "bin" / "gunicorn"

    def command(self):
        return [
            str(self.gunicorn()),
            "joblokal.wsgi",
            "--workers",
            str(self.args.workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{self.args.port}",
            "--timeout",
            "300",
            "--backlog",
            "2048",
            # Its default control socket is one path per machine user: keep off others'.
            "--no-control-socket",
        ]

    def start(self):
        # A server left on the port would answer instead, with other settings: refuse.
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self.args.port)) == 0:
                raise SystemExit(f"127.0.0.1:{self.args.port} is taken; pass --port")
        log_file = open(VAR / "gunicorn.log", "a")  # noqa: SIM115 (kept open while it runs)
        self.proc = subprocess.Popen(
            self.command(),
            cwd=self.root,
            env=server_env(self.args),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {VAR / 'gunicorn.log'}")
            try:
                if Client(self.base, timeout=2).get("/healthz").status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not answer /healthz within 30 s")

    def worker_rss_mb(self) -> list[float]:
        """The resident memory of each gunicorn worker (children of the master), in MB."""
        if not self.proc:
            return []
        sizes = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) != self.proc.pid:
                    continue
                status = (stat.parent / "status").read_text()
            except (OSError, IndexError, ValueError):
                continue
            kb = next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
            )
            sizes.append(round(kb / 1024, 1))
        return sorted(sizes)

    def worker_cpu_seconds(self) -> float:
        """User and system CPU time the gunicorn workers have used so far, in seconds."""
        if not self.proc:
            return 0.0
        total, tick = 0.0, os.sysconf("SC_CLK_TCK")
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == self.proc.pid:
                total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None


# --- Django access from this process (URLs, sessions, resets, checks) ----------------------


def setup_django(args):
    os.environ.update(server_env(args))
    import django

    django.setup()


def collectstatic(args, commands):
    cmd = [PY, "manage.py", "collectstatic", "--noinput", "-v", "0"]
    commands.append(" ".join(cmd) + "   # production settings serve hashed static files")
    subprocess.run(cmd, cwd=ROOT, env=server_env(args), check=True, timeout=300)


def login_cookie(username):
    """A session for a user, made directly in the session store: no login form, so the
    lockout of repeated logins can never interfere with a measurement."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )

    user = get_user_model().objects.get(username=username)
    session = importlib.import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def resolve(key, fixture):
    from django.urls import NoReverseMatch, reverse

    page = PAGES[key]
    override = os.environ.get(f"BENCH_URL_{key.upper()}")
    if override:
        return override, None
    args = []
    if page.get("args") == "book_day":
        args = [fixture["book_day"]["day"]]
    elif page.get("args") == "book_slot":
        args = [fixture["book_day"]["free_slots"][0]]
    elif page.get("args") == "manage_token":
        args = [bench_manage_token(fixture)]
    elif page.get("args") == "confirmation":
        args = [bench_booking(fixture).reference]
    for name in page["names"]:
        try:
            path = reverse(name, args=args)
        except NoReverseMatch:
            continue
        query = page.get("query", "").format(coach_date=fixture["coach_day"]["date"])
        return path + (f"?{query}" if query else ""), None
    return None, f"no URL named {' or '.join(page['names'])} in this code base"


def bench_booking(fixture):
    """A confirmed booking on the day page's day, the same one on every call."""
    from appointments.models import Booking

    return (
        Booking.objects.filter(day_id=fixture["book_day"]["day"]).confirmed().order_by("pk").first()
    )


def bench_manage_token(fixture) -> str:
    """The secret link of a confirmed booking on the day page's day: generate.py stores the
    hash of "bench-<id>-<reference>" as each booking's token."""
    booking = bench_booking(fixture)
    return f"bench-{booking.pk}-{booking.reference}"


def confirmation_cookies(fixture) -> dict[str, str]:
    """The cookies a client holds right after booking: a session that remembers the
    booking (as the booking view writes it) and the signed cookie with its manage token
    (as the view sets it). Made directly, like login_cookie, so no booking is needed."""
    from django.conf import settings
    from django.core import signing

    from appointments import views

    booking = bench_booking(fixture)
    session = importlib.import_module(settings.SESSION_ENGINE).SessionStore()
    session[views.CONFIRMATIONS] = {booking.reference: {"id": booking.pk, "slot": booking.slot_id}}
    session.create()
    salt = views.MANAGE_COOKIE + views.MANAGE_COOKIE_SALT + booking.reference
    token = signing.get_cookie_signer(salt=salt).sign(bench_manage_token(fixture))
    return {settings.SESSION_COOKIE_NAME: session.session_key, views.MANAGE_COOKIE: token}


def confirmation_cookie(fixture) -> str:
    return "; ".join(f"{k}={v}" for k, v in confirmation_cookies(fixture).items())


def reset_bench_bookings(fixture, domain):
    """Remove the bookings a flow or race made and restore the seat counters from the
    bookings that remain, so every run starts from the same state."""
    from django.db import transaction
    from django.db.models import Count, OuterRef, Q, Subquery
    from django.db.models.functions import Coalesce

    from appointments.models import Booking, Slot

    days = [fixture["flow_day"]["day"], fixture["race_day"]["day"]]
    with transaction.atomic():
        Booking.objects.filter(day_id__in=days, email__endswith="@" + domain).delete()
        taken = (
            Booking.objects.filter(slot=OuterRef("pk"), takes_seat=True)
            .exclude(status="cancelled")
            .values("slot")
            .annotate(n=Count("pk"))
            .values("n")
        )
        Slot.objects.filter(Q(day_id__in=days)).update(seats_taken=Coalesce(Subquery(taken), 0))


def race_state(fixture):
    from django.db.models import Count, F, Q, Sum

    from appointments.models import Booking, Slot

    day = fixture["race_day"]["day"]
    slots = Slot.objects.filter(day_id=day).aggregate(
        capacity=Sum("capacity"), taken=Sum("seats_taken")
    )
    booked = Booking.objects.filter(day_id=day).exclude(status="cancelled").filter(takes_seat=True)
    mismatched = (
        Slot.objects.filter(day_id=day)
        .annotate(n=Count("bookings", filter=~Q(bookings__status="cancelled")))
        .exclude(n=F("seats_taken"))
        .count()
    )
    return {
        "capacity": slots["capacity"],
        "seats_taken": slots["taken"],
        "bookings": booked.count(),
        "race_bookings": booked.filter(email__endswith="@" + RACE_DOMAIN).count(),
        "counter_mismatches": mismatched,
    }


def flush_broker():
    """Drop the mail tasks the measured requests queued (Redis db of the benchmark only)."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
    except Exception as error:  # noqa: BLE001 (a leftover queue only costs memory)
        log(f"could not empty {REDIS_URL}: {error}")


# --- measurements ----------------------------------------------------------------------------


def wrk(args, url, cookie=None, duration=None):
    script = VAR / "status.lua"
    script.write_text(WRK_LUA)
    duration = duration or args.duration
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}s"]
    cmd += ["--timeout", "60s", "--latency", "-s", str(script)]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    match = re.search(r"RESULT (.*)", out.stdout)
    if not match:
        raise SystemExit(f"wrk failed: {out.stdout}\n{out.stderr}")
    result = {k: float(v) for k, v in (kv.split("=") for kv in match.group(1).split())}
    if os.environ.get("BENCH_VERBOSE"):
        log(out.stdout)
    return cmd, result


def measure_pages(args, server, keys, fixture, cookies, commands):
    """Each page --runs times, interleaved so drift on a shared machine hits all alike."""
    urls, skipped = {}, {}
    for key in keys:
        path, why = resolve(key, fixture)
        if path is None:
            skipped[key] = why
            continue
        urls[key] = path
    runs = {key: [] for key in urls}
    plans = {}
    for key, path in urls.items():
        plans[key] = plan_runs(args, server, path, cookies.get(PAGES[key].get("auth")))
    for n in range(args.runs):
        for key, path in urls.items():
            cookie = cookies.get(PAGES[key].get("auth"))
            if n == 0 and plans[key].get("first_run"):
                runs[key].append(plans[key]["first_run"])
                commands.append(plans[key]["command"])
                continue
            if plans[key]["slow"]:
                cmd, result = sequential(server, path, cookie, plans[key]["requests"])
            else:
                cmd, result = wrk(args, server.base + path, cookie, plans[key]["duration"])
            settle(server)
            runs[key].append(result)
            if n == 0:
                commands.append(cmd if isinstance(cmd, str) else shlex.join(redact(cmd)))
    pages = {}
    for key, results in runs.items():
        pages[key] = {
            "path": urls[key],
            "rps": median([r["rps"] for r in results]),
            "p50": median([r["p50"] for r in results]),
            "p99": median([r["p99"] for r in results]),
            "requests": sum(r["requests"] for r in results),
            "s5xx": sum(r["s5"] for r in results),
            "non2xx": sum(r["s3"] + r["s4"] + r["s5"] for r in results),
            "sockerr": sum(r["sockerr"] for r in results),
            "runs": [round(r["rps"], 1) for r in results],
            "slow": plans[key]["slow"],
            "status": plans[key]["status"],
            "one_request_ms": round(1000 * plans[key]["per_request"], 1),
        }
    return pages, skipped


SLOW = 1.0  # seconds for one request: above it, concurrent load would only queue
VERY_SLOW = 10.0  # above it, the warm-up request counts as the first run


def plan_runs(args, server, path, cookie):
    """Warm the page up with a few sequential requests (at most ~5 s of them) and pick
    how to load it. A fast page gets wrk, long enough for about 6 round trips of every
    connection (bounded to 30 s). A page slower than SLOW gets sequential requests
    instead: wrk would finish nothing in its window and leave a queue that slows the
    next measurement."""
    client = cookie_client(server, cookie)
    took, statuses, spent = [], [], 0.0
    while len(took) < 3 and spent < 5:
        started = time.monotonic()
        statuses.append(client.request("GET", path, follow=0).status)
        took.append(time.monotonic() - started)
        spent += took[-1]
    per_request = min(took)
    if statuses[-1] != 200:
        log(f"  warning: {path} answers {statuses[-1]}, not 200: check the URL and login")
    if per_request > SLOW:
        plan = {
            "status": statuses[-1],
            "slow": True,
            "per_request": per_request,
            "requests": max(1, min(5, int(10 / per_request))),
        }
        if per_request > VERY_SLOW:
            # Warming up matters little against tens of seconds: the probe is run 1.
            ms = 1000 * per_request
            plan["command"], plan["first_run"] = sequential_result(path, [ms], statuses[:1])
        return plan
    needed = per_request * args.connections / max(1, args.workers) * 6
    duration = int(min(30, max(args.duration, math.ceil(needed))))
    return {
        "status": statuses[-1],
        "slow": False,
        "per_request": per_request,
        "duration": duration,
    }


def cookie_client(server, cookie, timeout=300):
    client = Client(server.base, timeout=timeout)
    for pair in (cookie or "").split("; "):
        name, _, value = pair.partition("=")
        if name:
            client.cookies[name] = value
    return client


def sequential(server, path, cookie, count):
    client = cookie_client(server, cookie)
    took, statuses = [], []
    started = time.monotonic()
    for _ in range(count):
        t = time.monotonic()
        statuses.append(client.request("GET", path, follow=0).status)
        took.append(1000 * (time.monotonic() - t))
    return sequential_result(path, took, statuses, time.monotonic() - started)


def sequential_result(path, took, statuses, elapsed=None):
    took = sorted(took)
    elapsed = elapsed or sum(took) / 1000
    result = {
        "rps": len(took) / elapsed,
        "p50": statistics.median(took),
        "p99": took[-1],
        "requests": len(took),
        "s5": sum(s >= 500 for s in statuses),
        "s4": sum(400 <= s < 500 for s in statuses),
        "s3": sum(300 <= s < 400 for s in statuses),
        "sockerr": 0,
    }
    command = f"{len(took)} sequential GET {path} (Python client; one request takes over {SLOW} s)"
    return command, result


def settle(server):
    """Wait until the server has worked off the requests wrk left queued when it stopped,
    so they do not slow the next measurement. Bounded to 120 s."""
    deadline = time.monotonic() + 120
    fast = 0
    while time.monotonic() < deadline and fast < 2:
        started = time.monotonic()
        with contextlib.suppress(OSError):
            Client(server.base, timeout=120).get("/__bench__/ok")
        fast = fast + 1 if time.monotonic() - started < 0.05 else 0


def redact(cmd):
    cmd = [re.sub(r"(sessionid=)\w+", r"\1<session>", c) for c in cmd]
    return [re.sub(r"(jl_manage=)[^;\s]+", r"\1<signed token>", c) for c in cmd]


def one_flow(base, path, n, run):
    """GET the form, POST it, land on the confirmation: one booking, three requests."""
    started = time.monotonic()
    client = Client(base)
    page = client.get(path)
    status = [page.status]
    form = booking_form(page.text) if page.status == 200 else None
    ok = False
    if form:
        data = fill(
            form,
            name=f"Flow Person {n}",
            email=f"r{run}-c{n}@{FLOW_DOMAIN}",
            phone=f"0151 {run % 100:02d}{n:06d}",  # one booking per phone number and day
        )
        done = client.post(form["action"] or path, data)
        status += done.history + [done.status]
        # Booked means: the POST redirected, and the confirmation page answered 200.
        ok = done.status == 200 and bool(done.history) and done.history[0] in (302, 303)
    return time.monotonic() - started, ok, status


def flow_run(args, server, paths, run):
    """args.flow_clients visitors booking one after another for args.duration seconds."""
    latencies, statuses, failures = [], [], []
    lock, counter = threading.Lock(), iter(range(1_000_000))
    stop_at = time.monotonic() + args.duration

    def visitor():
        while time.monotonic() < stop_at:
            with lock:
                n = next(counter)
            took, ok, status = one_flow(server.base, paths[n % len(paths)], n, run)
            with lock:
                latencies.append(took)
                failures.append(not ok)
                statuses.extend(status)

    started = time.monotonic()
    with ThreadPoolExecutor(args.flow_clients) as pool:
        for _ in range(args.flow_clients):
            pool.submit(visitor)
    elapsed = time.monotonic() - started
    latencies.sort()
    last = len(latencies) - 1
    return {
        "flows_per_s": len(latencies) / elapsed,
        "p50": 1000 * latencies[last // 2] if latencies else None,
        "p99": 1000 * latencies[min(last, int(len(latencies) * 0.99))] if latencies else None,
        "flows": len(latencies),
        "failures": sum(failures),
        "s5xx": sum(1 for s in statuses if s >= 500),
    }


def measure_flow(args, server, fixture, commands):
    from django.urls import reverse

    slots = fixture["flow_day"]["free_slots"]
    paths = [reverse("appointments:book", args=[s]) for s in slots]
    results = []
    commands.append(
        f"booking flow: {args.flow_clients} Python clients (benchmarks/client.py), each "
        f"GET form -> POST -> GET confirmation, {args.duration}s per run"
    )
    for run in range(args.runs):
        reset_bench_bookings(fixture, FLOW_DOMAIN)
        # Who is busy: the server's workers or this process's Python clients (whose HTML
        # parsing shares one interpreter lock). Both as CPU seconds per booking.
        client_cpu, server_cpu = time.process_time(), server.worker_cpu_seconds()
        result = flow_run(args, server, paths, run)
        flows = max(1, result["flows"])
        result["client_cpu_ms"] = 1000 * (time.process_time() - client_cpu) / flows
        result["server_cpu_ms"] = 1000 * (server.worker_cpu_seconds() - server_cpu) / flows
        log(
            f"  flow run {run + 1}: {result['flows_per_s']:.1f} bookings/s, CPU per booking: "
            f"clients {result['client_cpu_ms']:.1f} ms, gunicorn workers "
            f"{result['server_cpu_ms']:.1f} ms"
        )
        results.append(result)
    reset_bench_bookings(fixture, FLOW_DOMAIN)
    return {
        "flows_per_s": median([r["flows_per_s"] for r in results]),
        "rps": 3 * median([r["flows_per_s"] for r in results]),
        "p50": median([r["p50"] for r in results]),
        "p99": median([r["p99"] for r in results]),
        "flows": sum(r["flows"] for r in results),
        "failures": sum(r["failures"] for r in results),
        "s5xx": sum(r["s5xx"] for r in results),
        "runs": [round(r["flows_per_s"], 1) for r in results],
        "client_cpu_ms": median([r["client_cpu_ms"] for r in results]),
        "server_cpu_ms": median([r["server_cpu_ms"] for r in results]),
    }


def race_once(args, server, fixture, run):
    """args.race_clients visitors each load the form of a slot that still has a seat,
    wait for each other, then all post at once."""
    from django.urls import reverse

    slots = fixture["race_day"]["free_slots"]
    n = args.race_clients
    barrier = threading.Barrier(n, timeout=120)
    outcomes = [None] * n

    def visitor(i):
        client = Client(server.base, timeout=120)
        path = reverse("appointments:book", args=[slots[i % len(slots)]])
        try:
            page = client.get(path)
            form = booking_form(page.text) if page.status == 200 else None
            data = (
                fill(
                    form,
                    name=f"Race Person {i}",
                    email=f"r{run}-c{i}@{RACE_DOMAIN}",
                    phone=f"0152 {run % 100:02d}{i:06d}",
                )
                if form
                else None
            )
            barrier.wait()
            if data is None:
                outcomes[i] = ("no form", page.status, "")
                return
            done = client.post(path, data)
            if done.status >= 500:
                kind = "5xx"
            elif TAKEN_MARKER in done.text:
                kind = "taken"
            elif done.status == 200 and done.history and done.history[0] in (302, 303):
                kind = "booked"
            else:
                kind = "other"
            outcomes[i] = (kind, done.status, done.url)
        except (threading.BrokenBarrierError, OSError) as error:
            outcomes[i] = ("error", 0, repr(error))

    started = time.monotonic()
    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    elapsed = time.monotonic() - started
    kinds = {}
    for outcome in outcomes:
        kind = outcome[0] if outcome else "hung"
        kinds[kind] = kinds.get(kind, 0) + 1
    statuses = {}
    for outcome in outcomes:
        if outcome:
            statuses[outcome[1]] = statuses.get(outcome[1], 0) + 1
    return {"kinds": kinds, "statuses": statuses, "seconds": elapsed, "state": race_state(fixture)}


def measure_race(args, server, fixture, commands):
    commands.append(
        f"race: {args.race_clients} Python clients (threads), each GET the booking form of "
        f"one of the race day's free slots (real CSRF), then all POST at once; "
        f"RATELIMIT_ENABLE=false"
    )
    results = []
    for run in range(args.runs):
        reset_bench_bookings(fixture, RACE_DOMAIN)
        before = race_state(fixture)
        result = race_once(args, server, fixture, run)
        result["free_before"] = before["capacity"] - before["seats_taken"]
        results.append(result)
        log(
            f"  race run {run + 1}: {result['kinds']} statuses {result['statuses']} "
            f"state {result['state']} in {result['seconds']:.1f}s"
        )
    reset_bench_bookings(fixture, RACE_DOMAIN)
    return results


def mail_dispatch(args, commands):
    """Run the notification issue's benchmark as it is, on a database of its own (so it
    neither sees nor disturbs the national data) and the benchmark's Redis db."""
    script = HERE / "mail_dispatch.py"
    if not script.exists():
        return {"missing": "benchmarks/mail_dispatch.py is not in this code base (issue 4)"}
    mail_url = args.database_url.rstrip("/") + "_mail"
    ensure_database(mail_url)
    env = server_env(args)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "joblokal.settings",
            "JOBLOKAL_ENV": "development",
            "DATABASE_URL": mail_url,
            "CELERY_BROKER_URL": REDIS_URL,
            "TEST_BROKER_URL": REDIS_URL,
            "LOG_LEVEL": "WARNING",
        }
    )
    migrate_cmd = [PY, "manage.py", "migrate", "--noinput", "-v", "0"]
    subprocess.run(migrate_cmd, cwd=ROOT, env=env, check=True, timeout=600)
    cmd = [PY, str(script.relative_to(ROOT)), *shlex.split(args.mail_args)]
    commands.append(f"DATABASE_URL=<bench>_mail CELERY_BROKER_URL={REDIS_URL} {shlex.join(cmd)}")
    outputs, figures = [], []
    for run in range(args.runs):
        try:
            out = subprocess.run(
                cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
            )
        except subprocess.TimeoutExpired:
            outputs.append(f"run {run + 1}: did not finish within 900 s")
            break
        finally:
            flush_broker()
        if out.returncode:
            outputs.append(f"run {run + 1}: exit status {out.returncode}\n{out.stderr[-3000:]}")
            break
        outputs.append(out.stdout.strip())
        figures.append(mail_figures(out.stdout))
        log(f"  mail run {run + 1}: {figures[-1]}")
    return {"outputs": outputs, "figures": figures}


def mail_figures(text):
    """messages/s of the pipeline and of the smtplib loop, from the script's table."""
    rates = re.findall(r"^\|[^|]*\|\s*\d+\s*\|\s*[\d.]+\s*\|\s*([\d.]+)\s*\|", text, re.M)
    ratio_match = re.search(r"Ratio[^*]*\*\*([\d.]+)\*\*", text)
    return {
        "pipeline": float(rates[0]) if len(rates) > 0 else None,
        "smtplib": float(rates[1]) if len(rates) > 1 else None,
        "ratio": float(ratio_match.group(1)) if ratio_match else None,
    }


# --- the suite ---------------------------------------------------------------------------


def generate(args, bookings, commands):
    cmd = [PY, "benchmarks/generate.py", "--bookings", str(bookings)]
    if not args.database_url.rstrip("/").endswith("bench"):
        cmd.append("--yes")
    commands.append(shlex.join(cmd))
    env = server_env(args)
    env["DJANGO_SETTINGS_MODULE"] = "joblokal.settings"
    started = time.monotonic()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if out.returncode:
        raise SystemExit(f"generate.py failed:\n{out.stdout}\n{out.stderr}")
    fixture = json.loads((VAR / "fixture.json").read_text())
    fixture["wall_seconds"] = round(time.monotonic() - started, 1)
    fixture["log"] = out.stdout
    # What the beat task keeps current: the statistics' figures of every day.
    cmd = [PY, "manage.py", "refresh_statistics"]
    commands.append(shlex.join(cmd))
    started = time.monotonic()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if out.returncode:
        raise SystemExit(f"refresh_statistics failed:\n{out.stdout}\n{out.stderr}")
    fixture["figures_seconds"] = round(time.monotonic() - started, 1)
    fixture["log"] += f"  statistics figures: {out.stdout.strip()}  {fixture['figures_seconds']}s\n"
    return fixture


def server_command_line(args, server):
    shown = server_settings(args)
    shown["SECRET_KEY"] = "<random>"
    shown["DATABASE_URL"] = re.sub(r"//[^@]*@", "//<user>@", shown.get("DATABASE_URL", ""))
    return " ".join(f"{k}={v}" for k, v in shown.items()) + " " + shlex.join(server.command())


def ensure_database(url):
    """Create the benchmark database if it is missing (the role has CREATEDB)."""
    import psycopg
    from psycopg import sql

    name = url.rstrip("/").rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rstrip("/").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            log(f"created database {name}")


def migrate(args, commands):
    cmd = [PY, "manage.py", "migrate", "--noinput", "-v", "0"]
    commands.append(shlex.join(cmd))
    env = server_env(args)
    env["DJANGO_SETTINGS_MODULE"] = "joblokal.settings"
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, timeout=600)


def machine():
    load = os.getloadavg()
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "load": " ".join(f"{x:.2f}" for x in load),
        "python": platform.python_version(),
        "system": platform.platform(),
        "postgres": pg,
        "wrk": (subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout or "").split(
            "\n"
        )[0],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="0,10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=8808)
    parser.add_argument("--flow-clients", type=int, default=4)
    parser.add_argument("--race-clients", type=int, default=200)
    parser.add_argument(
        "--mail-args",
        # --write '': the script would otherwise prepend each run to its RESULTS-mail.md.
        default="--count 2000 --write ''",
        help="arguments for mail_dispatch.py",
    )
    parser.add_argument("--skip-mail", action="store_true")
    parser.add_argument("--skip-generate", action="store_true", help="use the data as it is")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"))
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://joblokal:joblokal@127.0.0.1:5432/joblokal_bench"
        ),
    )
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the report from var/results.json"
    )
    args = parser.parse_args()
    if args.report_only:
        from benchmarks.report import write

        report = json.loads((VAR / "results.json").read_text())
        for key in ("started", "finished"):
            report[key] = datetime.fromisoformat(report[key])
        write(report, Path(args.output))
        return
    args.secret_key = secrets.token_urlsafe(48)
    if "127.0.0.1" not in args.database_url and "localhost" not in args.database_url:
        raise SystemExit("The benchmark only runs against a database on 127.0.0.1.")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y --no-upgrade wrk")
    scales = [int(s) for s in args.scales.split(",") if s.strip()]
    VAR.mkdir(exist_ok=True)
    report = {"started": datetime.now(UTC), "machine_before": machine(), "commands": []}
    commands = report["commands"]
    ensure_database(args.database_url)
    setup_django(args)
    migrate(args, commands)
    collectstatic(args, commands)
    report["curve"], report["generation"] = {}, {}
    server = Server(args)
    try:
        for i, scale in enumerate(scales):
            last = i == len(scales) - 1
            if args.skip_generate:
                fixture = json.loads((VAR / "fixture.json").read_text())
            else:
                log(f"generating {scale:,} bookings")
                fixture = generate(args, scale, commands)
                report["generation"][scale] = fixture
                log(f"  done in {fixture['seconds']}s (wall {fixture['wall_seconds']}s)")
            server.start()
            if i == 0:
                commands.insert(0, server_command_line(args, server))
            cookies = {
                "coach": login_cookie(fixture["coach"]["username"]),
                "admin": login_cookie(fixture["admin"]["username"]),
                "confirmation": confirmation_cookie(fixture),
            }
            keys = list(PAGES) if last else CURVE_PAGES
            log(f"measuring {', '.join(keys)} at {scale:,} bookings")
            pages, skipped = measure_pages(args, server, keys, fixture, cookies, commands)
            report["curve"][scale] = {k: pages[k] for k in CURVE_PAGES if k in pages}
            report["skipped"] = skipped
            if last:
                report["scale"] = scale
                report["pages"] = pages
                if not skipped.get("form"):
                    log("measuring the booking flow")
                    report["flow"] = measure_flow(args, server, fixture, commands)
                    log("racing for the last seats")
                    report["race"] = measure_race(args, server, fixture, commands)
                report["fixture"] = fixture
                report["worker_rss_mb"] = server.worker_rss_mb()
            server.stop()
            flush_broker()
        if not args.skip_mail:
            log("mail dispatch benchmark")
            report["mail"] = mail_dispatch(args, commands)
    finally:
        server.stop()
    report["finished"] = datetime.now(UTC)
    report["machine_after"] = machine()
    report["args"] = vars(args) | {"secret_key": "<random>"}
    (VAR / "results.json").write_text(json.dumps(report, indent=1, default=str))
    from benchmarks.report import write

    write(report, Path(args.output))
    log(f"wrote {args.output} (raw figures: {VAR / 'results.json'})")


if __name__ == "__main__":
    main()
