"""Configuration: digest settings and sources from TOML, secrets from the environment.

Settings live in a TOML file (``digest.toml`` in the working directory, or the file
``--config`` or ``DIGEST_CONFIG`` names); relative paths in it are relative to the file.
Secrets come from the environment, where ``.env`` files fill in whatever it does not
set: first the ``.env`` beside the configuration file, then the one in the working
directory. ``apply_environment`` puts those values into the process environment, so
that what reads it directly (``SSL_CERT_FILE`` for TLS) sees them too.
"""

from __future__ import annotations

import difflib
import ipaddress
import logging
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from digest.errors import ConfigError
from digest.filters import NO_FILTERS, Filters, Rule, RuleError, make_filters, parse_rule
from digest.headers import NO_HEADERS, Headers, merge_headers, parse_headers
from digest.models import LedgerSync
from digest.private import warn_if_readable
from digest.text import HEADER_CONTROL, decoded_header
from digest.unsubscribe import check_secret, check_template
from digest.urls import LINK_PREFIXES, without_userinfo

log = logging.getLogger(__name__)

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
WINDOW = re.compile(r"^\s*(\d+)\s*([hd])\s*$")
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


def load_environment(config: Path | None = None) -> dict[str, str]:
    """The process environment over the .env beside the configuration file (``config``,
    or the one ``DIGEST_CONFIG`` names, or ./digest.toml) over ./.env; nothing is modified.
    """
    here = _read_dotenv(Path(".env"))
    path = _config_path(config, {**here, **os.environ})
    values = {**here, **(_read_dotenv(path.parent / ".env") if path else {})}
    values.update(os.environ)
    return values


def apply_environment(config: Path | None = None) -> None:
    """Set each value of the .env files (see ``load_environment``) that the process
    environment does not have, as python-dotenv's ``load_dotenv`` does."""
    for key, value in load_environment(config).items():
        os.environ.setdefault(key, value)


def _read_dotenv(path: Path) -> dict[str, str]:
    try:
        values = {k: v for k, v in dotenv_values(path).items() if v is not None}
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte offset {exc.start})") from exc
    if held := [key for key in _SECRETS if values.get(key)]:
        warn_if_readable(path, " and ".join(held))
    _check_env_keys(values, path)
    return values


_SECRETS = (
    "SMTP_PASSWORD",
    "DIGEST_UNSUBSCRIBE_SECRET",
    "DIGEST_HEARTBEAT_URL",
    "BOUNCE_IMAP_PASSWORD",
)
# Every variable digest reads; a .env's other DIGEST_*, SMTP_* and BOUNCE_* names are likely
# typos.
ENV_KEYS = frozenset(
    {
        "DIGEST_CONFIG",
        "DIGEST_STATE_DIR",
        "DIGEST_WORKERS",
        "DIGEST_DASK_SCHEDULER",
        "DIGEST_FROM",
        "DIGEST_TO",
        "DIGEST_RECIPIENTS_FILE",
        "DIGEST_UNSUBSCRIBE_URL",
        "DIGEST_UNSUBSCRIBE_MAILTO",
        "DIGEST_UNSUBSCRIBE_SECRET",
        "DIGEST_HEARTBEAT_URL",
        "SMTP_HOST",
        "SMTP_PORT",
        "SMTP_USERNAME",
        "SMTP_PASSWORD",
        "SMTP_SECURITY",
        "SMTP_ALLOW_CLEARTEXT_LOGIN",
        "BOUNCE_IMAP_HOST",
        "BOUNCE_IMAP_PORT",
        "BOUNCE_IMAP_USERNAME",
        "BOUNCE_IMAP_PASSWORD",
        "BOUNCE_IMAP_SECURITY",
        "BOUNCE_IMAP_FOLDER",
        "BOUNCE_IMAP_DONE_FOLDER",
        "BOUNCE_SOFT_LIMIT",
        "BOUNCE_SOFT_DAYS",
        "DIGEST_DKIM_SELECTOR",
        "DIGEST_DKIM_DOMAIN",
        "DIGEST_DKIM_KEY_FILE",
    }
)
_warned_keys: set[tuple[Path, str]] = set()  # each once a process: .env is read more than once


def _check_env_keys(values: Mapping[str, str], path: Path) -> None:
    """Warn of a DIGEST_*, SMTP_* or BOUNCE_* variable in ``path`` that digest does not read."""
    for key in sorted(values):
        if not key.startswith(("DIGEST_", "SMTP_", "BOUNCE_")) or key in ENV_KEYS:
            continue
        seen = (path.resolve(), key)
        if seen not in _warned_keys:
            _warned_keys.add(seen)
            log.warning("%s: unknown variable %r (%s)", path, key, _did_you_mean(key, ENV_KEYS))


def _config_path(path: Path | None, env: Mapping[str, str]) -> Path | None:
    """The configuration file to read: ``path``, $DIGEST_CONFIG, ./digest.toml or none."""
    if path is None and env.get("DIGEST_CONFIG"):
        path = Path(env["DIGEST_CONFIG"])
    if path is None and DEFAULT_CONFIG.is_file():
        path = DEFAULT_CONFIG
    return path


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """The configuration from ``path``, ``$DIGEST_CONFIG``, ``./digest.toml`` or defaults."""
    env = load_environment(path) if env is None else env
    path = _config_path(path, env)
    if path is None:
        return _with_environment(Config(), env)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: configuration file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return _with_environment(parse_config(data, base=path.parent, origin=path), env)


def _with_environment(config: Config, env: Mapping[str, str]) -> Config:
    """Per-machine settings from the environment win over the file."""
    if env.get("DIGEST_STATE_DIR"):
        config = replace(config, state_dir=Path(env["DIGEST_STATE_DIR"]))
    if env.get("DIGEST_HEARTBEAT_URL", "").strip():
        url = env["DIGEST_HEARTBEAT_URL"].strip()
        _check_url("DIGEST_HEARTBEAT_URL", url, ("https://", "http://"))
        config = replace(config, heartbeat_url=url)
    if env.get("DIGEST_UNSUBSCRIBE_URL"):
        url = env["DIGEST_UNSUBSCRIBE_URL"].strip()
        _check_url("DIGEST_UNSUBSCRIBE_URL", url, LINK_PREFIXES)
        check_template(url, "DIGEST_UNSUBSCRIBE_URL")
        config = replace(config, unsubscribe_url=url)
    config = replace(
        config, send=_send_environment(config.send, env), workers=_workers(config.workers, env)
    )
    _check_unsubscribe(config)
    return config


def _window(text: str, where: str) -> timedelta | None:
    """``digest.window``: "since-last-run" (None) or a span such as "48h" or "7d"."""
    if text.strip() == "since-last-run":
        return None
    match = WINDOW.match(text)
    if not match:
        raise ConfigError(
            f'{where}: digest.window {text!r} must be "since-last-run" or hours or '
            'days such as "48h" or "7d"'
        )
    amount, unit = int(match[1]), match[2]
    return timedelta(hours=amount) if unit == "h" else timedelta(days=amount)


def _check_unsubscribe(config: Config) -> None:
    """A {token} needs a strong secret; an {email} alone lets anyone unsubscribe anyone."""
    url = config.unsubscribe_url
    if not url:
        return
    if "{token}" in url and config.send.unsubscribe_secret is not None:
        check_secret(url, config.send.unsubscribe_secret)
    if "{email}" in url and "{token}" not in url:
        log.warning(
            "the unsubscribe URL %s holds {email} but no {token}: anyone who knows an address "
            "can unsubscribe it; add &token={token} (and DIGEST_UNSUBSCRIBE_SECRET) and have "
            "the endpoint check it with digest.unsubscribe.verify_token",
            url,
        )


def _workers(workers: Workers, env: Mapping[str, str]) -> Workers:
    """DIGEST_WORKERS and DIGEST_DASK_SCHEDULER: how much this machine (or cluster) gives."""
    if env.get("DIGEST_WORKERS", "").strip():
        count = env["DIGEST_WORKERS"].strip()
        if not count.isdigit() or int(count) < 1:
            raise ConfigError(f"DIGEST_WORKERS must be a whole number of at least 1, not {count!r}")
        workers = replace(workers, count=int(count))
    if env.get("DIGEST_DASK_SCHEDULER", "").strip():
        address = env["DIGEST_DASK_SCHEDULER"].strip()
        workers = replace(workers, dask_scheduler=_scheduler(address, "DIGEST_DASK_SCHEDULER"))
    return workers


def _scheduler(address: str, where: str) -> str:
    """A Dask scheduler address such as tcp://host:8786 (a bare host:port means tcp)."""
    if not re.fullmatch(r"(\w+://)?[^\s/]+", address):
        raise ConfigError(
            f"{where} must be a Dask scheduler address such as tcp://10.0.0.5:8786, not {address!r}"
        )
    return address


def _send_environment(send: SendConfig, env: Mapping[str, str]) -> SendConfig:
    """The SMTP server, login, sender and recipients from the environment (or .env)."""
    values: dict[str, Any] = {}
    for name, key in (
        ("host", "SMTP_HOST"),
        ("username", "SMTP_USERNAME"),
        ("password", "SMTP_PASSWORD"),
        ("sender", "DIGEST_FROM"),
        ("unsubscribe_mailto", "DIGEST_UNSUBSCRIBE_MAILTO"),
        ("unsubscribe_secret", "DIGEST_UNSUBSCRIBE_SECRET"),
        ("dkim_selector", "DIGEST_DKIM_SELECTOR"),
        ("dkim_domain", "DIGEST_DKIM_DOMAIN"),
    ):
        if env.get(key, "").strip():
            secret = name in ("password", "unsubscribe_secret")
            values[name] = env[key] if secret else env[key].strip()
    if env.get("SMTP_PORT", "").strip():
        port = env["SMTP_PORT"].strip()
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"SMTP_PORT must be a port number (1-65535), not {port!r}")
        values["port"] = int(port)
    if env.get("SMTP_SECURITY", "").strip():
        security = env["SMTP_SECURITY"].strip().lower()
        if security not in SECURITY_MODES:
            raise ConfigError(
                f"SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, not {security!r}"
            )
        values["security"] = security
    if env.get("DIGEST_TO", "").strip():
        values["to"] = tuple(a.strip() for a in env["DIGEST_TO"].split(",") if a.strip())
    if env.get("DIGEST_RECIPIENTS_FILE", "").strip():
        values["recipients_file"] = Path(env["DIGEST_RECIPIENTS_FILE"].strip())
    if env.get("DIGEST_DKIM_KEY_FILE", "").strip():
        values["dkim_key_file"] = Path(env["DIGEST_DKIM_KEY_FILE"].strip())
    if env.get("SMTP_ALLOW_CLEARTEXT_LOGIN", "").strip():
        allow = env["SMTP_ALLOW_CLEARTEXT_LOGIN"].strip().lower()
        if allow not in ("1", "true", "yes", "0", "false", "no"):
            raise ConfigError(f"SMTP_ALLOW_CLEARTEXT_LOGIN must be true or false, not {allow!r}")
        values["allow_cleartext_login"] = allow in ("1", "true", "yes")
    send = replace(send, **values)
    _check_cleartext_login(send)
    _check_dkim(send)
    _check_verp(send)
    return send


_DNS_NAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*"
)


def _check_dkim(send: SendConfig) -> None:
    """A selector and a key file go together; each name must be a DNS name."""
    if bool(send.dkim_selector) != bool(send.dkim_key_file) or (
        send.dkim_domain and not send.dkim_key_file
    ):
        given = "DIGEST_DKIM_SELECTOR" if send.dkim_selector else "DIGEST_DKIM_DOMAIN"
        missing = "DIGEST_DKIM_KEY_FILE"
        if send.dkim_key_file:
            given, missing = "DIGEST_DKIM_KEY_FILE", "DIGEST_DKIM_SELECTOR"
        raise ConfigError(
            f"{given} is set but {missing} is not: DKIM signing needs a selector and a key file",
            hint="set both (see docs/deliverability.md), or neither to send unsigned",
        )
    for name, value in (
        ("DIGEST_DKIM_SELECTOR", send.dkim_selector),
        ("DIGEST_DKIM_DOMAIN", send.dkim_domain),
    ):
        if value and not _DNS_NAME.fullmatch(value):
            raise ConfigError(f"{name} must be a DNS name such as news2026, not {value!r}")


def _check_verp(send: SendConfig) -> None:
    """VERP makes each reader's envelope sender from the bounce address and the secret."""
    if not send.verp:
        return
    if not send.bounce_address:
        raise ConfigError(
            "[send] verp = true needs [send] bounce_address: the address bounces come back to",
            hint='add bounce_address = "bounces@example.org" to [send]',
        )
    if not send.unsubscribe_secret:
        raise ConfigError(
            "[send] verp = true needs DIGEST_UNSUBSCRIBE_SECRET: each reader's envelope "
            "sender carries a token made with it",
            hint="set DIGEST_UNSUBSCRIBE_SECRET in .env to the output of: "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'",
        )
    check_secret("{token}", send.unsubscribe_secret)


def _check_cleartext_login(send: SendConfig) -> None:
    """Refuse to send a password unencrypted over the network (security "none")."""
    if send.security != "none" or not send.username or send.allow_cleartext_login:
        return
    if send.host is None or is_loopback(send.host):
        return  # a relay on this machine: the password never crosses a network
    raise ConfigError(
        f"SMTP_SECURITY is none but SMTP_USERNAME is set: the password would cross the "
        f"network to {send.host} unencrypted",
        hint="use SMTP_SECURITY=starttls or ssl; if the network is private and trusted, "
        "set SMTP_ALLOW_CLEARTEXT_LOGIN=true",
    )


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, no lookup) is this machine's loopback."""
    host = host.strip().strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(where: str, url: str, schemes: tuple[str, ...]) -> None:
    if not url.startswith(schemes):
        raise ConfigError(
            f"{where} must be an absolute URL starting with "
            + " or ".join(schemes)
            + f", not {url!r}"
        )


def _parse_send(raw: Any, where: str) -> SendConfig:
    """The [send] table: subject, list_id, rate, connections, attempts, retry_delay,
    timeout, ledger_sync."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: [send] must be a table")
    _check_keys(raw, SEND_KEYS, where)
    values: dict[str, Any] = {}
    if "subject" in raw:
        subject = _typed(raw["subject"], str, f"{where}: send.subject")
        try:
            subject.format(**SUBJECT_FIELDS)
        except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
            raise ConfigError(
                f"{where}: send.subject {subject!r} is not a valid template ({exc}); "
                "placeholders: {title}, {date}, {iso_date}, {count}"
            ) from exc
        _no_control(subject, f"{where}: send.subject")
        values["subject"] = subject
    if "list_id" in raw:
        list_id = _typed(raw["list_id"], str, f"{where}: send.list_id").strip()
        if not re.fullmatch(
            r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)+", list_id
        ):
            raise ConfigError(
                f"{where}: send.list_id must look like a domain name (weekly.example.org), "
                f"not {list_id!r}"
            )
        values["list_id"] = list_id
    for name, low in (("rate", 0.0), ("retry_delay", 0.0), ("timeout", 0.1)):
        if name in raw:
            value = raw[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
                raise ConfigError(f"{where}: send.{name} must be a number of at least {low}")
            values[name] = float(value)
    for name in ("attempts", "connections"):
        if name in raw:
            number = _typed(raw[name], int, f"{where}: send.{name}")
            if number < 1:
                raise ConfigError(f"{where}: send.{name} must be at least 1, not {number}")
            values[name] = number
    if "ledger_sync" in raw:
        sync = _typed(raw["ledger_sync"], str, f"{where}: send.ledger_sync").strip().lower()
        try:
            values["ledger_sync"] = LedgerSync(sync)
        except ValueError:
            raise ConfigError(
                f'{where}: send.ledger_sync must be "normal" or "full", not {raw["ledger_sync"]!r}'
            ) from None
    if "bounce_address" in raw:
        bounce = _typed(raw["bounce_address"], str, f"{where}: send.bounce_address").strip()
        if not re.fullmatch(
            r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+", bounce
        ):
            raise ConfigError(
                f"{where}: send.bounce_address must be a bare address such as "
                f"bounces@example.org, not {bounce!r}"
            )
        values["bounce_address"] = bounce
    if "verp" in raw:
        if not isinstance(raw["verp"], bool):
            raise ConfigError(f"{where}: send.verp must be true or false, not {raw['verp']!r}")
        values["verp"] = raw["verp"]
    if values.get("verp") and "+" in values.get("bounce_address", "").partition("@")[0]:
        raise ConfigError(
            f"{where}: send.bounce_address must not hold a + when verp is on: "
            "local+TOKEN@domain would be ambiguous"
        )
    return SendConfig(**values)


def parse_config(data: Mapping[str, Any], base: Path, origin: Path | None = None) -> Config:
    """A Config from parsed TOML; paths are resolved against ``base``."""
    where = str(origin or "configuration")
    _check_keys(data, TABLES, where)
    settings = data.get("digest", {})
    if not isinstance(settings, dict):
        raise ConfigError(f"{where}: [digest] must be a table")
    _check_keys(settings, DIGEST_KEYS, f"{where} [digest]")

    values: dict[str, Any] = {}
    for name in ("title", "intro", "language", "algorithm"):
        if name in settings:
            values[name] = _typed(settings[name], str, f"{where}: digest.{name}")
    if "title" in values:
        _no_control(values["title"], f"{where}: digest.title")
    for name in ("sentences", "max_items", "new_feed_items", "max_new_items"):
        if name in settings:
            number = _typed(settings[name], int, f"{where}: digest.{name}")
            if number < 1:
                raise ConfigError(f"{where}: digest.{name} must be at least 1, not {number}")
            values[name] = number
    for name in ("out_dir", "templates_dir", "state_dir"):
        if name in settings:
            values[name] = base / _typed(settings[name], str, f"{where}: digest.{name}")
    for name in ("web_url", "unsubscribe_url", "sender_name", "postal_address", "heartbeat_url"):
        if name in settings:
            values[name] = _typed(settings[name], str, f"{where}: digest.{name}").strip() or None
    for name, schemes in (
        ("web_url", ("https://", "http://")),
        ("unsubscribe_url", LINK_PREFIXES),
        ("heartbeat_url", ("https://", "http://")),
    ):
        if values.get(name) and not values[name].startswith(schemes):
            raise ConfigError(
                f"{where}: digest.{name} must be an absolute URL starting with "
                + " or ".join(schemes)
                + f", not {values[name]!r}"
            )
    if values.get("unsubscribe_url"):
        check_template(values["unsubscribe_url"], f"{where}: digest.unsubscribe_url")
    if "sections" in settings:
        values["sections"] = _parse_sections(settings["sections"], f"{where}: digest.sections")
    values.setdefault("state_dir", base / DEFAULT_STATE_DIR)
    if "window" in settings:
        values["window"] = _window(
            _typed(settings["window"], str, f"{where}: digest.window"), where
        )
    for name in ("fetch_private", "reading_time"):
        if name in settings:
            if not isinstance(settings[name], bool):
                raise ConfigError(
                    f"{where}: digest.{name} must be true or false, not {settings[name]!r}"
                )
            values[name] = settings[name]
    if "workers" in settings or "dask_scheduler" in settings:
        values["workers"] = _parse_workers(settings, where)
    if values.get("algorithm", "digest") not in ALGORITHMS:
        raise ConfigError(
            f"{where}: digest.algorithm {values['algorithm']!r} is not one of "
            + ", ".join(ALGORITHMS)
        )
    if "sources" in data:
        values["sources"] = _parse_sources(data["sources"], base, where)
    if "filters" in data:
        if not isinstance(data["filters"], dict):
            raise ConfigError(f"{where}: [filters] must be a table")
        _check_keys(data["filters"], FILTER_KEYS, f"{where} [filters]")
        shared = _parse_filters(data["filters"], f"{where} [filters]")
        sources = values.get("sources", Config.sources)
        values["sources"] = tuple(replace(s, filters=shared.then(s.filters)) for s in sources)
        values["filters"] = shared
    if "headers" in data:
        shared_headers = parse_headers(data["headers"], f"{where} [headers]")
        sources = values.get("sources", Config.sources)
        values["sources"] = tuple(
            replace(s, headers=merge_headers(shared_headers, s.headers)) for s in sources
        )
        values["headers"] = shared_headers
    if "send" in data:
        values["send"] = _parse_send(data["send"], f"{where} [send]")
    if "stories" in data:
        values["stories"] = _parse_stories(data["stories"], f"{where} [stories]")
    config = Config(**values, path=origin)
    if "title" in values or "send" in data:
        # Together, as a reader's mail program sees them: an encoded word may be split
        # between the title and the subject template.
        subject = config.send.subject.format(**{**SUBJECT_FIELDS, "title": config.title})
        _no_control(subject, f"{where}: the subject made of send.subject and digest.title")
    return config


def _parse_stories(raw: Any, where: str) -> StoriesConfig:
    """The [stories] table: threshold, window_hours, rank, half_life_hours, remember_days."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: [stories] must be a table")
    _check_keys(raw, STORIES_KEYS, where)
    values: dict[str, Any] = {}
    for name in ("threshold", "window_hours", "half_life_hours", "remember_days"):
        if name in raw:
            value = raw[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(f"{where}: stories.{name} must be a number above 0")
            values[name] = float(value)
    if "rank" in raw:
        rank = _typed(raw["rank"], str, f"{where}: stories.rank")
        if rank not in RANKINGS:
            raise ConfigError(
                f"{where}: stories.rank {rank!r} must be one of {', '.join(RANKINGS)}"
            )
        values["rank"] = rank
    return StoriesConfig(**values)


def _parse_workers(settings: Mapping[str, Any], where: str) -> Workers:
    """[digest] workers (processes extracting pages) and dask_scheduler (a cluster's)."""
    count = None
    if "workers" in settings:
        count = _typed(settings["workers"], int, f"{where}: digest.workers")
        if count < 1:
            raise ConfigError(f"{where}: digest.workers must be at least 1, not {count}")
    scheduler = None
    if "dask_scheduler" in settings:
        address = _typed(settings["dask_scheduler"], str, f"{where}: digest.dask_scheduler")
        scheduler = _scheduler(address.strip(), f"{where}: digest.dask_scheduler")
    return Workers(count, scheduler)


def _no_control(value: str, where: str) -> None:
    """Refuse control characters: the value goes into a mail header (Subject, List-Id),
    where a mail program decodes RFC 2047 encoded words (=?utf-8?b?...?=) before showing it."""
    try:
        shown = decoded_header(value)
    except ValueError as exc:
        raise ConfigError(
            f"{where} {value!r} holds an encoded word that cannot be decoded"
        ) from exc
    for text in (value, shown):
        if HEADER_CONTROL.search(text):
            decoded = f" (decoded: {shown!r})" if text is shown and shown != value else ""
            raise ConfigError(
                f"{where} {value!r} must not contain a line break or control character{decoded}"
            )


def _parse_sections(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(name, str) and name.strip() for name in raw):
        raise ConfigError(f"{where} must be a list of section names, not {raw!r}")
    return tuple(dict.fromkeys(name.strip() for name in raw))


def html_lang(language: str) -> str:
    """The HTML ``lang`` code for a sumy language name; English when unknown."""
    return LANG_CODES.get(language.lower(), "en")


def _parse_sources(raw: Any, base: Path, where: str) -> tuple[Source, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}: sources must be a non-empty list of [[sources]] tables")
    sources = []
    for i, entry in enumerate(raw, 1):
        label = f"{where} source {i}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{label}: must be a table")
        _check_keys(entry, SOURCE_KEYS, label)
        kinds = [kind for kind in SOURCE_KINDS if kind in entry]
        if len(kinds) != 1:
            raise ConfigError(f"{label}: needs a path, feed, page or opml (exactly one)")
        kind = kinds[0]
        location = _typed(entry[kind], str, f"{label}: {kind}")
        values: dict[str, Any] = {}
        if kind == "path" or (kind == "opml" and not _is_web_url(location)):
            values[kind] = base / location
        else:
            if not _is_web_url(location):
                raise ConfigError(f"{label}: {kind} must be an http or https URL, not {location!r}")
            values[kind] = location
        for key in ("name", "section"):
            if key in entry:
                values[key] = _typed(entry[key], str, f"{label}: {key}")
        named = f"{label} ({values.get('name') or without_userinfo(location)})"
        values["filters"] = _parse_filters(entry, named)
        if "headers" in entry:
            values["headers"] = parse_headers(entry["headers"], named)
        if "max_items" in entry:
            number = _typed(entry["max_items"], int, f"{label}: max_items")
            if number < 1:
                raise ConfigError(f"{label}: max_items must be at least 1, not {number}")
            values["max_items"] = number
        sources.append(Source(**values))
    return tuple(sources)


def _parse_filters(table: Mapping[str, Any], where: str) -> Filters:
    """The include and exclude rules of [filters] or of one [[sources]] table."""
    include, exclude = (_parse_rules(table, key, where) for key in ("include", "exclude"))
    return make_filters(include, exclude)


def _parse_rules(table: Mapping[str, Any], key: str, where: str) -> tuple[Rule, ...]:
    written = table.get(key, [])
    if isinstance(written, str):
        written = [written]
    if not isinstance(written, list) or not all(isinstance(w, str) for w in written):
        raise ConfigError(f"{where}: {key} must be a list of strings")
    rules = []
    for entry in written:
        if not entry.strip():
            continue
        try:
            rules.append(parse_rule(entry))
        except RuleError as exc:
            raise ConfigError(
                f"{where}: {key} {entry!r}: {exc}",
                hint="a word or phrase is written as it is, a regular expression between "
                'slashes (/pattern/); see docs/sources.md, "Filters"',
            ) from exc
    return tuple(rules)


def _is_web_url(value: str) -> bool:
    return bool(re.match(r"^https?://[^/\s]+", value, re.IGNORECASE))


def _check_keys(table: Mapping[str, Any], known: Set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting {unknown[0]!r} ({_did_you_mean(unknown[0], known)})"
        )


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    """The known name closest to ``name``, as a question, or the list of known names."""
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"


_KIND_NAMES = {str: "a string", int: "a whole number"}


def _typed(value: Any, kind: type, where: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ConfigError(f"{where} must be {_KIND_NAMES[kind]}, not {value!r}")
    return value
