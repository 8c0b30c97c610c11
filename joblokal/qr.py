"""QR codes as inline SVG for printed slips, posters and letters (no external service)."""

import segno
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext


def qr_svg(url: str, *, title: str = "", scale: int = 4) -> SafeString:
    """An inline SVG QR code of `url`, black on white, with a text alternative.

    Error correction M survives a smudged print; the quiet zone (border 4) is what
    phone scanners need to find the code on a busy poster.
    """
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(
        scale=scale,
        border=4,
        dark="#000",
        light="#fff",
        title=title or gettext("QR-Code: %(url)s") % {"url": url},
        svgclass="qr-code",
        lineclass=None,
        omitsize=False,
    )
    # segno escapes the title and emits only its own markup.
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308
