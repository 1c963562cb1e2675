"""Ingest: collect articles from the configured sources and clean them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from digest.config import Source
from digest.filters import apply_filters
from digest.ingest.clean import classify_block, clean_text
from digest.ingest.local import load_directory, load_file
from digest.models import Article, IngestResult, Problem

__all__ = [
    "classify_block",
    "clean_text",
    "collect_articles",
    "load_directory",
    "load_file",
    "newest_first",
]


def collect_articles(sources: Iterable[Source]) -> IngestResult:
    """Articles from every local directory source; a failing one is a problem, not the end.

    Feed, page and OPML sources are read by ``digest.ingest.web`` (they need the state
    store between fetching feeds and fetching pages).
    """
    articles: list[Article] = []
    problems: list[Problem] = []
    filtered: list[tuple[str, str, int]] = []
    for source in sources:
        if source.path is None:
            continue
        result = load_directory(source.path, source=source.name)
        found, removed = apply_filters(result.articles, lambda a: a, source.filters)
        found = [
            replace(a, section=source.section or a.section, feed=source.location) for a in found
        ]
        if source.max_items is not None:
            found = newest_first(found)[: source.max_items]
        articles.extend(found)
        problems.extend(result.problems)
        filtered.extend((source.location, rule, count) for rule, count in removed.items())
    return IngestResult(tuple(articles), tuple(problems), tuple(filtered))


def newest_first(articles: Iterable[Article]) -> list[Article]:
    """Newest first; undated articles after the dated ones, in the order found."""
    articles = list(articles)
    dated = sorted((a for a in articles if a.published), key=_published, reverse=True)
    return dated + [a for a in articles if not a.published]


def _published(article: Article) -> datetime:
    assert article.published is not None  # only dated articles are sorted
    return article.published
