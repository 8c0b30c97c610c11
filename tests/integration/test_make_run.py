"""`make run` in a fresh copy of the project, in a new temporary folder, on a free port.

The copy reuses this checkout's virtual environment and Bootstrap (by symlink, with the
install stamps older than nothing), so it measures the run, not the downloads. It runs on
its own SQLite file and filesystem broker under the copy's var/, exactly as on a laptop.
"""

import fcntl
import http.cookiejar
import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import termios
import threading
import time
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# Settings of the test environment that must not reach the embedded mode.
CLEARED = [
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "TEST_BROKER_URL",
    "CACHE_URL",
    "SITE_URL",
    "JOBLOKAL_VAR_DIR",
    "DJANGO_SETTINGS_MODULE",
    "MAIL_BACKEND",
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
]


def fresh_copy(target: Path) -> Path:
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / os.fsdecode(name)
        if source.is_file():
            (target / os.fsdecode(name)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / os.fsdecode(name))
    stamps = [ROOT / ".venv" / ".installed", ROOT / "node_modules" / ".installed"]
    assert all(stamp.exists() for stamp in stamps), "run `make setup` first"
    (target / ".venv").symlink_to(ROOT / ".venv")
    # A folder of its own, so no npm run in the copy can touch this checkout's packages.
    (target / "node_modules").mkdir()
    (target / "node_modules" / "bootstrap").symlink_to(ROOT / "node_modules" / "bootstrap")
    (target / "node_modules" / ".installed-run").touch()
    older = min(stamp.stat().st_mtime for stamp in stamps) - 60
    for name in ("pyproject.toml", "package.json", "package-lock.json"):
        os.utime(target / name, (older, older))
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert port != 8000
    return port


def environment() -> dict:
    return {key: value for key, value in os.environ.items() if key not in CLEARED}


def processes_in(folder: Path) -> list[int]:
    """Every process whose working directory is the copy (web, worker, beat, make)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(os.readlink(entry / "cwd")) == folder:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def log_in(base: str, username: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{base}/team/anmelden/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": "joblokal-demo"}
    ).encode()
    request = urllib.request.Request(
        f"{base}/team/anmelden/", data=data, headers={"Referer": f"{base}/team/anmelden/"}
    )
    opener.open(request).read()
    return opener


class Terminal:
    """make run on a pseudo-terminal, as typed into a shell: Ctrl-C is a real ^C."""

    def __init__(self, folder: Path, port: int):
        master, slave = pty.openpty()

        def take_terminal():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.process = subprocess.Popen(
            ["make", "run", f"RUN_ADDR=127.0.0.1:{port}"],
            cwd=folder,
            env=environment(),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            preexec_fn=take_terminal,  # noqa: PLW1509 (runs after setsid, before exec)
        )
        os.close(slave)
        self.master, self.output = master, b""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            if not chunk:
                return
            self.output += chunk

    def text(self) -> str:
        return self.output.decode(errors="replace")

    def press_ctrl_c(self):
        os.write(self.master, b"\x03")


@pytest.fixture
def copy(tmp_path):
    folder = fresh_copy(tmp_path / "joblokal")
    yield folder
    for pid in processes_in(folder):
        os.kill(pid, signal.SIGKILL)


def test_make_run_serves_the_demo_and_stops_on_ctrl_c_and_sigterm(copy):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    terminal = Terminal(copy, port)
    started = time.monotonic()
    wait_for(lambda: "Ctrl-C stops" in terminal.text(), 180, "the start block")
    first_page = time.monotonic() - started
    assert f"{base}/" in terminal.text()
    # One clear block: no worker banner, no kombu warnings, no "Error".
    assert "celery@" not in terminal.text() and "Error" not in terminal.text()
    assert (copy / "var" / "log" / "worker.log").exists()

    start_page = urllib.request.urlopen(f"{base}/").read().decode()
    assert "Wathlingen" in start_page

    anna = log_in(base, "anna").open(f"{base}/team/").read().decode()
    assert "Rathaus Wathlingen" in anna and "Maria Schulz" in anna
    assert f"{date.today():%d.%m.%Y}" in anna or f"{date.today():%-d.}" in anna

    mail_link = f"{base}/termin/"
    wait_for(
        lambda: any(mail_link in p.read_text() for p in (copy / "var" / "mail").glob("*")),
        60,
        "a confirmation mail linking to the served port",
    )

    terminal.press_ctrl_c()
    assert terminal.process.wait(timeout=30) == 0, terminal.text()
    wait_for(lambda: not processes_in(copy), 10, "web, worker and beat to stop")
    print(f"make run: first page after {first_page:.1f} s")

    # Started again (data already there), SIGTERM to make stops all three processes.
    make = subprocess.Popen(
        ["make", "run", f"RUN_ADDR=127.0.0.1:{port}"],
        cwd=copy,
        env=environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_for(lambda: _answers(base), 120, "the second start")
    assert len(processes_in(copy)) >= 5  # make, supervisor, web, worker, beat
    make.send_signal(signal.SIGTERM)
    make.wait(timeout=30)
    wait_for(lambda: not processes_in(copy), 10, "web, worker and beat to stop")


def _answers(base: str) -> bool:
    try:
        return urllib.request.urlopen(f"{base}/healthz", timeout=2).status == 200
    except OSError:
        return False
