"""`make run`: migrate, load the demo data, then serve with a Celery worker and beat.

Runs as `python -m joblokal.embedded` from the project folder. Prints one block (the
address, the demo logins, where mail lands) and sends the three processes' output to
var/log/. Ctrl-C or SIGTERM stops all three and exits 0. Standard library only, so it
starts before Django is imported.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_ADDR = "127.0.0.1:8000"
READY_SECONDS = 60


def site_url(run_addr: str) -> str:
    """The public base URL for a runserver address ("8080", "0.0.0.0:8080", "host:port")."""
    host, _sep, port = run_addr.rpartition(":")
    if host in ("", "0.0.0.0", "[::]"):  # noqa: S104 (a bind address, not a listen call)
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def _environment(var_dir: Path, run_addr: str) -> dict:
    env = dict(os.environ)
    env.setdefault("SITE_URL", site_url(run_addr))
    env.setdefault("JOBLOKAL_VAR_DIR", str(var_dir))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _run_quietly(args: list[str], env: dict, log: Path) -> None:
    with log.open("a") as out:
        done = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
            args, cwd=BASE_DIR, env=env, stdout=out, stderr=out, check=False
        )
    if done.returncode:
        sys.stderr.write(log.read_text()[-4000:])
        raise SystemExit(f"JobLokal: {' '.join(args[1:3])} failed; see {log}.")


def _start(name: str, args: list[str], env: dict, log_dir: Path) -> subprocess.Popen:
    out = (log_dir / f"{name}.log").open("a")
    # A session of its own: Ctrl-C reaches only this supervisor, which stops the three
    # in order and exits 0 (otherwise make would report the interrupted children).
    return subprocess.Popen(  # noqa: S603 (our own interpreter, celery and manage.py)
        args, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def _wait_until_served(url: str, processes: list) -> bool:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            return False
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):  # noqa: S310
                return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    return False


def _stop(processes: list) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _banner(url: str, var_dir: Path) -> str:
    return "\n".join(
        [
            "",
            f"  JobLokal runs on {url}/",
            f"    Coaches: {url}/team/    Administration: {url}/admin/",
            "    Logins (password joblokal-demo): admin (administrator),",
            "      anna, bernd, clara (job coaches; anna serves today's day)",
            f"    Mail is written to {var_dir / 'mail'}/",
            f"    Logs of web, worker and beat: {var_dir / 'log'}/",
            "  Ctrl-C stops everything.",
            "",
        ]
    )


def _take_terminal():
    """Make this process the terminal's foreground group, so Ctrl-C interrupts only it
    and not make, which would then exit with an error. Returns a function that gives the
    terminal back."""
    try:
        fd = sys.stdin.fileno()
        if not os.isatty(fd) or os.tcgetpgrp(fd) != os.getpgrp():
            return lambda: None
        previous = os.getpgrp()
        os.setpgid(0, 0)
        # A background group may not change the terminal's group unless it ignores this.
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        os.tcsetpgrp(fd, os.getpgrp())
    except (OSError, ValueError):
        return lambda: None

    def give_back():
        with contextlib.suppress(OSError):
            os.tcsetpgrp(fd, previous)

    return give_back


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop


def main() -> int:
    run_addr = os.environ.get("RUN_ADDR") or DEFAULT_ADDR
    var_dir = Path(os.environ.get("JOBLOKAL_VAR_DIR") or BASE_DIR / "var")
    log_dir = var_dir / "log"
    # SQLite, the file cache, the broker and the mail files all live here; migrate is the
    # first command that needs it.
    for folder in (var_dir, log_dir, var_dir / "mail"):
        folder.mkdir(parents=True, exist_ok=True)
    env = _environment(var_dir, run_addr)
    python, manage = sys.executable, str(BASE_DIR / "manage.py")
    celery = [python, "-m", "celery", "-A", "joblokal"]
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    give_back_terminal = _take_terminal()
    processes = []
    try:
        print(f"JobLokal: preparing the database (log: {log_dir / 'setup.log'}) …", flush=True)
        _run_quietly([python, manage, "migrate", "--noinput"], env, log_dir / "setup.log")
        _run_quietly([python, manage, "seed_demo"], env, log_dir / "setup.log")
        processes = [
            _start("worker", [*celery, "worker", "--concurrency", "1", "--loglevel", "INFO",
                              "--without-gossip", "--without-mingle"], env, log_dir),
            _start("beat", [*celery, "beat", "--loglevel", "INFO",
                            "--schedule", str(var_dir / "celerybeat-schedule")], env, log_dir),
            _start("web", [python, manage, "runserver", "--noreload", run_addr], env, log_dir),
        ]  # fmt: skip
        url = site_url(run_addr)
        if not _wait_until_served(url, processes):
            print(f"JobLokal did not start; see {log_dir}/web.log.", file=sys.stderr)
            return 1
        print(_banner(url, var_dir), flush=True)
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        print(f"JobLokal: a process ended; see {log_dir}/.", file=sys.stderr)
        return 1
    except (_Stop, KeyboardInterrupt):
        print("\nJobLokal: stopping …", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _stop(processes)
        give_back_terminal()


if __name__ == "__main__":
    sys.exit(main())
