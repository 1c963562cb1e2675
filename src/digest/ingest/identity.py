"""Identity of an item across runs: a stable GUID, else a canonical URL, else a hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that say who sent the reader, not which page it is.
TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "hsa_", "at_")
TRACKING_NAMES = frozenset(
    """fbclid gclid gclsrc dclid gbraid wbraid msclkid yclid twclid ttclid li_fat_id igshid
    mc_cid mc_eid _hsenc _hsmi mkt_tok vero_id vero_conv oly_anon_id oly_enc_id rb_clickid
    s_cid ncid ocid cmpid sr_share smid spm share ref_src ref_url __twitter_impression
    _ga _gl""".split()
)
DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """``url`` without user information, tracking parameters and fragment; scheme and host
    in lower case."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    # No user information: the same page behind another login is the same page, and a
    # user name must not travel into the store or onto a link.
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(TRACKING_PREFIXES) and k.lower() not in TRACKING_NAMES
    ]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


def content_hash(title: str, text: str) -> str:
    """A hash of the words of an item, blind to spacing and case."""
    words = " ".join(f"{title}\n{text}".lower().split())
    return hashlib.sha256(words.encode("utf-8")).hexdigest()[:32]


def stable_guids(guids: Iterable[str | None]) -> set[str]:
    """The GUIDs of one feed that can identify an item: present and not repeated in it."""
    seen: set[str] = set()
    repeated: set[str] = set()
    for guid in guids:
        if guid:
            (repeated if guid in seen else seen).add(guid)
    return seen - repeated


def item_id(
    feed: str, guid: str | None, url: str | None, title: str, text: str, stable: bool
) -> str:
    """The key under which an item is remembered.

    GUIDs are only unique within a feed, so the feed's URL is part of the key; a GUID that
    is a URL is made canonical like any URL, since feeds that change their tracking
    parameters change it with them.
    """
    if guid and stable:
        if guid.startswith(("http://", "https://")):
            return "url:" + canonical_url(guid)
        return f"guid:{canonical_url(feed)} {guid}"
    if url:
        return "url:" + canonical_url(url)
    return "hash:" + content_hash(title, text)
