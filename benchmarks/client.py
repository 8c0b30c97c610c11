"""A small HTTP client for flows that need cookies and CSRF: the booking flow and the race.

Standard library only. It fills a booking form without knowing its field names in
advance: hidden fields keep their value (CSRF token, submission key), name/email/phone
are filled, the consent box and the first topic are ticked, and anything else (such as a
honeypot) stays empty, as a person would leave it.
"""

import http.client
import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

CONSENT = re.compile(r"consent|privacy|datenschutz|einwillig|agree|zustimm", re.I)
TOPIC = re.compile(r"topic|anliegen|thema|specialism", re.I)


class Response:
    def __init__(self, status, headers, body, url):
        self.status, self.headers, self.body, self.url = status, headers, body, url
        self.history = []  # statuses of the redirects that led here

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


class Client:
    """One visitor: its own cookies, one request at a time, redirects followed."""

    def __init__(self, base, timeout=30.0, language="de"):
        parts = urlsplit(base)
        self.base, self.host, self.port = base.rstrip("/"), parts.hostname, parts.port or 80
        self.timeout, self.language = timeout, language
        self.cookies = {}

    def request(self, method, path, data=None, follow=3):
        url = urljoin(self.base + "/", path)
        headers = {"Accept-Language": self.language, "Host": f"{self.host}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.base
            headers["Referer"] = url
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, urlsplit(url).path + _query(url), body=body, headers=headers)
            raw = conn.getresponse()
            content = raw.read()
            for value in raw.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            response = Response(raw.status, raw.headers, content, url)
        finally:
            conn.close()
        if follow and response.status in (301, 302, 303) and raw.headers.get("Location"):
            final = self.request("GET", urljoin(url, raw.headers["Location"]), follow=follow - 1)
            final.history.insert(0, response.status)
            return final
        return response

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, data):
        return self.request("POST", path, data)


def _query(url):
    query = urlsplit(url).query
    return f"?{query}" if query else ""


class FormParser(HTMLParser):
    """Collects the fields of every POST form on a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.current, self.textarea, self.select = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self.current = {"action": a.get("action") or "", "fields": []}
            self.forms.append(self.current)
        elif self.current is None:
            return
        elif tag == "input":
            self.current["fields"].append(
                {
                    "tag": "input",
                    "type": (a.get("type") or "text").lower(),
                    "name": a.get("name"),
                    "value": a.get("value", "on" if a.get("type") == "checkbox" else ""),
                    "checked": "checked" in a,
                }
            )
        elif tag == "textarea":
            self.textarea = {"tag": "textarea", "type": "textarea", "name": a.get("name")}
            self.textarea["value"] = ""
            self.current["fields"].append(self.textarea)
        elif tag == "select":
            self.select = {"tag": "select", "type": "select", "name": a.get("name"), "value": None}
            self.current["fields"].append(self.select)
        elif (
            tag == "option"
            and self.select is not None
            and (self.select["value"] is None or "selected" in a)
        ):
            self.select["value"] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None


def booking_form(html):
    """The POST form with a CSRF token and the most fields, or None."""
    parser = FormParser()
    parser.feed(html)
    forms = [
        f for f in parser.forms if any(x["name"] == "csrfmiddlewaretoken" for x in f["fields"])
    ]
    return max(forms, key=lambda f: len(f["fields"])) if forms else None


def fill(form, *, name, email, phone="05141 123456"):
    """Form data as a careful person would enter it."""
    data, topic_taken = [], False
    for field in form["fields"]:
        key, kind = field["name"], field["type"]
        if not key:
            continue
        low = key.lower()
        if kind == "hidden":
            data.append((key, field["value"]))
        elif kind == "checkbox":
            if CONSENT.search(low) or field["checked"]:
                data.append((key, field["value"]))
            elif TOPIC.search(low) and not topic_taken:
                data.append((key, field["value"]))
                topic_taken = True
        elif kind == "radio":
            if not any(k == key for k, _ in data):
                data.append((key, field["value"]))
        elif kind in ("submit", "button", "image", "reset"):
            continue
        elif kind == "select":
            data.append((key, field["value"] or ""))
        elif "email" in low or kind == "email":
            data.append((key, email))
        elif "phone" in low or "telefon" in low or kind == "tel":
            data.append((key, phone))
        elif low == "name" or low.endswith("_name") or low == "full_name":
            data.append((key, name))
        else:
            data.append((key, ""))  # honeypots and optional fields stay empty
    return data
