"""The client address behind proxies (issue 12, defect 3): one function for rate limits,
the login lockout and the booking caps; the right-most untrusted entry wins."""

import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from joblokal.client_address import UNKNOWN, client_address_from
from tests import factories

PEER = "10.0.0.2"  # the nearest proxy, as REMOTE_ADDR

# (X-Forwarded-For or None for a missing header, {trusted hops: expected client address})
TABLE = [
    (None, {0: PEER, 1: PEER, 2: PEER}),
    ("", {0: PEER, 1: PEER, 2: PEER}),
    ("203.0.113.9", {0: PEER, 1: "203.0.113.9", 2: "203.0.113.9"}),
    # A client that sends its own header: the forged left part is never read.
    ("6.6.6.6, 203.0.113.9", {0: PEER, 1: "203.0.113.9", 2: "6.6.6.6"}),
    ("6.6.6.6,203.0.113.9, 10.0.0.1", {0: PEER, 1: "10.0.0.1", 2: "203.0.113.9"}),
    ("2001:db8::1", {0: PEER, 1: "2001:db8::1", 2: "2001:db8::1"}),
    ("[2001:db8::1]:443", {0: PEER, 1: "2001:db8::1"}),
    ("203.0.113.9:51234", {1: "203.0.113.9"}),
    # Garbage where the trusted proxy should have written: the peer, never the garbage.
    ("not-an-address", {0: PEER, 1: PEER, 2: PEER}),
    ("203.0.113.9, garbage", {1: PEER, 2: "203.0.113.9"}),
    (" , ,", {1: PEER}),
    ("x" * 5000, {1: PEER}),
    ("203.0.113.9\x00, 1.2.3.4", {1: "1.2.3.4", 2: PEER}),
]


@pytest.mark.parametrize(("header", "expected"), TABLE)
def test_the_client_address_for_each_header_and_hop_count(header, expected):
    meta = {"REMOTE_ADDR": PEER}
    if header is not None:
        meta["HTTP_X_FORWARDED_FOR"] = header
    got = {hops: client_address_from(meta, hops) for hops in expected}
    assert got == expected


def test_a_missing_peer_address_is_a_placeholder_not_an_error():
    assert client_address_from({}, 0) == UNKNOWN
    assert client_address_from({"HTTP_X_FORWARDED_FOR": "1.2.3.4"}, 1) == "1.2.3.4"


@pytest.mark.django_db
@pytest.mark.parametrize("hops", [0, 1, 2])
@pytest.mark.parametrize("header", [h for h, _ in TABLE if h is not None])
def test_no_header_value_gives_a_500(client, settings, hops, header):
    settings.TRUSTED_PROXY_HOPS = hops
    slot = factories.day().slots.first()
    response = client.post(f"/buchen/{slot.pk}/", {"name": "x"}, HTTP_X_FORWARDED_FOR=header)
    assert response.status_code == 200
    login = client.post(
        "/team/anmelden/", {"username": "nobody", "password": "x"}, HTTP_X_FORWARDED_FOR=header
    )
    assert login.status_code == 200


@pytest.mark.django_db
def test_a_forged_header_cannot_escape_the_rate_limit(client, settings):
    settings.TRUSTED_PROXY_HOPS = 1
    slot = factories.day().slots.first()
    codes = [
        client.post(
            f"/buchen/{slot.pk}/",
            {"name": "x"},
            HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, 203.0.113.9",
        ).status_code
        for n in range(25)
    ]
    assert codes[:20] == [200] * 20 and set(codes[20:]) == {429}


@pytest.mark.django_db
def test_clients_behind_one_proxy_are_limited_one_by_one(client, settings):
    settings.TRUSTED_PROXY_HOPS = 1
    slot = factories.day().slots.first()
    for _ in range(20):
        client.post(f"/buchen/{slot.pk}/", {"name": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.9")
    over = client.post(f"/buchen/{slot.pk}/", {"name": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.9")
    other = client.post(f"/buchen/{slot.pk}/", {"name": "x"}, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert (over.status_code, other.status_code) == (429, 200)


def test_the_login_lockout_reads_the_same_address():
    assert django_settings.AXES_CLIENT_IP_CALLABLE == "joblokal.client_address.client_address"


def _start(**env) -> subprocess.CompletedProcess:
    code = "import django; django.setup()"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={"DJANGO_SETTINGS_MODULE": "joblokal.settings", "PYTHONPATH": "."} | env,
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TRUSTED_PROXY_HOPS": "-1"}, "TRUSTED_PROXY_HOPS must be at least 0"),
        ({"TRUSTED_PROXY_HOPS": "two"}, "TRUSTED_PROXY_HOPS must be a whole number"),
        ({"TRUSTED_PROXY_HOPS": "9"}, "TRUSTED_PROXY_HOPS must be at most 5"),
        ({"RATELIMIT_IP_META_KEY": "HTTP_X_FORWARDED_FOR"}, "set TRUSTED_PROXY_HOPS"),
    ],
)
def test_a_bad_proxy_setting_is_refused_at_start_up(env, message):
    started = _start(**env)
    assert started.returncode != 0 and message in started.stderr


@pytest.mark.django_db
def test_the_login_lockout_counts_the_client_behind_the_proxy(client, settings):
    settings.TRUSTED_PROXY_HOPS = 1
    factories.user("alice")

    def attempt(forged, password="wrong", real="203.0.113.9"):  # noqa: S107
        return client.post(
            "/team/anmelden/",
            {"username": "alice", "password": password},
            HTTP_X_FORWARDED_FOR=f"{forged}, {real}",
        )

    codes = [attempt(f"6.6.6.{n}").status_code for n in range(settings.AXES_FAILURE_LIMIT)]
    assert codes == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    # Rotating the forged part does not help: the client is locked out...
    locked = attempt("6.6.6.99", password="pw-alice")
    assert locked.status_code == 429
    # ...and another client behind the same proxy is not.
    assert attempt("6.6.6.99", password="pw-alice", real="198.51.100.7").status_code == 302
