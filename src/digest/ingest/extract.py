"""Main text and metadata from an HTML page.

The only module that imports trafilatura and readability-lxml. A page is decoded once
(``digest.ingest.encoding``) and parsed once; both extractors read that one tree.
trafilatura, in its fast precision mode, rarely keeps boilerplate but now and then drops
whole sections of a story (a body split over several containers, a page it mistakes for
navigation). Only where its result looks like that (short, or far less than the page's
paragraphs hold) does readability read the page too; its text replaces trafilatura's
when it holds ``FALLBACK_RATIO`` times the words. The text-level cleaning of
``digest.ingest.clean`` then removes the boilerplate lines either one let through, and
lines holding markup or script are dropped. The title is chosen among the page's
candidates by ``digest.ingest.titles``; the page's date is searched for only when asked.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import lxml.html
import trafilatura
from htmldate import find_date
from lxml import etree
from readability import Document
from readability.readability import Unparseable
from trafilatura.metadata import examine_meta, extract_meta_json
from trafilatura.settings import Document as TrafilaturaDocument

from digest.ingest.clean import clean_blocks, count_words, has_article_text
from digest.ingest.encoding import decode_html, has_mojibake, repair_text
from digest.ingest.image_size import declared_size
from digest.ingest.titles import choose_title, title_candidates
from digest.models import ImageSize
from digest.urls import IMAGE, web_url

# Both libraries log every page they find no text in; our callers report that themselves.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
logging.getLogger("readability").setLevel(logging.CRITICAL)

# trafilatura takes about 30 s and 600 MB on a 20 MB page. Real articles are far below
# this once scripts and styles are gone; what a cut removes from a bigger page is its end.
MAX_PAGE_BYTES = 2_000_000

# Readability's text replaces trafilatura's when it holds this many times the words.
# Measured on the eval sets: 1.2 lets readability's extra boilerplate in (fundus), 1.5 and
# more miss stories trafilatura cut short (docs/evaluation.md, "digest eval extraction").
FALLBACK_RATIO = 1.4
# Readability reads the page only when trafilatura's text is shorter than this, or when
# the page's <p> elements hold SECOND_OPINION_RATIO times its words: on the eval sets this
# asks readability on a fifth to two fifths of the pages and loses none it improves.
SECOND_OPINION_WORDS = 100
SECOND_OPINION_RATIO = 1.5
# trafilatura now and then gives a whole page run into one paragraph: menus, story and
# footer. Readability's text wins there when it has paragraphs (this many at least) and
# SPLIT_SHARE of its words are in that one paragraph: the same story, without the rest.
# Where it holds less than SPLIT_MIN_SHARE of that paragraph's words, it is only a piece.
SPLIT_MIN_PARAGRAPHS = 3
SPLIT_SHARE = 0.9
SPLIT_MIN_SHARE = 0.4

# A result with fewer words than this share of the page's visible text is suspect.
# Short articles on busy pages come down to 5% (yahoo-4 on the readability set).
SUSPECT_SHARE = 0.02
# ... or fewer than this share and not one sentence in it.
NO_SENTENCE_SHARE = 0.1
# Either only when the parsed tree holds less than this share of the visible words: else
# the extractors saw the whole page, and a short text is a short story.
PARSED_SHARE = 0.5

_HEAVY_PATTERN = (
    r"<(script|style|svg|noscript|template)\b(?![^>]*ld\+json)[^>]*>.*?</\1\s*>|<!--.*?-->"
)
_HEAVY_BYTES = re.compile(_HEAVY_PATTERN.encode(), re.DOTALL | re.IGNORECASE)
_HEAVY = re.compile(_HEAVY_PATTERN, re.DOTALL | re.IGNORECASE)
_PARSER = lxml.html.HTMLParser(
    collect_ids=False,
    default_doctype=False,
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
)
# Elements whose content is never article text, dropped once the metadata is read.
_UNREAD = ("script", "style", "noscript", "template", "link", "meta", "iframe")
# Labels for screen readers only (", opens new tab"): no sighted reader sees them. (Text
# hidden by `display: none` or `hidden` stays: scripts show some pages' stories so.)
_HIDDEN = etree.XPath(  # spans only: testing every element costs ten times more
    "//span[contains(concat(' ', normalize-space(@class), ' '), ' sr-only ')"
    " or contains(@class, 'visually-hidden') or contains(@class, 'visuallyhidden')"
    " or contains(@class, 'screen-reader-text')"
    " or contains(translate(@style, ' ', ''), 'clip:rect(000')"
    " or contains(translate(@style, ' ', ''), 'clip:rect(0,0,0,0')]"
)
_OPEN_TITLE = re.compile(r"(<title\b[^>]*>[^<]*)<(?!/title\s*>)", re.IGNORECASE)
_HEAD = re.compile(r"<head\b.*?</head\s*>", re.DOTALL | re.IGNORECASE)
# Markup and script that reached the text through a broken page: "<IFRAME SRC=...>",
# "document.write(...)". A short line holding them is no article text; a long one loses them.
_MARKUP = re.compile(
    r"</?(?:script|iframe|img|a|div|span|p|br|style|object|embed|ins|noscript|table|td|tr|"
    r"font|meta|link|form|input|html|body|head|title|center|ilayer|layer)\b[^>]*>"
    r"|</?[a-z]+(?:\s+[a-z-]+\s*=\s*[\"']?[^\s>]*)+\s*/?>|</[a-z]\w*"
    r"|\bdocument\.write(?:ln)?\s*\(",
    re.IGNORECASE,
)
# A line with markup and at most this many words is dropped whole.
MARKUP_LINE_WORDS = 40
_AD_URL = re.compile(
    r"https?://\S*(?:doubleclick|adserver|adsystem|adclick|pagead|/ads?/|adtech|atdmt)",
    re.IGNORECASE,
)
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
    image: str | None = None  # absolute, https only
    image_size: ImageSize | None = None  # the image's (width, height), as the page declares
    site: str | None = None
    method: str = "trafilatura"  # whose text this is: trafilatura, readability or visible


def extract_html(
    page: bytes,
    url: str | None = None,
    *,
    charset: str | None = None,
    clean: bool = True,
    with_date: bool = True,
) -> Extracted | None:
    """The article in ``page``, or None when the page holds no main text.

    Hand over the raw bytes (``charset`` is the one the HTTP header named, if any): they
    are decoded here, the declared charset first, then a detected one. With ``clean``
    (the default) the text has been through :func:`digest.ingest.clean.clean_blocks`.
    ``with_date=False`` skips the search for the page's date (the feed gave one).
    """
    markup = _closed_title(decode_html(_bounded(page), charset))
    extracted = _extract(markup, url, clean=clean, with_date=with_date)
    if extracted is not None and has_mojibake(f"{extracted.title or ''}\n{extracted.text}"):
        # UTF-8 read as windows-1252 somewhere upstream: undone in the markup, before the
        # parser and the extractors reshape the text (a soft hyphen lost is a letter lost).
        extracted = _extract(repair_text(markup), url, clean=clean, with_date=with_date)
    return extracted


def _extract(markup: str, url: str | None, *, clean: bool, with_date: bool) -> Extracted | None:
    tree = _parse(markup)
    text, method, canonical, meta, title = "", "trafilatura", None, _Metadata(), None
    parsed_words = 0  # the words the parser kept, when the text is short enough to ask
    if tree is not None:
        for embed in _EMBEDS(tree):
            embed.drop_tree()
        canonical = _canonical(tree, url)
        meta = _metadata(tree, url, with_date)
        candidates = title_candidates(tree, url)
        # Metadata read, what no extractor reads goes: every later pass is over less.
        etree.strip_elements(tree, *_UNREAD, with_tail=False)
        for hidden in _HIDDEN(tree):
            hidden.drop_tree()  # its tail text is the page's and stays
        text = _undoubled(_trafilatura_text(tree, url))
        if _maybe_suspect(text):
            parsed_words = _words(" ".join(tree.itertext()))
        if _needs_second_opinion(text, tree):
            other = _undoubled(_readability_text(tree))  # the tree's last reader: it changes it
            if _words(other) > FALLBACK_RATIO * _words(text) or _splits(other, text):
                text, method = other, "readability"
    if _maybe_suspect(text) and _is_suspect(text, visible := _visible_text(markup), parsed_words):
        # The parser lost most of the page (a tree too deep for it, say) and the extractors
        # came back (nearly) empty-handed. The page's own text, cleaned, beats nothing.
        text, method = visible, "visible"
    lines = [line for line in map(_without_markup, text.splitlines()) if line]
    if tree is not None:
        title = choose_title(candidates, "\n".join(lines))
    if clean:
        # The headline repeated in the body is no paragraph of it.
        heading = _normal(title) if title else None
        lines = clean_blocks(line for line in lines if _normal(line) != heading)
    if not any(line.strip() for line in lines):
        return None
    return _extracted("\n".join(lines), title, meta, url, method, canonical)


def _parse(markup: str) -> lxml.html.HtmlElement | None:
    """The page's one tree, parsed as trafilatura parses it; None when there is none."""
    if not markup.strip():
        return None
    try:
        # As UTF-8 bytes: lxml refuses a str that declares an encoding, and libxml2 skips
        # the control characters a str would have to be cleaned of first.
        return lxml.html.fromstring(markup.encode("utf-8", "surrogatepass"), parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None


def extract_trafilatura(page: bytes, url: str | None = None) -> Extracted | None:
    """Plain trafilatura in precision mode, no fallback and no cleaning: the baseline."""
    doc = trafilatura.bare_extraction(
        _bounded(page),
        url=url,
        with_metadata=True,
        favor_precision=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
    )
    if not isinstance(doc, TrafilaturaDocument) or not doc.text:
        return None
    meta = _Metadata(doc.author, doc.date, doc.image, doc.sitename, doc.url)
    return _extracted(doc.text, doc.title, meta, url, "trafilatura")


def _closed_title(markup: str) -> str:
    """``markup`` with its <title> closed where its text ends.

    A broken closing tag (``</titavaScript ...>``) leaves the title open, and then the
    whole page, scripts and all, is read as the title's text, with no body left.
    """
    return _OPEN_TITLE.sub(r"\1</title><", markup, count=1)


def _bounded(page: bytes) -> bytes:
    """``page`` within MAX_PAGE_BYTES: scripts, styles and comments go first, then the end."""
    if len(page) <= MAX_PAGE_BYTES:
        return page
    return _HEAVY_BYTES.sub(b"", page)[:MAX_PAGE_BYTES]


def _trafilatura_text(tree: lxml.html.HtmlElement, url: str | None) -> str:
    """trafilatura's main text of ``tree`` (which it copies, not changes); "" if none."""
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=True,  # its own fallbacks are the ones we run where needed
        favor_precision=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
    )
    return _plain(doc.text) if isinstance(doc, TrafilaturaDocument) and doc.text else ""


def _needs_second_opinion(text: str, tree: lxml.html.HtmlElement) -> bool:
    """Whether trafilatura's ``text`` looks like it missed part of the story in ``tree``."""
    words = _words(text)
    if words < SECOND_OPINION_WORDS or _is_flattened(text):
        return True
    paragraphs = sum(len((p.text_content() or "").split()) for p in tree.iter("p"))
    return paragraphs > SECOND_OPINION_RATIO * words


def _is_flattened(text: str) -> bool:
    """Whether ``text`` is a whole page run together into one block (a table layout, say)."""
    return "\n" not in text.strip() and _words(text) >= SECOND_OPINION_WORDS


def _splits(other: str, text: str) -> bool:
    """Whether ``other`` is the story inside the flattened ``text``, told in paragraphs.

    Then ``text`` holds the story with the page's menus and footer run into it.
    """
    if not _is_flattened(text) or len(other.splitlines()) < SPLIT_MIN_PARAGRAPHS:
        return False
    words, whole = Counter(other.split()), Counter(text.split())
    shared = sum((words & whole).values())
    total = sum(words.values())
    return shared >= SPLIT_SHARE * total and total >= SPLIT_MIN_SHARE * sum(whole.values())


def _undoubled(text: str) -> str:
    """``text`` once where it is the same paragraphs twice over (a page's print copy, say)."""
    lines = text.splitlines()
    half = len(lines) // 2
    if half and len(lines) % 2 == 0 and lines[:half] == lines[half:]:
        return "\n".join(lines[:half])
    return text


def _without_markup(line: str) -> str:
    """``line`` without the markup, script or ad addresses in it; "" if it is mostly them."""
    if not (_MARKUP.search(line) or _AD_URL.search(line)):
        return line
    if _words(line) <= MARKUP_LINE_WORDS:
        return ""
    return " ".join(_AD_URL.sub(" ", _MARKUP.sub(" ", line)).split())


def _plain(text: str) -> str:
    """trafilatura's text without its Markdown marks, which are no words of the article."""
    text = _TABLE_BAR.sub(" ", _LIST_MARK.sub("", text))
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def _maybe_suspect(text: str) -> bool:
    """Whether ``text`` is short or sentence-less enough to be checked against the page."""
    return _words(text) < SECOND_OPINION_WORDS or not has_article_text(text.splitlines())


def _is_suspect(text: str, visible: str, parsed_words: int) -> bool:
    """Whether ``text`` is too little of the page to be its article, for want of a tree.

    Where the parsed tree holds most of the page's visible words, the extractors saw the
    whole page, and a short text is a short article.
    """
    if parsed_words >= PARSED_SHARE * _words(visible):
        return False
    if _words(text) < SUSPECT_SHARE * _words(visible):
        return True
    # Navigation alone has no sentence in it, where the page around it has some.
    return (
        _words(text) < NO_SENTENCE_SHARE * _words(visible)
        and not has_article_text(text.splitlines())
        and has_article_text(visible.splitlines())
    )


def _visible_text(markup: str) -> str:
    """The text a browser would show, one block per line, read without a tree.

    No parser: this is the fallback for the pages a parser gives up on.
    """
    markup = _HEAVY.sub("", markup)
    markup = _HEAD.sub("", markup)
    markup = _BLOCK_BOUNDARY.sub("\n", markup)
    text = html.unescape(_TAG.sub(" ", markup))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _words(text: str) -> int:
    return count_words(text)


def _readability_text(tree: lxml.html.HtmlElement) -> str:
    """The main text of ``tree`` as readability finds it, one block per line ("" on failure).

    Readability changes the tree it reads.
    """
    try:
        summary = Document(tree).summary(html_partial=True)
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
        # Only an http(s) address is one: "JavaScript:alert(1)" would become a link.
        if href and not href.startswith("#") and (canonical := web_url(_join(url, href))):
            return canonical
    return None


def _join(base: str | None, href: str) -> str | None:
    """``href`` made absolute against ``base``; None when it is malformed."""
    try:
        return urljoin(base, href) if base else href
    except ValueError:  # "http://[oops/": an IPv6 bracket left open
        return None


@dataclass(frozen=True)
class _Metadata:
    author: str | None = None
    published: str | None = None
    image: str | None = None
    site: str | None = None
    url: str | None = None
    image_size: ImageSize | None = None


# Open Graph and Twitter name an image, then its sides; a page may name several images,
# each followed by its own sides.
_IMAGE_META = etree.XPath(
    "//meta[starts-with(@property, 'og:image') or starts-with(@name, 'og:image')"
    " or starts-with(@name, 'twitter:image') or starts-with(@property, 'twitter:image')]"
)
_IMAGE_KEYS = {
    "og:image": "og",
    "og:image:url": "og",
    "og:image:secure_url": "og",
    "twitter:image": "twitter",
    "twitter:image:src": "twitter",
}
_JSON_LD = etree.XPath("//script[@type='application/ld+json']/text()")
MAX_JSON_LD_CHARS = 200_000  # a page's metadata, not its data dumps


def _image_size(tree: lxml.html.HtmlElement, image: str) -> ImageSize | None:
    """The size the page declares for ``image``: in its meta tags, else its JSON-LD."""
    sizes: dict[str, ImageSize] = {}
    current: dict[str, tuple[str, dict[str, str]]] = {}  # og/twitter -> its latest image
    for meta in _IMAGE_META(tree):
        key = str(meta.get("property") or meta.get("name") or "").strip().lower()
        content = str(meta.get("content") or "").strip()
        if key in _IMAGE_KEYS:
            current[_IMAGE_KEYS[key]] = (content, {})
        elif key.endswith((":width", ":height")) and (kind := key.split(":")[0]) in current:
            named, sides = current[kind]
            sides[key.rsplit(":", 1)[1]] = content
            if (size := declared_size(sides.get("width"), sides.get("height"))) and named:
                sizes.setdefault(named, size)
    if image in sizes:
        return sizes[image]
    # Only now: most pages that give a size give it in the meta tags.
    for block in _JSON_LD(tree):
        if len(block) <= MAX_JSON_LD_CHARS:
            with contextlib.suppress(ValueError, RecursionError):
                _json_ld_sizes(json.loads(block), sizes)
    return sizes.get(image)


def _json_ld_sizes(node: Any, sizes: dict[str, ImageSize], depth: int = 0) -> None:
    """Every ImageObject in a JSON-LD value with a url (or contentUrl), width and height."""
    if depth > 8:
        return
    if isinstance(node, list):
        for value in node:
            _json_ld_sizes(value, sizes, depth + 1)
    elif isinstance(node, dict):
        image = node.get("url") or node.get("contentUrl")
        size = declared_size(node.get("width"), node.get("height"))
        if isinstance(image, str) and image.strip() and size:
            sizes.setdefault(image.strip(), size)
        for value in node.values():
            if isinstance(value, list | dict):
                _json_ld_sizes(value, sizes, depth + 1)


def _metadata(tree: lxml.html.HtmlElement, url: str | None, with_date: bool) -> _Metadata:
    """Author, date, image, site name and address from the page's meta tags and JSON-LD.

    The date search (htmldate) runs only ``with_date``, and only over the page's markup
    (meta tags, JSON-LD, <time>, the URL), not its whole text: that is where the cost was.
    """
    doc = examine_meta(tree)
    # trafilatura's JSON-LD reader fails on odd JSON; the meta tags stand.
    with contextlib.suppress(Exception):
        doc = extract_meta_json(tree, doc)
    # A one-word "author" is a site's handle; trafilatura's search of the page's text for
    # a byline is left out: it cost a fifth of the time, and clean_blocks drops bylines.
    author = doc.author if doc.author and " " in doc.author else None
    published = None
    if with_date:
        try:
            published = find_date(tree, url=url, extensive_search=False, original_date=True)
        except Exception:  # htmldate's bugs on odd input must not lose the article
            published = None
    site = doc.sitename.lstrip("@") if doc.sitename else None
    size = _image_size(tree, doc.image.strip()) if doc.image else None
    return _Metadata(author, published, doc.image, site, doc.url, size)


def _extracted(
    text: str,
    title: str | None,
    meta: _Metadata,
    url: str | None,
    method: str,
    canonical: str | None = None,
) -> Extracted:
    if not canonical and meta.url:
        canonical = web_url(_join(url, meta.url))
    canonical = canonical or url
    image = _join(canonical, meta.image) if meta.image and canonical else meta.image
    image = web_url(image, IMAGE)  # data:, javascript: and http (mail clients block it) go
    return Extracted(
        text=text,
        title=title or None,
        author=meta.author or None,
        published=meta.published or None,
        url=canonical or None,
        image=image or None,
        image_size=meta.image_size if image else None,
        site=meta.site or None,
        method=method,
    )
