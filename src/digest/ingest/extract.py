"""Main text and metadata from an HTML page (the only module that imports trafilatura)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urljoin

import trafilatura

# trafilatura logs every page it finds no text in; our callers report that themselves.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None
    url: str | None = None
    image: str | None = None
    site: str | None = None


def extract_html(page: bytes, url: str | None = None) -> Extracted | None:
    """The article in ``page``, or None when the page holds no main text.

    Hand over the raw bytes: trafilatura finds the page's encoding itself, which a
    decode done here could get wrong.
    """
    doc = trafilatura.bare_extraction(
        page,
        url=url,
        with_metadata=True,
        favor_precision=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
    )
    if doc is None or not doc.text:
        return None
    canonical = doc.url or url
    image = urljoin(canonical, doc.image) if canonical and doc.image else doc.image
    return Extracted(
        text=doc.text,
        title=doc.title or None,
        author=doc.author or None,
        published=doc.date or None,
        url=canonical or None,
        image=image or None,
        site=doc.sitename or None,
    )
