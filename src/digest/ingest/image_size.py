"""Image sizes: as pages and feeds declare them, or read from the image's own header.

The email gives every image its width and height so nothing moves when images load.
The size is first read from what the page or feed says (og:image:width, media:content
width=...). For an image shown in the issue whose size nobody declared, ``measure_images``
fetches only its first few kilobytes (a Range request, cut off there if the server
sends more) under the fetch policy of ``digest.ingest.fetch``, and reads the width and
height from its PNG, GIF, JPEG or WebP header.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from digest.ingest.fetch import DEFAULT_OPTIONS, FetchOptions, Request, Response, fetch_all
from digest.models import ImageSize

# Enough for the header of nearly every image: a JPEG's size comes after its EXIF block,
# which a camera's thumbnail can make tens of kilobytes long; past this, it stays unknown.
HEAD_BYTES = 64 * 1024
HEAD_SECONDS = 5.0  # one image's deadline: a slow image host must not hold the issue up

# Sides past this are a typo or a trap, not a photo an email would show.
MAX_SIDE = 20_000

_PIXELS = re.compile(r"\s*(\d{1,6})(?:\.0*)?\s*(?:px)?\s*", re.IGNORECASE)


def declared_size(width: Any, height: Any) -> ImageSize | None:
    """``(width, height)`` from two declared values ("1200", 1200, "1200px"); None
    unless both are whole positive numbers of pixels within MAX_SIDE."""
    sides = [_pixels(width), _pixels(height)]
    if sides[0] is None or sides[1] is None:
        return None
    return sides[0], sides[1]


def _pixels(value: Any) -> int | None:
    if isinstance(value, dict):  # JSON-LD's {"@type": "QuantitativeValue", "value": 1200}
        value = value.get("value")
    if isinstance(value, bool):  # JSON's true is an int to Python
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and (match := _PIXELS.fullmatch(value)):
        number = int(match.group(1))
    else:
        return None
    return number if 0 < number <= MAX_SIDE else None


def measure_images(
    urls: Sequence[str], options: FetchOptions = DEFAULT_OPTIONS
) -> dict[str, ImageSize]:
    """The size of each image in ``urls`` that its first bytes tell; the others are left out.

    ``options`` is the run's fetch policy (which hosts may be reached); the deadline and
    the size cap are this module's, smaller than a page's.
    """
    wanted = list(dict.fromkeys(urls))
    if not wanted:
        return {}
    head = replace(
        options,
        max_bytes=HEAD_BYTES,
        partial=True,
        timeout=min(options.timeout, HEAD_SECONDS),
        connect_timeout=min(options.connect_timeout, HEAD_SECONDS),
    )
    sizes = {}
    for url, outcome in zip(wanted, fetch_all([Request(u) for u in wanted], head), strict=True):
        if isinstance(outcome, Response) and (size := header_size(outcome.body)):
            sizes[url] = size
    return sizes


def header_size(data: bytes) -> ImageSize | None:
    """``(width, height)`` from the first bytes of a PNG, GIF, JPEG or WebP image; None
    for anything else, or when the bytes end before the size."""
    size: tuple[int, int] | None = None
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        size = struct.unpack(">II", data[16:24]) if len(data) >= 24 else None
    elif data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        size = struct.unpack("<HH", data[6:10])
    elif data.startswith(b"\xff\xd8"):
        size = _jpeg_size(data)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        size = _webp_size(data)
    if size is None:
        return None
    return declared_size(*size)


# JPEG markers that start a frame and say its size (SOF0-SOF15 but DHT, JPG and DAC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 9 <= len(data):
        if data[at] != 0xFF:
            return None  # not at a marker: a corrupt file
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            at += 2
            continue
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        at += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        (bits,) = struct.unpack("<I", data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None
