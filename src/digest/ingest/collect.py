"""Collect: every configured source read, and what is new in it kept.

``collect`` reads the sources (local directories, feeds, pages and OPML lists), asks the
memory of earlier runs (the store, read only) what is new, completes the new items' teasers
from their pages, and returns the articles with a ``RunRecord``: what the run learned, for
the store to write in one transaction. It never writes anything itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from digest.config import Config, Source
from digest.ingest import collect_articles
from digest.ingest.fetch import DEFAULT_OPTIONS, FetchOptions, Progress
from digest.ingest.fresh import Candidate, cap_per_source, select_fresh, window_start
from digest.ingest.web import complete_items, newest_per_source, read_sources
from digest.models import (
    Article,
    Item,
    ItemRecord,
    ItemStatus,
    Problem,
    Response,
    RunRecord,
    RunStatus,
    items_of,
)


class Memory(Protocol):
    """What collecting asks of earlier runs (``digest.state.Store`` answers it)."""

    def items(self, ids: Iterable[str]) -> dict[str, ItemRecord]: ...
    def used_urls(self, urls: Iterable[str]) -> set[str]: ...
    def known_feeds(self) -> dict[str, datetime | None]: ...
    def last_success(self) -> datetime | None: ...
    def cached(self, urls: Iterable[str]) -> dict[str, Response]: ...


@dataclass(frozen=True)
class Collected:
    """What the sources gave: articles, problems, and what the store should learn."""

    articles: list[Article]
    problems: list[Problem]
    failed: list[str]  # the sources that failed
    sources: int  # feeds, pages and directories read
    run: RunRecord


def collect(
    config: Config,
    memory: Memory,
    now: datetime,
    progress: Progress | None = None,
    fetch_options: FetchOptions = DEFAULT_OPTIONS,
) -> Collected:
    """Articles from every source that no sent issue used; feed and page items only when
    the freshness rule says they are new. ``memory`` is only read: what the run learned
    comes back as ``run``, for the store to write."""
    local_sources = [s for s in config.sources if s.path is not None]
    web_sources = [s for s in config.sources if s.path is None]
    ingested = collect_articles(local_sources)
    articles, problems = _unused(list(ingested.articles), memory), list(ingested.problems)
    failed = [str(s.path) for s in local_sources if s.path and not s.path.is_dir()]
    seen = tuple(item for article in articles for item in items_of(article))
    read = tuple(s.location for s in local_sources if s.location not in failed)
    run = RunRecord(
        started=now,
        finished=now,
        status=RunStatus.OK,
        seen=seen,
        read=read,
        filtered=ingested.filtered,
    )
    sources = len(local_sources)
    if web_sources:
        web, web_run = _collect_web(config, web_sources, memory, now, progress, fetch_options)
        run = replace(
            web_run,
            seen=seen + web_run.seen,
            read=read + web_run.read,
            filtered=ingested.filtered + web_run.filtered,
        )
        articles += web.articles
        problems += web.problems
        failed += web.failed
        sources += web.sources
    return Collected(articles, problems, failed, sources, run)


def _unused(articles: list[Article], memory: Memory) -> list[Article]:
    """The local articles no sent issue used: a file goes out once."""
    records = memory.items(key for a in articles for key in a.ids)
    used = {key for key, record in records.items() if record.status == ItemStatus.USED}
    return [a for a in articles if not used.intersection(a.ids)]


@dataclass(frozen=True)
class _Web:
    articles: list[Article]
    problems: list[Problem]
    failed: tuple[str, ...]
    sources: int


def _collect_web(
    config: Config,
    sources: Sequence[Source],
    memory: Memory,
    now: datetime,
    progress: Progress | None,
    options: FetchOptions,
) -> tuple[_Web, RunRecord]:
    """Fetch the feeds and pages, keep what the store says is new, complete the teasers."""
    # One policy for every request: the URLs the user configured are fetched wherever they
    # are; any other host (a redirect's, an OPML list's feeds, the pages items link to) is
    # chosen by someone else and must be public unless fetch_private says otherwise.
    options = replace(options, private=options.private and config.fetch_private)
    read = read_sources(sources, lambda url: _response(memory, url), options, progress)
    by_id = {item.article.ids[0]: item for item in read.items}
    candidates = [
        Candidate(i.article.ids[0], i.location, i.article.url, i.article.published)
        for i in read.items
    ]
    start = window_start(config.window, now, memory.last_success())
    fresh, skipped = select_fresh(
        candidates,
        memory.items(c.id for c in candidates),
        memory.used_urls(c.url for c in candidates if c.url),
        memory.known_feeds(),
        start,
        config.new_feed_items,
        # A source added now has had no last run: its window is a first run's.
        new_feed_start=window_start(config.window, now, None),
    )
    fresh, over, capped = cap_per_source(fresh, config.max_new_items)
    skipped += over
    cut = [
        Problem(
            feed,
            f"{count} new items in one run; took the newest {config.max_new_items} and "
            "skipped the rest for good (max_new_items in digest.toml)",
        )
        for feed, count in capped.items()
    ]
    chosen = newest_per_source([by_id[c.id] for c in fresh])
    articles, page_problems = complete_items(chosen, options, progress, config.workers)
    feeds = {item.article.ids[0]: item.location for item in chosen}
    failed = set(read.failed)
    run = RunRecord(
        started=now,
        finished=now,
        status=RunStatus.OK,
        seen=tuple(
            Item(c.id, c.feed, c.url, by_id[c.id].article.title, c.published) for c in candidates
        ),
        skipped=tuple(skipped),
        feeds_ok=read.ok,
        feeds_failed=tuple((p.origin, p.message) for p in read.problems if p.origin in failed),
        responses=tuple(read.responses),
        forget_before=forget_before(config, now, start),
        read=read.ok,
        filtered=read.filtered,
    )
    web = _Web(
        [replace(a, feed=feeds.get(a.ids[0]) if a.ids else None) for a in articles],
        [*read.problems, *cut, *page_problems],
        read.failed,
        len(read.ok) + len(read.failed),
    )
    return web, run


# How long the store keeps an item its source no longer lists: long enough that a feed
# which drops an item and lists it again (a CMS glitch, a feed cut to its newest few)
# finds it known, so the item is not taken as new a second time.
KEEP_UNLISTED = timedelta(days=30)


def forget_before(config: Config, now: datetime, start: datetime | None) -> datetime:
    """Items unlisted since this are forgotten: before the window and the stories
    remembered for updates, and at least ``KEEP_UNLISTED`` ago."""
    earliest = now - max(KEEP_UNLISTED, timedelta(days=config.stories.remember_days))
    return min(earliest, start) if start is not None else earliest


def _response(memory: Memory, url: str) -> Response | None:
    return memory.cached([url]).get(url)
