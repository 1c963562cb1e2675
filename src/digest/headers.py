"""Request headers the configuration adds to fetches: ``[headers]`` and a source's own.

Some sites refuse clients they do not know (a bot wall answering 403); an honest
``User-Agent`` or ``Accept`` gets them to answer. A header is checked when the
configuration is loaded: a name is an HTTP token, a value one line of printable ASCII,
so nothing can smuggle a second header or a request into what is sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from digest.errors import ConfigError

Headers = tuple[tuple[str, str], ...]  # (name, value) pairs, as written
NO_HEADERS: Headers = ()

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VALUE = re.compile(r"[\t\x20-\x7e]*")
# digest sets these itself: conditional GET, the encodings it inflates with a size bound,
# the connection; credentials go in the URL (user:password@), sent only to its own host.
_MANAGED = {
    "host", "content-length", "transfer-encoding", "connection", "accept-encoding",
    "if-none-match", "if-modified-since", "authorization", "proxy-authorization", "cookie",
}  # fmt: skip


def parse_headers(raw: Any, where: str) -> Headers:
    """The headers of a ``headers`` table (``{"User-Agent" = "..."}``); ConfigError if bad."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f'{where}: headers must be a table, such as {{"User-Agent" = "..."}}')
    headers = []
    for name, value in raw.items():
        if not _TOKEN.fullmatch(name):
            raise ConfigError(f"{where}: header name {name!r} is not a valid HTTP header name")
        if name.lower() in _MANAGED:
            raise ConfigError(
                f"{where}: header {name!r} is set by digest itself and cannot be configured",
                hint="a login goes in the feed's URL (https://user:password@host/...)",
            )
        if not isinstance(value, str) or not _VALUE.fullmatch(value):
            raise ConfigError(
                f"{where}: header {name!r} must be one line of printable ASCII, not {value!r}"
            )
        headers.append((name, value.strip()))
    return tuple(headers)


def merge_headers(default: Headers, own: Headers) -> Headers:
    """``default`` with ``own`` in place of a header of the same name (any case)."""
    names = {name.lower() for name, _ in own}
    return tuple((n, v) for n, v in default if n.lower() not in names) + own
