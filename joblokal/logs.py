"""Log filters that keep secrets of the URLs out of log files."""

import logging
import re

# A manage link, a waiting-list offer and a password-reset link carry their secret in the
# path; a confirmation page carries the booking reference.
SEGMENT = r"[^\s/?#\"']+"
SECRET_PATH = re.compile(
    rf"(/termin/|/warteliste/angebot/|/gebucht/){SEGMENT}|(/passwort/neu/){SEGMENT}/{SEGMENT}"
)


def redact(text: str) -> str:
    """The text with the secret part of every such path replaced by ***."""
    return SECRET_PATH.sub(
        lambda m: f"{m.group(1)}***" if m.group(1) else f"{m.group(2)}***/***", text
    )


class RedactSecretPaths(logging.Filter):
    """Rewrites a record whose message names a secret path; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
