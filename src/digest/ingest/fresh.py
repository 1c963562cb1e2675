"""What is new: the pure rule that decides which feed items a digest may use.

Given plain data (the candidates a run found and what the store remembers of them), it
decides; it never touches the store itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from digest.models import ItemRecord, ItemStatus


@dataclass(frozen=True)
class Candidate:
    """What selection needs to know of an item."""

    id: str
    feed: str
    url: str | None = None
    published: datetime | None = None


def window_start(
    window: timedelta | None, now: datetime, last_success: datetime | None
) -> datetime | None:
    """The earliest time a build looks back to (``window`` None: since the last good run);
    None means no bound."""
    return now - window if window is not None else last_success


def select_fresh(
    candidates: Sequence[Candidate],
    records: dict[str, ItemRecord],
    used_urls: set[str],
    known_feeds: Mapping[str, datetime | None],
    start: datetime | None,
    new_feed_items: int,
    *,
    new_feed_start: datetime | None,
) -> tuple[list[Candidate], list[str]]:
    """The candidates a build may use, in their order, and the ids to skip for good.

    An item is fresh when no digest used it (by id or by canonical URL) and:

    - seen before: it falls in the window, published since ``start`` (first seen, when
      undated), or it was first seen in the last run and not used then (so a cut by
      ``max_items`` does not lose it);
    - never seen, from a feed read before (``known_feeds``: feed -> its last good read):
      it is undated, or published since ``start`` or since that read (a post made
      while the feed was down). One dated earlier, that the feed did not list then, is
      late: back-dated, or the feed changed its ids. The newest ``new_feed_items`` late
      items of a feed are fresh, the rest skipped for good, so new ids do not flood;
    - from a feed seen for the first time: its newest ``new_feed_items`` items published
      since ``new_feed_start`` (the window of a first run: no bound for "since-last-run",
      whose last run this feed never had), however many runs came before it was added;
      the rest of its back catalogue is skipped for good, whatever the window later.
    """
    fresh: list[int] = []
    late: dict[str, list[int]] = {}  # known feed -> its never-seen items dated before
    for i, c in enumerate(candidates):
        record = records.get(c.id)
        if (record and record.status != ItemStatus.NEW) or (c.url and c.url in used_urls):
            continue
        first_seen = record.first_seen if record else None
        when = c.published or first_seen
        if c.feed not in known_feeds:
            # A new source: the window of a first run, whenever it is added; the newest
            # few are kept below.
            if new_feed_start is None or when is None or when >= new_feed_start:
                fresh.append(i)
        elif (
            start is None
            or when is None
            or when >= start
            or (first_seen is not None and first_seen >= start)
        ):
            fresh.append(i)
        elif record is None:
            read = known_feeds[c.feed]
            if read is not None and when >= read:
                fresh.append(i)  # posted while the feed could not be read
            else:
                late.setdefault(c.feed, []).append(i)
    # A feed seen for the first time: its newest few fresh items, and nothing else ever.
    kept = set(fresh)
    by_feed: dict[str, list[int]] = {}
    for i, c in enumerate(candidates):
        if c.feed not in known_feeds:
            by_feed.setdefault(c.feed, []).append(i)
    skipped: list[str] = []
    for members in by_feed.values():
        newest = sorted(
            (i for i in members if i in kept), key=lambda i: _newest_first(candidates[i])
        )
        admitted = set(newest[:new_feed_items])
        for i in members:
            if i not in admitted:
                kept.discard(i)
                skipped.append(candidates[i].id)
    # Late items of a known feed: its newest few, and the rest never (a feed that changed
    # every id would otherwise send its whole back catalogue again).
    for members in late.values():
        members.sort(key=lambda i: _newest_first(candidates[i]))
        kept.update(members[:new_feed_items])
        skipped.extend(candidates[i].id for i in members[new_feed_items:])
    return [candidates[i] for i in sorted(kept)], skipped


def _newest_first(c: Candidate) -> tuple[int, float]:
    return (0, -c.published.timestamp()) if c.published else (1, 0.0)


def cap_per_source(
    fresh: Sequence[Candidate], limit: int
) -> tuple[list[Candidate], list[str], dict[str, int]]:
    """At most ``limit`` of ``fresh`` from any one source (its newest), so that one source
    cannot fill a run with its pages to fetch; the rest are skipped for good, or a source
    that lists thousands of new items would hand over the next ``limit`` every run.

    Returns the kept candidates in their order, the ids to skip, and the sources cut
    with how many fresh items each had.
    """
    by_feed: dict[str, list[int]] = {}
    for i, c in enumerate(fresh):
        by_feed.setdefault(c.feed, []).append(i)
    dropped: set[int] = set()
    capped: dict[str, int] = {}
    for feed, members in by_feed.items():
        if len(members) > limit:
            members.sort(key=lambda i: _newest_first(fresh[i]))
            dropped.update(members[limit:])
            capped[feed] = len(members)
    kept = [c for i, c in enumerate(fresh) if i not in dropped]
    return kept, [fresh[i].id for i in sorted(dropped)], capped
