"""Mail dispatch benchmark: N due reminders go through the real pipeline (beat's scan ->
outbox rows -> Redis -> one Celery worker -> SMTP) to a local aiosmtpd server, compared
with a plain smtplib loop sending the same rendered messages to the same server, in the
same run.

    DATABASE_URL=postgres://joblokal:joblokal@127.0.0.1:5432/joblokal_i4 \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/4 \\
    .venv/bin/python benchmarks/mail_dispatch.py --count 5000 --concurrency 1

The worker's figure includes everything a real reminder costs: the scan's claim, the
batch claim, rendering three templates and the calendar file, a fresh manage-link token,
building the MIME message, the SMTP conversation, and marking the row sent. The smtplib
loop only talks SMTP over one connection, with bytes rendered beforehand. It runs once
before and once after the pipeline, and the ratio uses their mean, because the machine's
load (shared cores) drifts during a run. The Redis db is flushed.

`--profile N` then sends N more reminders in this process under cProfile (no Celery) and
prints where the time went.
"""

import argparse
import os
import platform
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

TOKEN = "x" * 32  # the same length as a real manage token
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--write", default=str(ROOT / "benchmarks" / "RESULTS-mail.md"))
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    args = parser.parse_args()
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis://") or "postgres" not in os.environ.get("DATABASE_URL", ""):
        raise SystemExit("set DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (redis://)")
    port = free_port()
    os.environ |= {"MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port)}
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "joblokal.settings")

    import django

    django.setup()
    import redis
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    redis.Redis.from_url(broker).flushdb()

    smtp = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    day = None
    try:
        wait_for(lambda: _listening(port), 20, "SMTP server")
        day = _make_bookings(args.count)
        log = Path(tempfile.gettempdir()) / f"joblokal-bench-worker-{os.getpid()}.log"
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "joblokal",
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                str(args.concurrency),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"bench-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=os.environ | {"DATABASE_CONN_MAX_AGE": "60"},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        time.sleep(1)
        wait_for(lambda: _worker_ready(broker), 60, "worker")
        rendered = _render(day)
        processes = {"worker": worker.pid, "smtp": smtp.pid}
        before = _with_cpu(processes, lambda: _run_smtplib(rendered, port))
        pipeline = _with_cpu(processes, lambda: _run_pipeline(day, args.count))
        after = _with_cpu(processes, lambda: _run_smtplib(rendered, port))
        baseline = _mean(before, after)
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        worker = None
        if args.profile:
            _profile(args.profile, broker)
    finally:
        if worker:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        smtp.send_signal(signal.SIGTERM)
        smtp.wait(timeout=10)
        if day is not None:
            _clean_up(day)
    _report(args, pipeline, baseline)


def _listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _worker_ready(broker):
    from joblokal.celery import app

    return bool(app.control.inspect(timeout=1).ping())


def _make_bookings(count):
    from django.utils import timezone

    from appointments.models import Booking, DayStatus
    from appointments.services import create_day, new_reference
    from locations.models import District, Municipality, Site

    stamp = datetime.now(UTC).strftime("%H%M%S%f")
    district, _ = District.objects.get_or_create(name="Bench")
    town = Municipality.objects.create(
        name=f"Bench {stamp}", slug=f"bench-{stamp}", district=district
    )
    site = Site.objects.create(municipality=town, name="Rathaus", address="Markt 1")
    day = create_day(
        site=site,
        on=timezone.localdate() + timedelta(days=3),
        start=datetime.min.time().replace(hour=9),
        end=datetime.min.time().replace(hour=9, minute=30),
        seats_per_slot=count,
        status=DayStatus.PUBLISHED,
    )
    slot = day.slots.get()
    Booking.objects.bulk_create(
        Booking(
            slot=slot,
            day=day,
            reference=new_reference() + f"{n:04d}"[-2:],
            name=f"Kundin {n}",
            email=f"kundin{n}@example.org",
            consent_at=timezone.now(),
        )
        for n in range(count)
    )
    slot.seats_taken = count
    slot.save(update_fields=["seats_taken"])
    return day


def _run_pipeline(day, count):
    from django.db.models import Max, Min

    from appointments.models import MailStatus, OutgoingMail
    from appointments.services import queue_due_reminders

    rows = OutgoingMail.objects.filter(booking__day=day, kind="reminder")
    scan_at = day.slots.get().starts_at - timedelta(hours=23)
    started = time.monotonic()
    queued = queue_due_reminders(now=scan_at)
    queued_after = time.monotonic() - started
    assert queued == count, queued
    # Polled by id range (the scan's rows are the only ones written meanwhile), a short
    # index scan, so the polling costs PostgreSQL little of the time it measures.
    first, last = rows.aggregate(first=Min("pk"), last=Max("pk")).values()
    unsent = OutgoingMail.objects.filter(pk__range=(first, last)).exclude(status=MailStatus.SENT)
    wait_for(lambda: not unsent.exists(), 1800, "delivery")
    elapsed = time.monotonic() - started
    assert rows.filter(status=MailStatus.SENT).count() == count
    return {"elapsed": elapsed, "scan": queued_after, "rate": count / elapsed, "mails": count}


def _cpu_seconds(processes: dict[str, int]) -> dict[str, float]:
    """User and system CPU time used so far by this process (the scan, or the smtplib
    loop), the Celery worker and its children, the SMTP server and every PostgreSQL
    process on the machine (other work on the database counts too)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = dict.fromkeys(["this process", "Celery worker", "SMTP server", "PostgreSQL"], 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        pid, parent = int(stat.parent.name), int(fields[1])
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if pid == os.getpid():
            used["this process"] += seconds
        elif processes["worker"] in (pid, parent):
            used["Celery worker"] += seconds
        elif pid == processes["smtp"]:
            used["SMTP server"] += seconds
        elif name == "postgres" or name.startswith("postgres:"):
            used["PostgreSQL"] += seconds
    return used


def _with_cpu(processes: dict[str, int], run) -> dict:
    """Run a step and add the CPU each party used during it, in ms per mail."""
    start = _cpu_seconds(processes)
    result = run()
    end = _cpu_seconds(processes)
    mails = result["mails"]
    result["cpu_ms"] = {name: 1000 * (end[name] - start[name]) / mails for name in start}
    return result


def _render(day):
    """The reminders the pipeline will send, rendered beforehand from unsaved rows."""
    from appointments import messages
    from appointments.models import Booking, MailKind, OutgoingMail

    bookings = Booking.objects.filter(day=day).select_related("slot__day__site__municipality")
    rows = (
        OutgoingMail(kind=MailKind.REMINDER, booking=b, key=f"bench:{b.pk}", context={})
        for b in bookings
    )
    return [(m.booking.email, messages.build_message(m, manage_token=TOKEN)) for m in rows]


def _run_smtplib(rendered, port):
    data = [(to, message.as_bytes()) for to, message in rendered]
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for to, payload in data:
            client.sendmail("termine@joblokal.example", [to], payload)
    elapsed = time.monotonic() - started
    return {"elapsed": elapsed, "rate": len(data) / elapsed, "mails": len(data)}


def _mean(before, after):
    elapsed = (before["elapsed"] + after["elapsed"]) / 2
    return {
        "elapsed": elapsed,
        "rate": (before["rate"] + after["rate"]) / 2,
        "rates": (before["rate"], after["rate"]),
        "cpu_ms": {
            name: (before["cpu_ms"][name] + after["cpu_ms"][name]) / 2 for name in before["cpu_ms"]
        },
    }


def _profile(count, broker):
    """Send `count` reminders in this process, without Celery: first timing each step
    by the wall clock, then again under cProfile."""
    import cProfile
    import pstats

    timings = _send_in_process(count, broker, _timed_steps)
    print(f"\nWall clock per mail, {count} reminders in this process:")
    for step, seconds in timings.most_common():
        print(f"  {step}: {seconds * 1000 / count:.2f} ms")
    profile = cProfile.Profile()
    _send_in_process(count, broker, lambda: profile)
    print(f"\ncProfile of {count} more:")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


def _send_in_process(count, broker, instrument):
    import redis

    from appointments import outbox
    from appointments.services import reminders

    day = _make_bookings(count)
    try:
        scan_at = day.slots.get().starts_at - timedelta(hours=23)
        meter = instrument()
        meter.enable()
        reminders.queue_due_reminders(now=scan_at)
        while outbox.deliver_batch().sent:
            pass
        meter.disable()
        return getattr(meter, "totals", None)
    finally:
        redis.Redis.from_url(broker).flushdb()
        _clean_up(day)


class _timed_steps:
    """Wraps the steps of a delivery with wall-clock timers while enabled."""

    def __init__(self):
        import collections
        import smtplib

        from appointments import message_parts, messages, mime, outbox, outbox_marks, outbox_rows
        from appointments.services import reminders

        self.totals = collections.Counter()
        self.targets = [
            (reminders, "queue_due_reminders", "reminder scan"),
            (outbox, "build_message", "rendering (templates and .ics)"),
            (messages, "calendar_file", "  of which the .ics"),
            (message_parts.SharedParts, "render", "  of which the shared parts, filled in"),
            (mime.Notice, "as_bytes", "writing the MIME bytes (Notice.as_bytes)"),
            (smtplib.SMTP, "sendmail", "SMTP conversation (sendmail)"),
            (outbox_marks.ThreadMarks, "settle", "  of which the last mark's answer, before DATA"),
            (outbox_marks.ThreadMarks, "start", "marking the row sent (SMTP thread, not waiting)"),
            (outbox_rows, "mark_sent", "marking the row sent (by the batch, or again)"),
            (outbox, "claim_batch", "batch claim"),
            (outbox, "_load", "loading the batch's rows"),
            (outbox, "_issue_tokens", "one token insert per batch"),
        ]
        self.saved = []

    def enable(self):
        for owner, name, label in self.targets:
            original = getattr(owner, name)
            self.saved.append((owner, name, original))
            setattr(owner, name, self._timer(original, label))

    def disable(self):
        for owner, name, original in reversed(self.saved):
            setattr(owner, name, original)

    def _timer(self, function, label):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.totals[label] += time.perf_counter() - started

        return timed


def _clean_up(day):
    from appointments.models import Booking, OutgoingMail

    OutgoingMail.objects.filter(booking__day=day).delete()
    Booking.objects.filter(day=day).delete()
    site = day.site
    day.delete()
    site.delete()
    site.municipality.delete()


def _report(args, pipeline, baseline):
    ratio = pipeline["rate"] / baseline["rate"]
    lines = [
        "# Mail dispatch benchmark",
        "",
        f"`benchmarks/mail_dispatch.py --count {args.count} --concurrency {args.concurrency}`,"
        f" {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores"
        " shared with other work, PostgreSQL and Redis on 127.0.0.1, aiosmtpd Sink server.",
        "",
        "| path | messages | seconds | messages/s |",
        "|---|---|---|---|",
        f"| scan -> outbox -> Redis -> 1 Celery worker (concurrency {args.concurrency}) -> SMTP"
        f" | {args.count} | {pipeline['elapsed']:.1f} | {pipeline['rate']:.0f} |",
        f"| plain smtplib loop, one connection, same messages, same server (mean of a run"
        f" before and after: {baseline['rates'][0]:.0f} and {baseline['rates'][1]:.0f}/s)"
        f" | {args.count} | {baseline['elapsed']:.1f} | {baseline['rate']:.0f} |",
        "",
        f"Ratio pipeline / smtplib: **{ratio:.2f}**. The scan itself (claiming {args.count}"
        f" bookings and writing their outbox rows) took {pipeline['scan']:.1f} s of the"
        " pipeline time; the worker started sending while it ran.",
        "",
        "CPU time per mail (ms; user and system, from /proc), measured around each path:",
        "",
        "| path | " + " | ".join(pipeline["cpu_ms"]) + " | total |",
        "|---|" + "---|" * (len(pipeline["cpu_ms"]) + 1),
        *(
            f"| {label} | "
            + " | ".join(f"{ms:.2f}" for ms in run["cpu_ms"].values())
            + f" | {sum(run['cpu_ms'].values()):.2f} |"
            for label, run in (("pipeline", pipeline), ("smtplib loop (mean)", baseline))
        ),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        path = Path(args.write)
        previous = path.read_text() if path.exists() else ""
        path.write_text(text + ("\n" + previous if previous.startswith("# Mail") else ""))


if __name__ == "__main__":
    main()
