"""Plain data passed between the stages."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

WORDS_PER_MINUTE = 230

# An image's intrinsic (width, height) in pixels, as its page or feed declared it.
ImageSize = tuple[int, int]


class ItemStatus(StrEnum):
    """What the store knows of a feed item or local file."""

    NEW = "new"  # seen, not yet in a sent issue
    USED = "used"  # went out in an issue
    SKIPPED = "skipped"  # never to be shown (a new feed's back catalogue)


class RunStatus(StrEnum):
    OK = "ok"
    EMPTY = "empty"
    FAILED = "failed"


class LedgerSync(StrEnum):
    """How hard the send ledger holds each mark (SQLite's ``synchronous``): NORMAL
    survives the process dying, FULL a power cut too."""

    NORMAL = "normal"
    FULL = "full"


class DeliveryStatus(StrEnum):
    """One recipient's row in the send ledger."""

    PENDING = "pending"
    SENDING = "sending"  # the end of the data may have reached the server
    SENT = "sent"
    FAILED = "failed"


class OutcomeStatus(StrEnum):
    """What one attempt to deliver to one recipient came to."""

    SENT = "sent"
    FAILED = "failed"  # refused for good (5xx): not tried again for this issue
    DEFERRED = "deferred"  # temporary failures: tried again by the next run


@dataclass(frozen=True)
class Article:
    """One article after ingest: clean text and what is known about it.

    ``text`` holds paragraphs separated by blank lines; ``origin`` says where the
    article came from (a path or URL) for messages to the user.
    """

    title: str
    text: str
    origin: str
    url: str | None = None
    source: str | None = None
    published: datetime | None = None
    author: str | None = None
    image: str | None = None
    image_size: ImageSize | None = None  # declared by the page or feed; never fetched
    section: str | None = None  # the section its source is listed under, if any
    sources: tuple[str, ...] = ()  # every outlet that ran the story, when merged from several
    ids: tuple[str, ...] = ()  # the state store's keys of the items it stands for
    feed: str | None = None  # the feed or page source it came from (web items)


@dataclass(frozen=True)
class Brief:
    """An article reduced to a headline and a few of its own sentences."""

    title: str
    headline: str
    sentences: tuple[str, ...]
    url: str | None = None
    source: str | None = None
    published: datetime | None = None
    image: str | None = None
    image_size: ImageSize | None = None  # the size of ``image``: declared, or read from it
    section: str | None = None
    words: int | None = None  # the article's length, for the reading time
    sources: tuple[str, ...] = ()  # every outlet that carried the story, when more than one
    links: tuple[tuple[str, str], ...] = ()  # (outlet, its article's URL), several outlets
    key: str | None = None  # the story's key, when it was made from a story
    update: bool = False  # a story sent in an earlier issue, back with new reports
    lang: str | None = None  # the HTML lang code of the language it is written in

    @property
    def reading_minutes(self) -> int | None:
        """Minutes to read the whole article, at 230 words a minute; None when unknown."""
        if not self.words:
            return None
        return max(1, -(-self.words // WORDS_PER_MINUTE))

    @property
    def source_names(self) -> tuple[str, ...]:
        """The outlets to credit: ``sources`` if set, else ``source``."""
        names = self.sources or ((self.source,) if self.source else ())
        return tuple(dict.fromkeys(names))

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "headline": self.headline,
            "sentences": list(self.sentences),
            "url": self.url,
            "source": self.source,
            "published": self.published.isoformat() if self.published else None,
        }


@dataclass(frozen=True)
class Digest:
    """One issue of the newsletter."""

    title: str
    date: date
    briefs: tuple[Brief, ...]
    intro: str | None = None
    sections: tuple[str, ...] = ()  # the order of the named sections
    web_url: str | None = None  # where this issue's web version is published
    unsubscribe_url: str | None = None
    sender: str | None = None
    postal_address: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "date": self.date.isoformat(),
            "intro": self.intro,
            "web_url": self.web_url,
            "items": [_item(brief) for brief in self.briefs],
        }


def _item(brief: Brief) -> dict[str, Any]:
    """A brief as a digest item: the brief's own keys, then what the digest adds."""
    return {
        **brief.to_dict(),
        "section": brief.section,
        "sources": list(brief.source_names),
        "image": brief.image,
        "image_size": _size(brief.image_size),
        "reading_minutes": brief.reading_minutes,
        "links": [{"source": name, "url": url} for name, url in brief.links],
        "story": brief.key,
        "update": brief.update,
    }


def _size(size: ImageSize | None) -> dict[str, int] | None:
    return {"width": size[0], "height": size[1]} if size else None


@dataclass(frozen=True)
class RenderedEmail:
    """The digest as an email body: subject, HTML part and plain-text part."""

    subject: str
    html: str
    text: str
    web_html: str | None = None  # the web version: the HTML without the "view in browser" link


@dataclass(frozen=True)
class Problem:
    """Something that went wrong with one input; the run goes on without it."""

    origin: str
    message: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.message}"


@dataclass(frozen=True)
class IngestResult:
    articles: tuple[Article, ...] = ()
    problems: tuple[Problem, ...] = field(default=())
    # (source, rule, items it removed) for each filter rule that removed any
    filtered: tuple[tuple[str, str, int], ...] = ()


@dataclass(frozen=True)
class ItemRecord:
    """What the store remembers of an item: when it was first seen, and its status."""

    first_seen: datetime
    status: ItemStatus


@dataclass(frozen=True)
class Item:
    """A feed item or local file as the store remembers it, by its identity ``id``."""

    id: str
    feed: str  # the feed, page or directory it came from
    url: str | None = None
    title: str = ""
    published: datetime | None = None


@dataclass(frozen=True)
class SentStory:
    """What the store remembers of a story that went out, to know it again later."""

    key: str
    headline: str
    text: str  # its brief's sentences
    published: datetime | None = None


@dataclass(frozen=True)
class Envelope:
    """The headers every copy of an issue shares, fixed when the issue is made: a resumed
    send carries the very envelope the first copies had, whatever the configuration
    says by then. (The secret of the ``{token}``s is not kept: it is a credential.)"""

    sender: str | None  # From; None when built without DIGEST_FROM: not sendable
    list_id: str | None = None  # None: the title's slug at the sender's domain
    unsubscribe_url: str | None = None  # as the HTML holds it, {email} and {token} too
    unsubscribe_mailto: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "sender": self.sender,
            "list_id": self.list_id,
            "unsubscribe_url": self.unsubscribe_url,
            "unsubscribe_mailto": self.unsubscribe_mailto,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Envelope:
        """The envelope ``to_dict`` wrote; ValueError when ``data`` is not one."""
        if not isinstance(data, dict):
            raise ValueError(f"an envelope is a JSON object, not {data!r}")
        values = {f.name: data.get(f.name) for f in fields(cls)}
        if not all(value is None or isinstance(value, str) for value in values.values()):
            raise ValueError(f"an envelope holds strings or nulls: {data!r}")
        return cls(**values)


@dataclass(frozen=True)
class Finding:
    """One failed check: which check and what is wrong, in a line.

    ``ref`` is the link, image address or headline the finding is about, when it is
    about one: what ``blame`` looks for in the stories.
    """

    check: str
    message: str
    ref: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.check}: {self.message}"


@dataclass(frozen=True)
class Issue:
    """One issue of the newsletter, built and ready to send: the one artifact between
    building and sending. ``out/`` and the store keep it whole, its envelope included;
    sending never re-derives any of it from the configuration.

    ``id`` is a hash of the content, so the same build always has the same id and a
    resumed send carries on with the very issue that was interrupted.
    """

    id: str
    title: str
    date: date
    subject: str
    html: str = field(repr=False)
    text: str = field(repr=False)
    stories: int = 0
    web_html: str | None = field(default=None, repr=False)
    digest: Digest | None = field(default=None, repr=False)  # None when loaded for sending
    items: tuple[Item, ...] = ()  # what it uses: marked used when it is sent
    dropped: tuple[Problem, ...] = ()  # stories left out by a per-story check, and why
    sent_stories: tuple[SentStory, ...] = ()  # its stories, remembered when it is sent
    # None only for an issue an older digest wrote: sending takes its envelope from the
    # configuration then, as that digest did.
    envelope: Envelope | None = None
    # What the checks found when it was built: any finding stops it from going out. (Not
    # kept in out/ or the store: an issue loaded from files is checked as it is found.)
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Response:
    """A successful fetch; ``not_modified`` means a 304 and an empty ``body``."""

    url: str  # as requested
    final_url: str  # after redirects
    status: int
    body: bytes = b""
    content_type: str = ""  # media type, lower case, without parameters
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class RunRecord:
    """Everything one build learned; written in one transaction."""

    started: datetime
    finished: datetime
    status: RunStatus
    seen: tuple[Item, ...] = ()
    used: tuple[Item, ...] = ()  # the items that went into the issue
    stories: tuple[SentStory, ...] = ()  # its stories, to know them again
    skipped: tuple[str, ...] = ()  # item ids never to show (a new feed's back catalogue)
    feeds_ok: tuple[str, ...] = ()  # sources fetched and read without error
    feeds_failed: tuple[tuple[str, str], ...] = ()  # (source, why) for those that failed
    responses: tuple[Response, ...] = ()  # feeds' responses, for conditional GETs
    problems: int = 0
    issue: Issue | None = None  # the issue built to be sent, kept with what it used
    # Items of ``feeds_ok`` last listed before this are forgotten (see ``record_run``).
    forget_before: datetime | None = None
    read: tuple[str, ...] = ()  # every source read (directories too): its counts below
    filtered: tuple[tuple[str, str, int], ...] = ()  # (source, rule, items it removed)


@dataclass(frozen=True)
class Story:
    """Articles from one or more outlets about one event; wire copies are already one article.

    ``articles`` come most representative first (the one closest to all the others).
    ``key`` is a hash of the members' identities, so the same articles make the same key
    in every run; ``ids`` lets a later run find a story it has sent by overlap.
    """

    key: str
    articles: tuple[Article, ...]

    @property
    def published(self) -> datetime | None:
        """The newest member's date; None when no member is dated."""
        dates = [a.published for a in self.articles if a.published]
        return max(dates, key=as_utc) if dates else None

    @property
    def sources(self) -> tuple[str, ...]:
        """Every outlet that ran the story, wire copies included, in the members' order."""
        names = (n for a in self.articles for n in (a.sources or ((a.source,) if a.source else ())))
        return tuple(dict.fromkeys(names))

    @property
    def outlets(self) -> int:
        """How many independent outlets cover it: wire copies count once, so do repeats."""
        return len({a.source or (a.sources[0] if a.sources else a.origin) for a in self.articles})

    @property
    def ids(self) -> tuple[str, ...]:
        """The identities of every member and wire copy (store keys, else URL or origin)."""
        return tuple(dict.fromkeys(i for a in self.articles for i in article_identities(a)))


def article_identities(article: Article) -> tuple[str, ...]:
    """What names ``article`` across runs: its store keys, else its URL, else its origin."""
    return article.ids or (article.url or article.origin,)


def as_utc(moment: datetime) -> datetime:
    """A naive date is taken as UTC, so naive and aware dates compare."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_datetime(value: Any) -> datetime | None:
    """A timezone-aware datetime from a front-matter or metadata value, or None.

    Dates without a time are taken as midnight, and times without a zone as UTC.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return as_utc(parsed)


def items_of(article: Article) -> tuple[Item, ...]:
    """The store's items an article stands for (several, when merged from several)."""
    feed = article.feed or article.origin
    return tuple(
        Item(key, feed, article.url, article.title, article.published) for key in article.ids
    )
