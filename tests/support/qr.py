"""Reading a QR code back from an image, with a decoder of its own (zxing-cpp), not the one that drew it."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image


def read_qr(png: bytes) -> list[str]:
    """The text of every QR code in a PNG image."""
    with Image.open(io.BytesIO(png)) as image:
        found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    return [code.text for code in found]
