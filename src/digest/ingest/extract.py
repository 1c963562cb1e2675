"""Main text and metadata from an HTML page.

The only module that imports trafilatura and readability-lxml. Two extractors with
opposite habits read each page: trafilatura in precision mode rarely keeps boilerplate
but now and then drops whole sections of a story (a body split over several containers,
a page it mistakes for navigation); readability keeps the largest block of text whole,
with whatever sits inside it. We take trafilatura's text unless readability finds far
more (``FALLBACK_RATIO`` times the words), which is the sign that trafilatura missed part
of the story; then the text-level cleaning of ``digest.ingest.clean`` removes the
boilerplate lines either one let through.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from urllib.parse import urljoin

import lxml.html
import trafilatura
from lxml import etree
from readability import Document
from readability.readability import Unparseable
from trafilatura.utils import decode_file, load_html

from digest.ingest.clean import clean_blocks, has_article_text

# Both libraries log every page they find no text in; our callers report that themselves.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
logging.getLogger("readability").setLevel(logging.CRITICAL)

# trafilatura takes about 30 s and 600 MB on a 20 MB page. Real articles are far below
# this once scripts and styles are gone; what a cut removes from a bigger page is its end.
MAX_PAGE_BYTES = 2_000_000

# Readability's text replaces trafilatura's when it holds this many times the words.
# Measured on the two eval sets: 1.2 lets readability's extra boilerplate in, 2.0 misses
# stories trafilatura cut in half (README, "digest eval extraction").
FALLBACK_RATIO = 1.5

# A result with fewer words than this share of the page's visible text is suspect.
# Short articles on busy pages come down to 5% (yahoo-4 on the readability set).
SUSPECT_SHARE = 0.02
# ... or fewer than this share and not one sentence in it.
NO_SENTENCE_SHARE = 0.1

# Lines only trafilatura kept are dropped when they hold at most 5% of its words.
AGREEMENT = 0.95

_HEAVY_PATTERN = (
    r"<(script|style|svg|noscript|template)\b(?![^>]*ld\+json)[^>]*>.*?</\1\s*>|<!--.*?-->"
)
_HEAVY_BYTES = re.compile(_HEAVY_PATTERN.encode(), re.DOTALL | re.IGNORECASE)
_HEAVY = re.compile(_HEAVY_PATTERN, re.DOTALL | re.IGNORECASE)
_HEAD = re.compile(r"<head\b.*?</head\s*>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
# trafilatura writes list items and table rows the Markdown way: "- item", "| a | b |".
_LIST_MARK = re.compile(r"^\s*- ", re.MULTILINE)
_TABLE_BAR = re.compile(r"(?:^|\s)\|(?=\s|$)", re.MULTILINE)
# Posts embedded from social networks: quoted chrome ("— Name (@handle) date"), not the story.
_EMBEDS = etree.XPath(
    "//blockquote[contains(@class, 'twitter-tweet') or contains(@class, 'instagram-media')"
    " or contains(@class, 'tiktok-embed')]"
)
_CANONICAL = etree.XPath(
    "//link[contains(concat(' ', normalize-space(translate(@rel, 'CANONICAL', 'canonical')),"
    " ' '), ' canonical ')]/@href | //meta[@property='og:url']/@content"
)
_BLOCK_TAGS = frozenset(
    "address article aside blockquote br caption dd details div dl dt figcaption figure "
    "footer h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table td th "
    "tr ul".split()
)
_BLOCK_BOUNDARY = re.compile(rf"</?({'|'.join(sorted(_BLOCK_TAGS))})\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class Extracted:
    """The article found in a page; ``text`` has one paragraph per line."""

    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None  # ISO date
    url: str | None = None  # canonical, absolute
    image: str | None = None  # absolute
    site: str | None = None
    method: str = "trafilatura"  # which extractor's text this is: trafilatura or readability


def extract_html(
    page: bytes, url: str | None = None, *, clean: bool = True, with_date: bool = True
) -> Extracted | None:
    """The article in ``page``, or None when the page holds no main text.

    Hand over the raw bytes: trafilatura finds the page's encoding itself, which a
    decode done elsewhere could get wrong. With ``clean`` (the default) the text has
    been through :func:`digest.ingest.clean.clean_blocks`.
    """
    page = _bounded(page)
    doc, text, method, canonical = None, "", "trafilatura", None
    tree = load_html(page)  # trafilatura's own decoding of the raw bytes
    if tree is not None:
        for embed in _EMBEDS(tree):
            embed.drop_tree()
        canonical = _canonical(tree, url)
        serialized = lxml.html.tostring(tree, encoding="unicode")
        doc = _trafilatura(tree, url)
        text = _plain(doc.text) if doc is not None and doc.text else ""
        other = _readability_text(serialized, url)
        if _words(other) > FALLBACK_RATIO * _words(text):
            text, method = other, "readability"
        elif _words(other) >= _words(text) / 2:
            text = _agreed(text, other)
    if _is_suspect(text, visible := _visible_text(page)):
        # Both extractors came back (nearly) empty-handed from a page full of text: a tree
        # too deep for the parser, say. The page's own text, cleaned, beats nothing.
        text, method = visible, "visible"
    if clean:
        title = _normal(doc.title) if doc is not None and doc.title else None
        # The headline repeated in the body is no paragraph of it.
        lines = [line for line in text.splitlines() if _normal(line) != title]
        text = "\n".join(clean_blocks(lines))
    if not text.strip():
        return None
    return _with_metadata(text, doc, url, method, canonical)


def extract_trafilatura(page: bytes, url: str | None = None) -> Extracted | None:
    """Plain trafilatura in precision mode, no fallback and no cleaning: the baseline."""
    doc = _trafilatura(_bounded(page), url)
    if doc is None or not doc.text:
        return None
    return _with_metadata(doc.text, doc, url, "trafilatura")


def _bounded(page: bytes) -> bytes:
    """``page`` within MAX_PAGE_BYTES: scripts, styles and comments go first, then the end."""
    if len(page) <= MAX_PAGE_BYTES:
        return page
    return _HEAVY_BYTES.sub(b"", page)[:MAX_PAGE_BYTES]


def _trafilatura(page: bytes, url: str | None):  # -> trafilatura.settings.Document | None
    return trafilatura.bare_extraction(
        page,
        url=url,
        with_metadata=True,
        favor_precision=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
    )


def _plain(text: str) -> str:
    """trafilatura's text without its Markdown marks, which are no words of the article."""
    text = _TABLE_BAR.sub(" ", _LIST_MARK.sub("", text))
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def _agreed(text: str, other: str) -> str:
    """``text`` without the few lines ``other`` lacks, when they are few.

    When the two extractors agree on nearly all of a story, the odd lines only one of
    them kept are mostly inline teasers, embeds and notes; a larger disagreement is a
    real difference of opinion about the story, and then ``text`` stands as it is.
    """
    lines = text.splitlines()
    whole = _normal(other)
    kept = [line for line in lines if _normal(line) in whole]
    return "\n".join(kept) if _words("\n".join(kept)) >= AGREEMENT * _words(text) else text


def _is_suspect(text: str, visible: str) -> bool:
    """Whether ``text`` is too little of the page to be its article."""
    if _words(text) < SUSPECT_SHARE * _words(visible):
        return True
    # Navigation alone has no sentence in it, where the page around it has some.
    return (
        _words(text) < NO_SENTENCE_SHARE * _words(visible)
        and not has_article_text(text.splitlines())
        and has_article_text(visible.splitlines())
    )


def _visible_text(page: bytes) -> str:
    """The text a browser would show, one block per line, read without a tree.

    No parser: this is the fallback for the pages a parser gives up on.
    """
    markup = _HEAVY.sub("", decode_file(page))
    markup = _HEAD.sub("", markup)
    markup = _BLOCK_BOUNDARY.sub("\n", markup)
    text = html.unescape(_TAG.sub(" ", markup))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _words(text: str) -> int:
    return len(text.split())


def _readability_text(html: str, url: str | None) -> str:
    """The main text as readability finds it, one block element per line ("" on failure)."""
    if not html.strip():
        return ""
    try:
        summary = Document(html, url=url).summary(html_partial=True)
        root = lxml.html.fromstring(summary)
    except (Unparseable, etree.ParserError, ValueError, RecursionError):
        return ""
    return block_text(root)


def block_text(root: lxml.html.HtmlElement) -> str:
    """The text under ``root`` with a line break around every block element."""
    parts: list[str] = []
    # iterwalk, not recursion: a page of 20,000 nested <div>s must not overflow the stack.
    for event, element in etree.iterwalk(root, events=("start", "end")):
        is_element = isinstance(element.tag, str)  # not a comment or processing instruction
        block = is_element and element.tag in _BLOCK_TAGS
        if event == "start":
            if block:
                parts.append("\n")
            if is_element:
                parts.append(element.text or "")
        else:
            if block:
                parts.append("\n")
            if element is not root:
                parts.append(element.tail or "")
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _canonical(tree: etree._Element, url: str | None) -> str | None:
    """The page's own idea of its address (link rel=canonical, og:url), made absolute."""
    for found in _CANONICAL(tree):
        href = str(found).strip()
        if href and not href.startswith(("javascript:", "data:", "#")):
            return _join(url, href)
    return None


def _join(base: str | None, href: str) -> str | None:
    """``href`` made absolute against ``base``; None when it is malformed."""
    try:
        return urljoin(base, href) if base else href
    except ValueError:  # "http://[oops/": an IPv6 bracket left open
        return None


def _with_metadata(
    text: str, doc, url: str | None, method: str, canonical: str | None = None
) -> Extracted:
    if not canonical and doc is not None and doc.url:
        canonical = _join(url, doc.url)
    canonical = canonical or url
    image = doc.image if doc is not None else None
    if image and canonical:
        image = _join(canonical, image)
    return Extracted(
        text=text,
        title=(doc.title if doc is not None else None) or None,
        author=(doc.author if doc is not None else None) or None,
        published=(doc.date if doc is not None else None) or None,
        url=canonical or None,
        image=image or None,
        site=(doc.sitename if doc is not None else None) or None,
        method=method,
    )
