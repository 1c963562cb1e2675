"""Feed documents to entries: RSS 0.9x/1.0/2.0 and Atom through feedparser (the only
module that imports it), JSON Feed parsed here, since feedparser does not know it.

Bytes come in (fetched elsewhere, with bounds); feedparser sniffs the encoding from the
HTTP charset, the XML declaration and the bytes themselves.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any

import feedparser

from digest.ingest.image_size import declared_size
from digest.models import ImageSize, parse_datetime

JSON_TYPES = ("application/feed+json", "application/json")


class FeedError(Exception):
    """The document is not a feed this module can read; the message says why."""


@dataclass(frozen=True)
class Entry:
    """One item of a feed, its HTML already reduced to text blocks."""

    title: str
    blocks: tuple[str, ...]
    guid: str | None = None
    link: str | None = None
    full: bool = False  # True when the text came from a full-content element
    published: datetime | None = None
    author: str | None = None
    image: str | None = None
    image_size: ImageSize | None = None  # its width and height, when the feed gives them
    categories: tuple[str, ...] = ()  # its <category>s or tags: often the section's name
    publisher: str | None = None  # an aggregator's <source>: the outlet that ran it


@dataclass(frozen=True)
class Feed:
    title: str | None
    entries: tuple[Entry, ...]
    warning: str | None = None  # something wrong that did not stop the reading
    link: str | None = None  # the site the feed is of


def parse_feed(body: bytes, content_type: str = "", charset: str | None = None) -> Feed:
    """The entries of an RSS, Atom or JSON feed; raises FeedError when it is none of them."""
    if not body.strip():
        raise FeedError("empty response")
    if content_type in JSON_TYPES or body.lstrip()[:1] == b"{":
        return _parse_json_feed(body)
    if _ENTITY_DECLARATION.search(body[:65536]):
        # Feeds have no use for them; an "entity bomb" needs them. feedparser's fallback
        # parser would keep the unexpanded references as text, so refuse the document.
        raise FeedError("declares XML entities (refused: a possible entity expansion attack)")
    header = content_type or "application/xml"
    if charset:
        header += f"; charset={charset}"
    parsed = feedparser.parse(body, response_headers={"content-type": header})
    problem = parsed.get("bozo_exception") if parsed.bozo else None
    if isinstance(problem, feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType):
        problem = None  # a wrong or missing charset or type; feedparser coped
    if not parsed.entries and (problem is not None or not parsed.version):
        if problem is not None:
            raise FeedError(f"not a well-formed feed: {_one_line(str(problem))}")
        raise FeedError("not an RSS, Atom or JSON feed")
    entries = tuple(_entry(e) for e in parsed.entries)
    warning = None
    if problem is not None:
        warning = f"malformed XML, read leniently: {_one_line(str(problem))}"
    return Feed(
        _clean_line(parsed.feed.get("title")),
        entries,
        warning,
        _clean_line(parsed.feed.get("link")),
    )


_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)


def _entry(e: Any) -> Entry:
    content = e.get("content") or []
    html = "\n".join(part.get("value", "") for part in content)
    full = bool(html.strip())
    if not full:
        html = e.get("summary", "") or ""
    image, image_size = _image(e)
    return Entry(
        title=_clean_line(e.get("title")) or "",
        blocks=tuple(html_blocks(html)),
        guid=_clean_line(e.get("id")),
        link=_clean_line(e.get("link")),
        full=full,
        published=_struct_time(e.get("published_parsed") or e.get("updated_parsed")),
        author=_clean_line(e.get("author")),
        image=image,
        image_size=image_size,
        categories=_names(t.get("label") or t.get("term") for t in e.get("tags") or ()),
        publisher=_clean_line((e.get("source") or {}).get("title")),
    )


def _names(values: Iterable[Any]) -> tuple[str, ...]:
    """The distinct one-line strings among ``values``."""
    return tuple(dict.fromkeys(n for n in map(_clean_line, values) if n))


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (ValueError, OverflowError, OSError, TypeError):
        return None  # feedparser turns "0000-00-00" into year -1


def _image(e: Any) -> tuple[str | None, ImageSize | None]:
    """The entry's image and, when its media element says, its size (enclosures never do)."""
    for media in (*e.get("media_content", []), *e.get("media_thumbnail", [])):
        if media.get("url") and media.get("medium", "image") == "image":
            return media["url"], declared_size(media.get("width"), media.get("height"))
    for link in e.get("links", []):
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/"):
            size = declared_size(link.get("width"), link.get("height"))
            return link.get("href"), size if link.get("href") else None
    return None, None


def _parse_json_feed(body: bytes) -> Feed:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FeedError("JSON Feed is not UTF-8") from exc
    except RecursionError as exc:
        raise FeedError("JSON nested too deeply") from exc
    except json.JSONDecodeError as exc:
        raise FeedError(f"not well-formed JSON: {exc}") from exc
    version = data.get("version", "") if isinstance(data, dict) else ""
    if not isinstance(version, str) or "jsonfeed.org/version/" not in version:
        raise FeedError("JSON but not a JSON Feed (no jsonfeed.org version)")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError("JSON Feed without an items list")
    entries = tuple(e for e in (_json_entry(item) for item in items) if e is not None)
    return Feed(
        title=_clean_line(_str(data.get("title"))),
        entries=entries,
        link=_clean_line(_str(data.get("home_page_url"))),
    )


def _json_entry(item: Any) -> Entry | None:
    if not isinstance(item, dict):
        return None
    html = _str(item.get("content_html"))
    text = _str(item.get("content_text"))
    if html:
        blocks, full = html_blocks(html), True
    elif text:
        blocks, full = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()], True
    else:
        blocks, full = html_blocks(_str(item.get("summary")) or ""), False
    # Field types are checked, not trusted: a feed is anyone's JSON.
    authors = item.get("authors")
    if not isinstance(authors, list) or not authors:
        authors = [item.get("author")]  # JSON Feed 1.0 had one author object
    names = [_str(a.get("name")) for a in authors if isinstance(a, dict)]
    published = _str(item.get("date_published")) or _str(item.get("date_modified"))
    guid = item.get("id")
    return Entry(
        title=_clean_line(_str(item.get("title"))) or "",
        blocks=tuple(blocks),
        guid=_clean_line(str(guid)) if isinstance(guid, str | int) else None,
        link=_clean_line(_str(item.get("url")) or _str(item.get("external_url"))),
        full=full,
        published=parse_datetime(published),
        author=", ".join(n for n in names if n) or None,
        image=_str(item.get("image")) or _str(item.get("banner_image")),
        categories=_names(tags if isinstance(tags := item.get("tags"), list) else ()),
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _clean_line(value: Any) -> str | None:
    """One line of text: feed titles may carry CR/LF and runs of spaces."""
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def _one_line(text: str) -> str:
    return " ".join(text.split())


_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figure footer h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table td th tr ul".split()
)
_SKIP_TAGS = frozenset("script style noscript figcaption form button iframe svg template".split())


class _Blocks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.skipping = 0

    def _flush(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.blocks.append(text)
        self.current = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in _SKIP_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.current.append(data)


def html_blocks(html: str) -> list[str]:
    """The text of an HTML fragment, one block per paragraph-like element."""
    if "<" not in html:
        text = unescape(html)
        return [" ".join(b.split()) for b in re.split(r"\n\s*\n", text) if b.strip()]
    parser = _Blocks()
    try:
        parser.feed(html)
        parser.close()
    except AssertionError:
        # html.parser gives up on some malformed "<!" declarations (``<![foo[ x ]]>``).
        # Browsers read them as comments up to the next ">": drop them and read again.
        parser = _Blocks()
        parser.feed(_DECLARATION.sub(" ", html))
        parser.close()
    parser._flush()
    return parser.blocks


_DECLARATION = re.compile(r"<!(?!--)[^>]*>?")
