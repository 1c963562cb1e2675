"""Articles from the web: feeds (RSS, Atom, JSON Feed, OPML lists of them) and pages.

Two steps, so that what the state store already knows is never fetched twice:
``read_sources`` fetches every feed and page source and turns it into items (a feed
item may be only a teaser); the caller keeps the items it wants; ``complete_items``
fetches the page of each teaser left and extracts its full text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from digest.config import ALL_CORES, Source, Workers
from digest.filters import apply_filters
from digest.ingest.clean import clean_blocks, has_article_text, safe_article
from digest.ingest.extract import extract_html
from digest.ingest.feed_titles import ItemTitle, clean_feed_titles, feed_sites
from digest.ingest.feeds import FeedError, parse_feed
from digest.ingest.fetch import (
    DEFAULT_OPTIONS,
    Failure,
    FetchOptions,
    Progress,
    Request,
    fetch_all,
    fetch_each,
)
from digest.ingest.identity import canonical_url, item_id, stable_guids
from digest.ingest.opml import OpmlError, Outline, parse_opml, read_opml
from digest.ingest.pool import WorkerDied, run_each
from digest.ingest.titles import lead_title, name_key
from digest.models import Article, ImageSize, Problem, Response, parse_datetime
from digest.text import count_words, is_cjk, split_sentences
from digest.urls import credentials, is_web_url, join_url, without_userinfo

# A feed summary shorter than this is a teaser: the article is fetched from its page.
TEASER_WORDS = 150
# Full content shorter than this is a teaser too (some feeds put one in content:encoded).
FULL_TEXT_MIN_WORDS = 40
_CUT_OFF = re.compile(r"(…|\.\.\.|\[…\]|\[\.\.\.\]|read more\W*|continue reading\W*)$", re.I)
_SENTENCE_END = re.compile(r"[.!?。！？][\"'”’»)\]]*$")
HTML_TYPES = ("text/html", "application/xhtml+xml")
MIN_PAGE_CHARS = 200

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebItem:
    """One item from a feed or page source; ``article.ids`` holds its identity."""

    article: Article
    source: Source  # the configured source (for OPML, one per feed it lists)
    location: str  # the feed or page URL it came from
    teaser: bool = False
    untitled: bool = False  # its title is the text's lead or the outlet's name: the page's wins


@dataclass(frozen=True)
class WebSources:
    items: tuple[WebItem, ...]
    problems: tuple[Problem, ...]
    responses: tuple[Response, ...]  # new full responses, to remember for conditional GET
    ok: tuple[str, ...]  # feed and page URLs read without error
    failed: tuple[str, ...]  # feed and page URLs (and OPML files) that failed
    # (feed or page URL, rule, items it removed) for each filter rule that removed any
    filtered: tuple[tuple[str, str, int], ...] = ()


class _SourceError(Exception):
    pass


def read_sources(
    sources: Iterable[Source],
    cached: Callable[[str], Response | None] = lambda url: None,
    options: FetchOptions = DEFAULT_OPTIONS,
    progress: Progress | None = None,
) -> WebSources:
    """Fetch every feed and page source; a failing one is a problem, the rest go on.

    ``cached`` gives the earlier response to a URL, if one was kept: its validators make
    the request conditional, and a 304 reuses its body.
    """
    problems: list[Problem] = []
    failed: list[str] = []
    targets: dict[str, _Target] = {}  # one fetch per URL
    for source in sources:
        if source.opml:
            try:
                outlines, trusted = _opml_outlines(source.opml, options, source.headers)
            except OpmlError as exc:
                problems.append(Problem(source.location, str(exc)))
                failed.append(source.location)
                continue
            for feed in listed_feeds(source, outlines):
                targets[feed.location] = _Target(feed, trusted)
        elif source.feed or source.page:
            targets[source.location] = _Target(source, trusted=True)
    cache = {url: r for url in targets if (r := cached(url)) is not None}
    requests = [
        Request(
            url,
            cache[url].etag if url in cache else None,
            cache[url].last_modified if url in cache else None,
            auth=credentials(target.source.feed or target.source.page or ""),
            trusted=target.trusted,
            headers=target.source.headers,
        )
        for url, target in targets.items()
    ]
    outcomes = fetch_all(requests, options, progress)
    items: list[WebItem] = []
    responses: list[Response] = []
    ok: list[str] = []
    filtered: list[tuple[str, str, int]] = []
    for (url, target), outcome in zip(targets.items(), outcomes, strict=True):
        source = target.source
        try:
            if isinstance(outcome, Failure):
                raise _SourceError(outcome.reason)
            if outcome.not_modified:
                if url not in cache:
                    raise _SourceError("answered 304 Not Modified to an unconditional request")
                outcome = cache[url]
            else:
                responses.append(outcome)
            if source.feed:
                found, warning = _feed_items(outcome, source)
                if warning:
                    problems.append(Problem(url, warning))
            else:
                found = [_page_item(outcome, source)]
        except _SourceError as exc:
            problems.append(Problem(url, str(exc)))
            failed.append(url)
            continue
        except Exception as exc:  # a parser's bug on odd input must not stop the others
            problems.append(Problem(url, _unexpected(exc, url)))
            failed.append(url)
            continue
        ok.append(url)
        kept, removed = apply_filters(found, lambda item: item.article, source.filters)
        items.extend(kept)
        filtered.extend((url, rule, count) for rule, count in removed.items())
    return WebSources(
        tuple(items), tuple(problems), tuple(responses), tuple(ok), tuple(failed), tuple(filtered)
    )


def listed_feeds(source: Source, outlines: Iterable[Outline]) -> list[Source]:
    """The feeds an OPML source lists, each a feed source with the list's settings."""
    return [replace(source, opml=None, feed=o.url, name=source.name or o.title) for o in outlines]


@dataclass(frozen=True)
class _Target:
    source: Source
    trusted: bool  # named by the user (see Request.trusted)


def _opml_outlines(
    location: Path | str, options: FetchOptions, headers: tuple[tuple[str, str], ...] = ()
) -> tuple[list[Outline], bool]:
    """The feeds an OPML file or URL lists, and whether they are the user's own choice.

    A local file is the user's (an export of their reader); a list fetched from a URL is
    whoever serves it, and its feeds are held to ``fetch_private`` like any link.
    """
    if isinstance(location, Path):
        return read_opml(location), True
    request = Request(
        without_userinfo(location), auth=credentials(location), trusted=True, headers=headers
    )
    (outcome,) = fetch_all([request], options)
    if isinstance(outcome, Failure):
        raise OpmlError(outcome.reason)
    return parse_opml(outcome.body), False


def _feed_items(response: Response, source: Source) -> tuple[list[WebItem], str | None]:
    try:
        feed = parse_feed(response.body, response.content_type, response.charset)
    except FeedError as exc:
        raise _SourceError(str(exc)) from exc
    stable = stable_guids(e.guid for e in feed.entries)
    name = source.name or feed.title or urlsplit(response.final_url).hostname
    links = [join_url(response.final_url, entry.link) for entry in feed.entries]
    sites = feed_sites(feed.title, (feed.link, response.final_url))
    if source.name:
        sites.insert(0, source.name)
    cleaned = clean_feed_titles(
        [
            ItemTitle(e.title, e.categories, tuple(filter(None, (e.publisher, link))))
            for e, link in zip(feed.entries, links, strict=True)
        ],
        sites,
    )
    items = []
    for entry, link, feed_title in zip(feed.entries, links, cleaned, strict=True):
        # javascript:, data:, file: and malformed links are never followed, never shown.
        blocks = clean_blocks(entry.blocks)
        # A title that was only the outlet's name is none: the page's, or the lead's, instead.
        untitled = bool(entry.title) and not feed_title
        title = feed_title or entry.title or (blocks[0][:90] if blocks else "")
        if untitled and blocks:
            title = lead_title(blocks[0])
        if not title or not (blocks or link):
            continue
        text = "\n\n".join(blocks)
        url = canonical_url(link) if link else None
        article = Article(
            title=title,
            text=text,
            origin=link or response.url,
            url=url,
            source=name,
            published=entry.published,
            author=entry.author,
            image=(image := join_url(response.final_url, entry.image)),
            image_size=entry.image_size if image else None,
            section=source.section,
            ids=(item_id(response.url, entry.guid, link, title, text, entry.guid in stable),),
        )
        partial = _is_teaser(text, entry.full)
        if partial:  # shown as it is if its page cannot be read: end it cleanly
            article = replace(article, text=end_teaser(text))
        article = safe_article(article)
        teaser = bool(link) and partial
        items.append(WebItem(article, source, response.url, teaser, untitled or not entry.title))
    return items, feed.warning


def _is_teaser(text: str, full: bool) -> bool:
    """Whether a feed gave only the start of the article: short, or visibly cut off."""
    limit = FULL_TEXT_MIN_WORDS if full else TEASER_WORDS
    words = count_words(text)  # a Chinese or Japanese character counts as a word...
    if is_cjk(text):
        words //= 2  # ...but a word there is about two characters
    return words < limit or bool(_CUT_OFF.search(text))


def end_teaser(text: str) -> str:
    """A teaser that stops at a sentence end; else at a word boundary, with an ellipsis.

    Feeds cut summaries at a length ("... have not always taken t[…]"); only the last
    paragraph can be cut, and the cut-off marker goes with it.
    """
    *before, last = text.split("\n\n")
    last = _CUT_OFF.sub("", last.rstrip()).rstrip()
    if not _SENTENCE_END.search(last):
        sentences = split_sentences(last)
        whole = sentences[:-1]
        if whole and _SENTENCE_END.search(whole[-1]):
            last = " ".join(whole)
        elif " " in last:
            last = last.rsplit(" ", 1)[0].rstrip(" ,;:–—-") + "…"
        elif last:
            last += "…"
    return "\n\n".join([*before, last] if last else before)


def _page_item(response: Response, source: Source) -> WebItem:
    article = page_article(response, need_date=True)
    if article is None:
        raise _SourceError("no article text found in the page")
    article = replace(
        article,
        source=source.name or article.source,
        section=source.section,
        ids=("url:" + (article.url or canonical_url(response.final_url)),),
    )
    return WebItem(article, source, response.url)


def page_article(response: Response, *, need_date: bool = True) -> Article | None:
    """The article in a fetched page; raises _SourceError for what is not a page.

    ``need_date=False`` says the caller has the date already (from the feed), so the
    page's own date is not searched for. Plain data in and out: it may run in a worker
    process.
    """
    if not response.body.strip():
        raise _SourceError("empty page")
    if response.content_type and response.content_type not in HTML_TYPES:
        raise _SourceError(f"not an HTML page ({response.content_type})")
    extracted = extract_html(
        response.body, response.final_url, charset=response.charset, with_date=need_date
    )
    if extracted is None:
        return None
    blocks = extracted.text.splitlines()  # extract_html has cleaned them
    title = " ".join((extracted.title or "").split())
    if blocks and blocks[0] == title:
        blocks = blocks[1:]
    # A page of short lines (a poem, a list) has no sentence but may still be the article.
    if not (has_article_text(blocks) or sum(len(b) for b in blocks) >= MIN_PAGE_CHARS):
        return None
    url = canonical_url(extracted.url or response.final_url)
    article = Article(
        title=title or lead_title(blocks[0]),
        text="\n\n".join(blocks),
        origin=response.url,
        url=url if is_web_url(url) else canonical_url(response.final_url),
        source=extracted.site,
        published=parse_datetime(extracted.published),
        author=extracted.author,
        image=(image := join_url(response.final_url, extracted.image)),
        image_size=extracted.image_size if image else None,
    )
    return safe_article(article)


def complete_items(
    items: Sequence[WebItem],
    options: FetchOptions = DEFAULT_OPTIONS,
    progress: Progress | None = None,
    workers: Workers = ALL_CORES,
) -> tuple[list[Article], list[Problem]]:
    """The articles of ``items``, each teaser replaced by the full text of its page.

    When a page cannot be had, the teaser stays (a problem says why), if it has text.
    Pages are extracted as they arrive, by ``workers``, while the next ones are fetched.
    """
    teasers = [i for i, item in enumerate(items) if item.teaser and item.article.url]
    # A site that wants a User-Agent for its feed wants it for its pages too.
    requests = [Request(items[i].article.origin, headers=items[i].source.headers) for i in teasers]
    pages: dict[int, Article | str] = {}  # item index -> its page's article, or why none
    # One copy of each text: a syndicated page, linked from several feeds, arrives once
    # per link, and every article is held until the issue is made.
    texts: dict[str, str] = {}

    def settle(i: int, page: Article | str) -> None:
        if isinstance(page, Article):
            page = replace(page, text=texts.setdefault(page.text, page.text))
        pages[i] = page
        if progress:
            progress(len(pages), len(requests), items[i].article.origin)

    def jobs() -> Iterator[tuple[int, tuple[Response, bool]]]:
        # The feed's date wins, so the page's date is only looked for when it has none.
        for n, outcome in fetch_each(requests, options, ahead=options.connections):
            i = teasers[n]
            if isinstance(outcome, Failure):
                settle(i, outcome.reason)
            else:
                yield i, (outcome, items[i].article.published is None)

    for i, done in run_each(_read_page, jobs(), workers, len(requests)):
        try:
            settle(i, done.result())
        except WorkerDied as exc:
            settle(i, str(exc))
        except Exception as exc:  # a worker's bug, or one the executor saw
            settle(i, _unexpected(exc, items[i].article.origin))
    articles: list[Article] = []
    problems: list[Problem] = []
    for i, item in enumerate(items):
        article = item.article
        page = pages.pop(i, None)
        if isinstance(page, str):
            kept = "the feed's teaser is used" if article.text else "item skipped"
            problems.append(Problem(article.origin, f"{page}; {kept}"))
        elif page is not None and len(page.text) > len(article.text):
            image, image_size = _image_of(article, page)
            article = replace(
                article,
                title=_better_title(article.title, page, item.untitled),
                text=page.text,
                published=article.published or page.published,
                author=article.author or page.author,
                image=image,
                image_size=image_size,
            )
        if article.text:
            articles.append(article)
    return articles, problems


def _image_of(article: Article, page: Article) -> tuple[str | None, ImageSize | None]:
    """The feed's image, else the page's, each with its own size; the page may know the
    size of the very image the feed named without one."""
    if not article.image:
        return page.image, page.image_size
    if article.image_size is None and article.image == page.image:
        return article.image, page.image_size
    return article.image, article.image_size


def _better_title(feed_title: str, page: Article, untitled: bool) -> str:
    """The feed's title, unless the page's is clearly better.

    It is when the feed gave none, or when the page's names for its site cut the feed's
    down to the page's: "Outlet: Story" from a feed that does not call itself "Outlet",
    whose page's og:site_name does. A page's title that merely differs, or is shorter
    ("Story: its subtitle" cut to "Story"), does not win.
    """
    if not page.title or page.title == feed_title:
        return feed_title
    if untitled:
        return page.title
    (cleaned,) = clean_feed_titles([ItemTitle(feed_title)], feed_sites(page.source, [page.url]))
    return page.title if cleaned and name_key(cleaned) == name_key(page.title) else feed_title


def _read_page(job: tuple[Response, bool]) -> Article | str:
    """The article in a fetched page, or why there is none; runs in a worker process."""
    response, need_date = job
    try:
        page = page_article(response, need_date=need_date)
    except _SourceError as exc:
        return str(exc)
    except Exception as exc:  # a parser's bug on odd input
        return _unexpected(exc, response.url)
    return page if page is not None else "no article text found in the page"


def _unexpected(exc: Exception, url: str) -> str:
    """One line for an error no check foresaw; the traceback goes to the debug log."""
    log.debug("unexpected error reading %s", url, exc_info=exc)
    return " ".join(f"cannot be read ({type(exc).__name__}: {exc})".split())


def newest_per_source(items: Sequence[WebItem]) -> list[WebItem]:
    """``items`` in order, but no more from one source than its ``max_items`` (newest)."""
    by_source: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        by_source.setdefault(item.location, []).append(i)
    dropped: set[int] = set()
    for members in by_source.values():
        limit = items[members[0]].source.max_items
        if limit is not None and len(members) > limit:
            members.sort(key=lambda i: _age(items[i].article))
            dropped.update(members[limit:])
    return [item for i, item in enumerate(items) if i not in dropped]


def _age(article: Article) -> tuple[int, float]:
    return (0, -article.published.timestamp()) if article.published else (1, 0.0)
