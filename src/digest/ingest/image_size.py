"""Image sizes as pages and feeds declare them.

The email gives every image its width and height so nothing moves when images load;
the size is read from what the page or feed says (og:image:width, media:content
width=...), never by fetching the image: that would cost a request per story.
"""

from __future__ import annotations

import re
from typing import Any

from digest.models import ImageSize

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
