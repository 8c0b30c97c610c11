"""Decode QR codes as a phone would: from pixels, not from the markup that made them."""

import io

import zxingcpp
from PIL import Image


def decode_png(png: bytes) -> list[str]:
    """The texts of every QR code in a PNG image."""
    image = Image.open(io.BytesIO(png)).convert("L")
    return [
        r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode
    ]


def decode_in_page(locator) -> str:
    """Screenshot one element of a Playwright page (a QR code) and decode it."""
    texts = decode_png(locator.screenshot())
    assert len(texts) == 1, f"expected one QR code, decoded {texts!r}"
    return texts[0]
