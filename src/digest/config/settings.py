"""The settings: one frozen dataclass a table of digest.toml, with their defaults and the keys
each table takes."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path

from digest.filters import NO_FILTERS, Filters
from digest.headers import NO_HEADERS, Headers
from digest.models import LedgerSync
from digest.urls import without_userinfo

DEFAULT_CONFIG = Path("digest.toml")
LANG_CODES = {
    "english": "en", "german": "de", "french": "fr", "spanish": "es", "italian": "it",
    "portuguese": "pt", "dutch": "nl", "czech": "cs", "slovak": "sk", "greek": "el",
    "hebrew": "he", "japanese": "ja", "chinese": "zh", "korean": "ko", "ukrainian": "uk",
    "russian": "ru", "arabic": "ar", "swedish": "sv", "danish": "da", "norwegian": "no",
    "finnish": "fi", "polish": "pl", "hungarian": "hu", "romanian": "ro", "turkish": "tr",
}  # fmt: skip


ALGORITHMS = ("digest", "lexrank", "lsa", "textrank", "luhn", "sumbasic", "kl")


SOURCE_KINDS = ("path", "feed", "page", "opml")


DEFAULT_STATE_DIR = Path(".digest-state")


SECURITY_MODES = ("starttls", "ssl", "none")


DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


DEFAULT_SUBJECT = "{title} · {date}"


SUBJECT_FIELDS = {"title": "", "date": "", "iso_date": "", "count": 0}


@dataclass(frozen=True)
class SendConfig:
    """How to deliver: the SMTP server and login (from the environment), the sender and
    recipients, and the pace of sending ([send] in digest.toml)."""

    host: str | None = None
    port: int | None = None  # None: the usual port for ``security``
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never shown, never logged
    security: str = "starttls"  # starttls, ssl (implicit TLS) or none
    sender: str | None = None  # DIGEST_FROM, e.g. "The Weekly <news@example.org>"
    to: tuple[str, ...] = ()  # DIGEST_TO, comma-separated
    recipients_file: Path | None = None  # DIGEST_RECIPIENTS_FILE, one address a line
    unsubscribe_mailto: str | None = None  # DIGEST_UNSUBSCRIBE_MAILTO
    subject: str = DEFAULT_SUBJECT  # placeholders: {title} {date} {iso_date} {count}
    list_id: str | None = None  # the List-Id's dot-atom; default: title slug + sender domain
    rate: float = 10.0  # messages per second at most, all connections together; 0: no limit
    connections: int = 4  # SMTP sessions sending in parallel, each in its own thread
    ledger_sync: LedgerSync = LedgerSync.NORMAL  # FULL: a "sent" survives a power cut too
    unsubscribe_secret: str | None = field(default=None, repr=False)  # the key of {token}s
    # SMTP_ALLOW_CLEARTEXT_LOGIN: log in over a plain connection (security "none") to a
    # server that is not on this machine; off, such a login is a configuration error.
    allow_cleartext_login: bool = False
    attempts: int = 4  # tries per recipient and run for temporary failures
    retry_delay: float = 2.0  # seconds before the first retry; doubles each time
    timeout: float = 60.0  # seconds to wait for the server on each step
    # DKIM (DIGEST_DKIM_SELECTOR, DIGEST_DKIM_DOMAIN, DIGEST_DKIM_KEY_FILE): each copy is
    # signed when a key file is set; the domain defaults to DIGEST_FROM's.
    dkim_selector: str | None = None
    dkim_domain: str | None = None
    dkim_key_file: Path | None = None
    # [send] bounce_address: the envelope sender (MAIL FROM, the Return-Path that bounces
    # go to); default: DIGEST_FROM's address. [send] verp: each reader's own, made of it:
    # local+TOKEN@domain, TOKEN = unsubscribe_token(DIGEST_UNSUBSCRIBE_SECRET, reader).
    bounce_address: str | None = None
    verp: bool = False

    @property
    def smtp_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.security]


RANKINGS = ("coverage", "newest")


@dataclass(frozen=True)
class StoriesConfig:
    """How articles become stories and in what order they are read ([stories])."""

    threshold: float = 0.15  # least mean similarity of two groups that become one story
    window_hours: float = 36.0  # reports further apart must be ever more alike
    rank: str = "coverage"  # or "newest": newest first, as before stories
    half_life_hours: float = 24.0  # "coverage": a story's weight halves with this age
    remember_days: float = 7.0  # a sent story that new reports join comes back as an update


@dataclass(frozen=True)
class Workers:
    """Where pages are extracted: ``count`` processes on this machine, or a Dask cluster."""

    count: int | None = None  # [digest] workers or DIGEST_WORKERS; None: the machine's cores
    # [digest] dask_scheduler or DIGEST_DASK_SCHEDULER, e.g. "tcp://10.0.0.5:8786"
    dask_scheduler: str | None = None


ALL_CORES = Workers()


@dataclass(frozen=True)
class Source:
    """A place articles come from: a local directory, a feed URL, a page URL or an OPML file.

    Exactly one of ``path``, ``feed``, ``page`` and ``opml`` is set.
    """

    path: Path | None = None
    name: str | None = None
    feed: str | None = None
    page: str | None = None
    opml: Path | str | None = None  # a file, or an http(s) URL
    section: str | None = None
    # include and exclude rules: its own after [filters]' (see digest.filters)
    filters: Filters = NO_FILTERS
    max_items: int | None = None  # at most this many items, newest first
    headers: Headers = NO_HEADERS  # sent with its requests: [headers]', its own in their place

    @property
    def location(self) -> str:
        """Where the source is, for messages and the state store: never with a password."""
        url = self.feed or self.page or (self.opml if isinstance(self.opml, str) else None)
        return without_userinfo(url) if url else str(self.path or self.opml)


@dataclass(frozen=True)
class Config:
    title: str = "Digest"
    intro: str | None = None
    language: str = "english"
    sentences: int = 3
    max_items: int = 20
    algorithm: str = "digest"
    out_dir: Path = Path("out")
    templates_dir: Path | None = None
    # The web version's address: "{slug}" becomes the issue's own page name, YYYY-MM-DD-xxxxxxxx;
    # "{date}" becomes YYYY-MM-DD (that day's page shows its latest issue).
    web_url: str | None = None
    unsubscribe_url: str | None = None
    sender_name: str | None = None
    postal_address: str | None = None
    sections: tuple[str, ...] = ()  # the order of sections in the email
    sources: tuple[Source, ...] = field(default=(Source(Path("content")),))
    filters: Filters = NO_FILTERS  # [filters]: for every source (each source has them too)
    path: Path | None = None  # the file this came from, if any
    state_dir: Path = DEFAULT_STATE_DIR  # the state store: items seen and used, runs
    # How far back a build looks: "48h" or "7d" in the file; None is "since-last-run".
    window: timedelta | None = None
    new_feed_items: int = 5  # a feed seen for the first time gives at most this many
    max_new_items: int = 100  # any source gives at most this many new items a run
    # Fetch from non-public addresses beyond the configured URLs' own: items' pages, an
    # OPML URL's feeds, redirects elsewhere (see digest.ingest.fetch.Request.trusted).
    fetch_private: bool = False
    reading_time: bool = False  # show "N min read" under each story
    workers: Workers = field(default_factory=Workers)  # where pages are extracted
    send: SendConfig = field(default_factory=SendConfig)  # delivery: [send] and SMTP_* env
    stories: StoriesConfig = field(default_factory=StoriesConfig)  # [stories]
    headers: Headers = NO_HEADERS  # [headers]: sent with every fetch (each source has them too)
    # Pinged after each `digest run`: URL on success, URL/<exit code> on failure
    # (healthchecks.io's convention); DIGEST_HEARTBEAT_URL wins.
    heartbeat_url: str | None = None


# Every key each table of digest.toml takes (the documentation is tested against these).
TABLES = frozenset({"digest", "sources", "send", "stories", "filters", "headers"})


DIGEST_KEYS = frozenset(
    {f.name for f in fields(Config)} - {"sources", "path", "send", "stories", "filters", "headers"}
    | {"dask_scheduler"}
)


SOURCE_KEYS = frozenset(
    {*SOURCE_KINDS, "name", "section", "include", "exclude", "max_items", "headers"}
)


FILTER_KEYS = frozenset({"include", "exclude"})


SEND_KEYS = frozenset(
    {"subject", "list_id", "rate", "connections", "attempts", "retry_delay", "timeout"}
    | {"ledger_sync", "bounce_address", "verp"}
)


STORIES_KEYS = frozenset(f.name for f in fields(StoriesConfig))


def html_lang(language: str) -> str:
    """The HTML ``lang`` code for a sumy language name; English when unknown."""
    return LANG_CODES.get(language.lower(), "en")
