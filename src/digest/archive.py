"""The archive of past issues: one page per issue, an index, an Atom feed (pure functions).

The archive knows its issues from a small manifest, ``web/issues.json``, written with
every issue; ``digest.outputs`` reads it and writes the files these functions return.
An issue's page is named by its *slug*, ``YYYY-MM-DD-xxxxxxxx``: its date and a hash of
its stories. The slug cannot be the issue's id: the id hashes the email, and the email
holds the page's address.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urljoin
from xml.etree import ElementTree as ET

from digest.models import Brief, Issue
from digest.urls import web_url

INDEX = "index.html"
FEED = "feed.xml"
MANIFEST = "issues.json"
FEED_ENTRIES = 50  # the newest issues in the feed; the index lists them all
ATOM = "http://www.w3.org/2005/Atom"
_NAV = re.compile(r'(<nav class="archive-nav"[^>]*>).*?(</nav>)', re.S)
# What issue_slug makes, and all a slug read back may be: it names a file in web/.
SLUG = re.compile(r"\d{4}-\d{2}-\d{2}-[0-9a-f]{8}")


@dataclass(frozen=True)
class Headline:
    text: str
    url: str | None = None


@dataclass(frozen=True)
class Entry:
    """One issue in the archive, as the manifest keeps it."""

    slug: str
    id: str  # the issue's id: a rebuild with the same id changes nothing
    date: date
    title: str
    subject: str
    headlines: tuple[Headline, ...]
    published: datetime  # when the issue was first written
    updated: datetime  # when its page last changed
    url: str | None = None  # the page's public address, from web_url

    @property
    def page(self) -> str:
        return page_name(self.slug)

    @property
    def href(self) -> str:
        """The page's address: absolute when ``web_url`` says where the archive lives."""
        return urljoin(self.url, self.page) if self.url else self.page


def issue_slug(day: date, briefs: Sequence[Brief]) -> str:
    """``YYYY-MM-DD-xxxxxxxx``: the date, then a hash of the stories (the same stories,
    the same page)."""
    stories = [[b.headline, b.url, list(b.sentences)] for b in briefs]
    digest = hashlib.sha256(json.dumps(stories, ensure_ascii=False).encode("utf-8")).hexdigest()
    return f"{day.isoformat()}-{digest[:8]}"


def page_name(slug: str) -> str:
    return f"{slug}.html"


def issue_url(template: str | None, day: date, briefs: Sequence[Brief]) -> str | None:
    """The configured ``web_url`` for one issue: ``{slug}`` is its own page, ``{date}`` the
    date (whose page shows that day's latest issue)."""
    if not template:
        return None
    return template.replace("{slug}", issue_slug(day, briefs)).replace("{date}", day.isoformat())


def entry_of(issue: Issue, slug: str, now: datetime) -> Entry:
    """The archive entry for a built issue (``issue.digest`` must be set)."""
    digest = issue.digest
    briefs = digest.briefs if digest else ()
    return Entry(
        slug=slug,
        id=issue.id,
        date=issue.date,
        title=issue.title,
        subject=issue.subject,
        headlines=tuple(Headline(b.headline, web_url(b.url)) for b in briefs),
        published=now,
        updated=now,
        url=digest.web_url if digest else None,
    )


def add_entry(entries: Iterable[Entry], entry: Entry) -> list[Entry]:
    """``entries`` with ``entry`` in, oldest first; an entry of the same slug is replaced,
    keeping when it was first written (and when it changed, if the issue is the same)."""
    kept: list[Entry] = []
    for old in entries:
        if old.slug == entry.slug:
            updated = old.updated if old.id == entry.id else entry.updated
            entry = replace(entry, published=old.published, updated=updated)
        else:
            kept.append(old)
    return sorted([*kept, entry], key=lambda e: (e.date, e.published, e.slug))


def neighbours(entries: Sequence[Entry], slug: str) -> tuple[Entry | None, Entry | None]:
    """The issues before and after ``slug`` in ``entries`` (oldest first)."""
    slugs = [e.slug for e in entries]
    i = slugs.index(slug)
    return (entries[i - 1] if i > 0 else None), (entries[i + 1] if i + 1 < len(entries) else None)


def set_navigation(page: str, previous: Entry | None, following: Entry | None) -> str:
    """``page`` with its previous/next links (in ``<nav class="archive-nav">``) filled in."""
    links = []
    if previous:
        links.append(_link(previous.page, "prev", "← Previous issue", previous))
    links.append(_link(INDEX, "index", "All issues"))
    if following:
        links.append(_link(following.page, "next", "Next issue →", following))
    inner = " · ".join(links)
    return _NAV.sub(lambda m: m.group(1) + inner + m.group(2), page)


def _link(href: str, rel: str, label: str, entry: Entry | None = None) -> str:
    style = "color:inherit;text-decoration:underline"
    title = f' title="{html.escape(entry.subject)}"' if entry else ""
    return (
        f'<a href="{html.escape(href)}" rel="{rel}"{title} style="{style}">{html.escape(label)}</a>'
    )


def redirect_page(target: str, title: str, lang: str = "en") -> str:
    """A page that sends the browser on to ``target`` (the day's address, for ``{date}``)."""
    href, text = html.escape(target), html.escape(title)
    return (
        f'<!doctype html>\n<html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0; url={href}">'
        f'<link rel="canonical" href="{href}"><title>{text}</title></head>\n'
        f'<body><main><h1><a href="{href}">{text}</a></h1></main></body></html>\n'
    )


def atom_feed(entries: Sequence[Entry]) -> str:
    """The Atom feed of the newest issues; links are absolute when ``web_url`` is set."""
    newest = sorted(entries, key=lambda e: (e.date, e.published, e.slug), reverse=True)
    title = newest[0].title if newest else "Digest"
    base = next((e.url for e in newest if e.url), None)
    feed = ET.Element("feed", xmlns=ATOM)
    ET.SubElement(feed, "title").text = title
    ET.SubElement(feed, "id").text = uuid.uuid5(uuid.NAMESPACE_URL, f"digest:{title}").urn
    ET.SubElement(feed, "updated").text = _stamp(max((e.updated for e in newest), default=None))
    ET.SubElement(feed, "link", rel="self", href=urljoin(base, FEED) if base else FEED)
    ET.SubElement(
        feed,
        "link",
        rel="alternate",
        type="text/html",
        href=urljoin(base, INDEX) if base else INDEX,
    )
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = title
    for entry in newest[:FEED_ENTRIES]:
        item = ET.SubElement(feed, "entry")
        ET.SubElement(item, "title").text = entry.subject
        ET.SubElement(item, "id").text = uuid.uuid5(uuid.NAMESPACE_URL, f"digest:{entry.slug}").urn
        ET.SubElement(item, "published").text = _stamp(entry.published)
        ET.SubElement(item, "updated").text = _stamp(entry.updated)
        ET.SubElement(item, "link", rel="alternate", type="text/html", href=entry.href)
        ET.SubElement(item, "summary").text = " · ".join(h.text for h in entry.headlines)
        ET.SubElement(item, "content", type="html").text = _headline_list(entry.headlines)
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, "unicode") + "\n"


def _headline_list(headlines: Sequence[Headline]) -> str:
    items = (
        f'<li><a href="{html.escape(h.url)}">{html.escape(h.text)}</a></li>'
        if h.url
        else f"<li>{html.escape(h.text)}</li>"
        for h in headlines
    )
    return "<ul>" + "".join(items) + "</ul>"


def _stamp(moment: datetime | None) -> str:
    return (moment or datetime(1970, 1, 1)).isoformat(timespec="seconds").replace("+00:00", "Z")


def dump_manifest(entries: Sequence[Entry]) -> str:
    """``issues.json``: every issue in the archive, oldest first."""
    rows = [
        {
            "slug": e.slug,
            "id": e.id,
            "date": e.date.isoformat(),
            "title": e.title,
            "subject": e.subject,
            "headlines": [{"text": h.text, "url": h.url} for h in e.headlines],
            "published": e.published.isoformat(),
            "updated": e.updated.isoformat(),
            "url": e.url,
        }
        for e in entries
    ]
    return json.dumps({"issues": rows}, ensure_ascii=False, indent=1) + "\n"


def load_manifest(text: str) -> list[Entry]:
    """The entries of an ``issues.json``; ValueError when it is not one."""
    try:
        rows: list[dict[str, Any]] = json.loads(text)["issues"]
        entries = [
            Entry(
                slug=str(row["slug"]),
                id=str(row["id"]),
                date=date.fromisoformat(row["date"]),
                title=str(row["title"]),
                subject=str(row["subject"]),
                # A manifest written before links were checked may hold a script link.
                headlines=tuple(
                    Headline(str(h["text"]), web_url(h.get("url"))) for h in row["headlines"]
                ),
                published=datetime.fromisoformat(row["published"]),
                updated=datetime.fromisoformat(row["updated"]),
                url=row.get("url"),
            )
            for row in rows
        ]
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from exc
    for entry in entries:
        # A slug becomes a file name: one edited to "../../x" would write outside web/.
        if not SLUG.fullmatch(entry.slug):
            raise ValueError(f"slug {entry.slug!r} is not YYYY-MM-DD-xxxxxxxx")
    return sorted(entries, key=lambda e: (e.date, e.published, e.slug))
