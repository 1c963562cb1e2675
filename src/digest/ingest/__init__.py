"""Ingest: collect articles from the configured sources and clean them."""

from __future__ import annotations

from collections.abc import Iterable

from digest.config import Source
from digest.ingest.clean import classify_block, clean_text
from digest.ingest.local import load_directory, load_file
from digest.models import IngestResult

__all__ = ["classify_block", "clean_text", "collect_articles", "load_directory", "load_file"]


def collect_articles(sources: Iterable[Source]) -> IngestResult:
    """Articles from every source; a failing source is a problem, not the end of the run."""
    articles, problems = [], []
    for source in sources:
        result = load_directory(source.path, source=source.name)
        articles.extend(result.articles)
        problems.extend(result.problems)
    return IngestResult(tuple(articles), tuple(problems))
