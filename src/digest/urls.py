"""URLs from outside: the one check of what may be fetched, stored or shown as a link.

Feeds, pages and local files name URLs that end up as links in the email, its text part,
the web archive, its Atom feed and ``digest.json``. A browser strips tabs, line breaks
and leading control characters before it reads the scheme, and compares the scheme
without regard to case, so ``JavaScript:``, ``java\\tscript:`` and `` data:`` are script
links to it; a check that compares lower-case prefixes lets them through. Here the
scheme is read the way a browser reads it, and only absolute http(s) URLs with a host
pass.

User information (``user:password@``) never leaves this module with a URL: a feed's
credentials must not reach readers through relative links resolved against it, and a
link's ``https://bank.example@evil.example/`` hides its real host. The credentials of a
configured URL are split off for the fetcher to send (``credentials``), never shown.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

WEB = frozenset({"http", "https"})
IMAGE = frozenset({"https"})  # mail clients block images over http
MAILTO = frozenset({"http", "https", "mailto"})
# What a link in the email or an unsubscribe URL may start with.
LINK_PREFIXES = ("https://", "http://", "mailto:")
# What a browser drops from a URL before reading it: ASCII whitespace and control
# characters (it strips them at the ends and removes tabs and newlines anywhere; a
# URL with any of them inside is a mistake or a trick, so all of them go).
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


def web_url(value: str | None, schemes: frozenset[str] = WEB) -> str | None:
    """``value`` as a link, if it is an absolute URL of one of ``schemes``; else None.

    The URL comes back without whitespace, control characters or user information, and
    with its scheme in lower case: what passed the check is exactly what is shown. An
    http(s) URL needs a host; ``mailto:`` needs an address.
    """
    if not value:
        return None
    url = _INVISIBLE.sub("", "".join(str(value).split()))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:  # "http://[oops/": an IPv6 bracket left open
        return None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        return None
    if scheme == "mailto":
        return url if parts.path else None
    host = parts.netloc.rpartition("@")[2]
    # A browser reads "\" as "/" in an http(s) authority, Python does not: the two would
    # disagree on the host, so such a URL is no link.
    if not parts.hostname or "\\" in parts.netloc:
        return None
    return urlunsplit((scheme, host, parts.path, parts.query, parts.fragment))


def is_web_url(value: str | None) -> bool:
    """Whether ``value`` is an absolute http or https URL with a host."""
    return web_url(value) is not None


def join_url(base: str, value: str | None, schemes: frozenset[str] = WEB) -> str | None:
    """``value`` made absolute against ``base`` and checked as ``web_url`` does."""
    if not value:
        return None
    try:
        absolute = urljoin(without_userinfo(base), value.strip())
    except ValueError:  # "http://[oops/": an IPv6 bracket left open
        return None
    return web_url(absolute, schemes)


def without_userinfo(url: str) -> str:
    """``url`` without ``user:password@``; anything else as it was."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def credentials(url: str) -> tuple[str, str] | None:
    """The user name and password in ``url`` (percent-decoded), or None when it has none."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.username is None:
        return None
    return unquote(parts.username), unquote(parts.password or "")
