"""Lint: checks on a built digest before it goes out.

Each check returns findings rather than raising, so one run reports everything wrong:
the HTML part fits Gmail's clip budget, images have alt text and https addresses, links
are absolute, an unsubscribe link is there when sending, the text and HTML parts carry
the same items and links, and the HTML declares its language and title.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from digest.config import SendConfig
from digest.errors import InputError
from digest.models import Finding
from digest.urls import LINK_PREFIXES

# Gmail shows "[Message clipped]" past about 102 KB of HTML as sent, hiding the footer and
# its unsubscribe link; stay under 102,000 bytes of the quoted-printable part (what
# sending writes, about 7% over the HTML itself) to keep a margin.
CLIP_BYTES = 102_000
_TEXT_URL = re.compile(r"""(?:https?://|mailto:)[^\s<>"]+""")
_TRAILING = ".,;:!?'\")]"  # punctuation after a URL in running text
_UNSUBSCRIBE = re.compile(r"unsubscribe|opt[ -]?out|abmelden|désinscri|darse de baja", re.I)

CHECKS = ("size", "image-alt", "image-url", "link", "unsubscribe", "parity", "lang", "title")
# Checks on the issue as a whole: when one fails, the issue cannot go out. The others are
# about one story's link, image or text, and leaving that story out fixes them.
ISSUE_WIDE = frozenset({"size", "unsubscribe", "lang", "title"})


def blame(findings: Iterable[Finding], items: Sequence[Mapping[str, Any]]) -> dict[int, Finding]:
    """The stories at fault: item index -> the first finding about that story.

    A finding is a story's when it is not an issue-wide check and its ``ref`` is the
    story's link, image or headline, or appears in its sentences.
    """
    found: dict[int, Finding] = {}
    for finding in findings:
        if finding.check in ISSUE_WIDE or not finding.ref:
            continue
        for n, item in enumerate(items):
            if n not in found and _mentions(item, finding.ref):
                found[n] = finding
                break
    return found


def _mentions(item: Mapping[str, Any], ref: str) -> bool:
    ref = " ".join(ref.split())
    if ref in (item.get("url"), item.get("image"), " ".join(str(item.get("headline")).split())):
        return True
    return any(ref in " ".join(str(s).split()) for s in item.get("sentences") or ())


@dataclass
class _Page(HTMLParser):
    """What the checks need from the HTML: language, title, images, links."""

    lang: str | None = None
    title: str = ""
    images: list[dict[str, str | None]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, link text)
    text: list[str] = field(default_factory=list)  # the text a reader can see
    names: set[str] = field(default_factory=set)  # <a name>: where Gmail, Outlook land
    _in_title: bool = False
    _hidden: int = 0  # depth inside <style>, <script> or <head>
    _link: list[str] | None = None  # text of the open <a>

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = (values.get("lang") or "").strip() or None
        elif tag == "title":
            self._in_title = True
        elif tag in ("style", "script", "head"):
            self._hidden += 1
        elif tag == "img":
            self.images.append({**values, "linked": "yes" if self._link is not None else None})
        elif tag == "a" and values.get("name"):
            self.names.add(str(values["name"]))
        if tag == "a" and values.get("href") is not None:
            self.links.append((str(values["href"]).strip(), ""))
            self._link = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in ("style", "script", "head"):
            self._hidden = max(0, self._hidden - 1)
        elif tag == "a" and self._link is not None:
            href, _ = self.links[-1]
            self.links[-1] = (href, " ".join("".join(self._link).split()))
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._hidden:
            self.text.append(data)
        if self._link is not None:
            self._link.append(data)


def lint_email(
    html: str,
    text: str,
    items: Sequence[Mapping[str, Any]] | None = None,
    *,
    require_unsubscribe: bool = False,
    unsubscribe_url: str | None = None,
) -> list[Finding]:
    """Every finding on an email's HTML and text parts; an empty list means it may go out.

    ``items`` (the ``items`` of digest.json) are the stories both parts must carry; an
    unsubscribe link is required when ``require_unsubscribe`` (sending is configured),
    and ``unsubscribe_url``, when given, must be that link.
    """
    page = _Page()
    page.feed(html)
    page.close()
    findings = [
        *_check_size(html, page, items or ()),
        *_check_images(page),
        *_check_links(page),
        *_check_unsubscribe(page, require_unsubscribe, unsubscribe_url),
        *_check_parity(page, text, items or ()),
    ]
    if not page.lang:
        findings.append(Finding("lang", '<html> has no lang attribute (e.g. lang="en")'))
    if not page.title.strip():
        findings.append(Finding("title", "<title> is missing or empty"))
    return findings


def lint_directory(
    path: Path, *, require_unsubscribe: bool = False, unsubscribe_url: str | None = None
) -> list[Finding]:
    """Lint the digest built in ``path`` (digest.html, digest.txt and digest.json)."""
    html = _read(path / "digest.html")
    text = _read(path / "digest.txt")
    items = None
    if (path / "digest.json").is_file():
        try:
            items = json.loads(_read(path / "digest.json"))["items"]
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(str(path / "digest.json"), f"not a digest: {exc}") from exc
    return lint_email(
        html,
        text,
        items,
        require_unsubscribe=require_unsubscribe,
        unsubscribe_url=unsubscribe_url,
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(str(path), "not found; run `digest build` first") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot be read: {exc}") from exc


def sent_size(html: str) -> int:
    """The bytes of the HTML part as sent: quoted-printable, in lines ending in CRLF."""
    part = EmailMessage(policy=SMTP)
    part.set_content(html, subtype="html", cte="quoted-printable")
    body = str(part.get_payload())
    return len(body.encode("ascii")) + body.count("\n")  # each line end is CRLF on the wire


def _check_size(html: str, page: _Page, items: Sequence[Mapping[str, Any]]) -> Iterable[Finding]:
    size = sent_size(html)
    if size <= CLIP_BYTES:
        return
    message = f"HTML is {size:,} bytes as sent, over Gmail's clip budget of {CLIP_BYTES:,}"
    fit = _items_that_fit(html, size, [str(item.get("url") or "") for item in items])
    if fit is not None:
        message += f"; about {fit} of the {len(items)} items would fit"
    yield Finding("size", message)


def _items_that_fit(html: str, size: int, urls: list[str]) -> int | None:
    """How many items fit the budget, from the spacing of the items' first links (in
    characters of the HTML, scaled to the ``size`` as sent)."""
    starts = [html.find(f'href="{_attr(url)}"') for url in urls if url]
    starts = [at for at in starts if at >= 0]
    if len(starts) < 2 or len(starts) != len(urls):
        return None
    per_item = (max(starts) - min(starts)) / (len(starts) - 1) * size / len(html)
    fixed = size - per_item * len(urls)
    return max(0, int((CLIP_BYTES - fixed) // per_item)) if per_item > 0 else None


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&#34;")


def _check_images(page: _Page) -> Iterable[Finding]:
    for image in page.images:
        src = (image.get("src") or "").strip()
        # alt="" marks an image as decorative (the headline beside it says it all), but a
        # linked image's alt text is the link's only name.
        if image.get("alt") is None:
            yield Finding("image-alt", f"image {src or '(no src)'} has no alt attribute", src)
        elif image.get("linked") and not str(image["alt"]).strip():
            yield Finding("image-alt", f"linked image {src or '(no src)'} has no alt text", src)
        if not src.lower().startswith("https://"):
            message = f"image {src or '(no src)'!r} is not an absolute https URL"
            yield Finding("image-url", message, src)


def _check_links(page: _Page) -> Iterable[Finding]:
    for href, label in page.links:
        if href.startswith("#"):
            # A story further down ("In this issue"): browsers land on an id, but Gmail,
            # Outlook for Windows and Yahoo only on an <a name>, so both must be there.
            if href[1:] not in page.names:
                message = f"link {href!r} ({label or 'no text'}) has no <a name> target"
                yield Finding("link", message, href)
            continue
        if not href.lower().startswith(LINK_PREFIXES):
            message = f"link {href!r} ({label or 'no text'}) is not an absolute URL"
            yield Finding("link", message, href)


def _check_unsubscribe(page: _Page, required: bool, expected: str | None) -> Iterable[Finding]:
    hrefs = {href for href, _ in page.links}
    if expected and expected not in hrefs:
        yield Finding("unsubscribe", f"the configured unsubscribe link {expected} is missing")
    elif required and not any(
        _UNSUBSCRIBE.search(label) or _UNSUBSCRIBE.search(href) for href, label in page.links
    ):
        yield Finding("unsubscribe", "sending is configured but there is no unsubscribe link")


def _check_parity(page: _Page, text: str, items: Sequence[Mapping[str, Any]]) -> Iterable[Finding]:
    html_links = {href for href, _ in page.links if href.lower().startswith(LINK_PREFIXES)}
    text_links = {
        url if url in html_links else url.rstrip(_TRAILING) for url in _TEXT_URL.findall(text)
    }
    for href in sorted(html_links - text_links):
        yield Finding("parity", f"link {href} is in the HTML part but not in the text part", href)
    for href in sorted(text_links - html_links):
        yield Finding("parity", f"link {href} is in the text part but not in the HTML part", href)
    linked = " ".join(label for _, label in page.links)
    shown = " ".join("".join(page.text).split())
    flat_text = " ".join(text.split())
    for n, item in enumerate(items, 1):
        headline = " ".join(str(item.get("headline") or "").split())
        if not headline:
            continue
        if headline not in flat_text:
            message = f"item {n} ({headline!r}) is missing from the text part"
            yield Finding("parity", message, headline)
        if headline not in (linked if item.get("url") else shown):
            where = "linked headline" if item.get("url") else "headline"
            message = f"item {n} ({headline!r}) has no {where} in the HTML part"
            yield Finding("parity", message, headline)


def lint_sending(send: SendConfig, *, dns: bool = False) -> list[Finding]:
    """Warnings about the sending setup: a missing DKIM key, From misaligned with DKIM's
    ``d=`` or the Return-Path's domain, and with ``dns`` the published SPF, DKIM and
    DMARC records (see digest.deliver.authentication)."""
    from digest.deliver.authentication import check_dns, check_setup, identities

    if not send.sender:
        return [Finding("alignment", "DIGEST_FROM is not set: no From domain to check")]
    found = identities(send)
    advice = check_setup(found) + (check_dns(found) if dns else [])
    return [Finding(a.what, a.message) for a in advice]
