"""A local HTTP SMS gateway for the tests: it records every request, and can answer 503
or hang past the client's timeout for the next few requests.

A request it answers 2xx counts as delivered. A request it hangs on is answered only
after the client gave up, and counts as not taken (a gateway that drops what it cannot
finish); every try of one outbox row carries the same reference, so a gateway that
de-duplicates on it would drop a repeat even if it had taken the message.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Request:
    fields: dict
    headers: dict
    answer: int
    at: float = field(default_factory=time.monotonic)


class Gateway:
    def __init__(self):
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.fail_next = 0  # answer 503 to this many requests
        self.hang_next = 0  # hang on this many requests
        self.hang_seconds = 3.0
        self.status = 200  # the answer otherwise
        self.delay_seconds = 0.0  # how long each answer takes
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/send"

    def start(self) -> "Gateway":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def delivered(self) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if 200 <= r.answer < 300]

    def answered(self, status: int) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.answer == status]

    def _decide(self) -> str:
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return "fail"
            if self.hang_next > 0:
                self.hang_next -= 1
                return "hang"
            return "answer"

    def _handler(self):
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    fields = json.loads(raw)
                else:
                    fields = {k: v[0] for k, v in parse_qs(raw).items()}
                decision = gateway._decide()
                status = {"fail": 503, "hang": 599, "answer": gateway.status}[decision]
                with gateway.lock:
                    gateway.requests.append(Request(fields, dict(self.headers), status))
                if decision == "hang":
                    time.sleep(gateway.hang_seconds)
                    status = 503
                elif gateway.delay_seconds:
                    time.sleep(gateway.delay_seconds)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"ok": %s}' % (b"true" if status < 300 else b"false"))
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, *args):
                pass

        return Handler
