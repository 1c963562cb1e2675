"""What the store knows of each configured source, for `digest sources`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from digest.config import Config, Source
from digest.ingest.opml import OpmlError, read_opml
from digest.ingest.web import listed_feeds
from digest.state import open_store


@dataclass(frozen=True)
class SourceStatus:
    """One configured source as the store knows it, for `digest sources`."""

    source: str  # the feed or page URL, or the directory
    kind: str  # feed, page or directory
    name: str | None = None
    last_attempt: datetime | None = None
    last_ok: datetime | None = None
    last_error: str | None = None
    failures: int = 0  # attempts in a row that failed
    seen: int = 0  # items seen
    used: int = 0  # items that went out in an issue
    # how many items each filter rule removed when the source was last read
    filtered: dict[str, int] = field(default_factory=dict)


def source_statuses(config: Config) -> list[SourceStatus]:
    """Every configured source (each feed of an OPML list) with what the store knows."""
    with open_store(config.state_dir, preview=True) as store:
        records = {record.url: record for record in store.sources()}
        counts = store.item_counts()
        filtered = store.filtered()
    statuses = []
    for source, location, kind in _expand(config.sources):
        seen, used = counts.get(location, (0, 0))
        status = SourceStatus(
            location, kind, source.name, seen=seen, used=used, filtered=filtered.get(location, {})
        )
        if (record := records.get(location)) is not None:
            status = replace(
                status,
                last_attempt=record.last_attempt,
                last_ok=record.last_ok,
                last_error=record.last_error,
                failures=record.failures,
            )
        statuses.append(status)
    return statuses


def _expand(sources: Sequence[Source]) -> list[tuple[Source, str, str]]:
    """(source, location, kind) of each source, an OPML list's feeds one by one."""
    found = []
    for source in sources:
        if isinstance(source.opml, Path):
            try:
                outlines = read_opml(source.opml)
            except OpmlError:
                found.append((source, source.location, "opml"))
                continue
            found += [(feed, feed.location, "feed") for feed in listed_feeds(source, outlines)]
        else:
            # An OPML list at a URL is listed as itself: its feeds are known once fetched.
            kinds = (("directory", source.path), ("page", source.page), ("opml", source.opml))
            kind = next((name for name, where in kinds if where), "feed")
            found.append((source, source.location, kind))
    return found
