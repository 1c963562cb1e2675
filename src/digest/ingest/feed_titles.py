"""Feed items' titles without the outlet's and sections' names the feed added to them.

Feeds title their items "Story - Outlet" (Google News), "Story | Section | Outlet",
"Outlet: Story", "Story « Outlet", "Section » Story". A feed says what its chrome is in
three ways: its channel title and addresses name the outlet; an item's <category> names
its section; and a segment that several items share ("| Politics | Harbour Times") is no
one story's title. Only segments at a title's ends that one of these names are cut, and a
cut always leaves a story's title: a title that is nothing but chrome is None.

Pure functions over strings; :mod:`digest.ingest.titles` knows what a site's name and a
section look like, for pages and feeds alike.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from digest.ingest.titles import (
    is_chrome,
    name_key,
    site_keys,
    strong_spans,
    title_size,
    weak_spans,
)

_DIGIT = re.compile(r"\d")
# Distinct titles that must share a segment for it to be chrome on that evidence alone.
MIN_REPEATS = 2
# A colon's prefix names a speaker as often as a label ("Trump: I will not resign"): on
# repetition alone it is chrome only when most of the feed's titles, and at least this
# many, begin with it.
MIN_COLON_REPEATS = 3
# A cut on repetition alone leaves a title at least this long, and as long as the cut.
MIN_TITLE_WORDS = 2


@dataclass(frozen=True)
class ItemTitle:
    """A feed item's title as the feed gives it, with the names the item itself carries."""

    title: str
    sections: tuple[str, ...] = ()  # its <category>s
    sites: tuple[str, ...] = ()  # its outlet's names: an aggregator's <source>, its link's host


def feed_sites(title: str | None, addresses: Iterable[str | None] = ()) -> list[str]:
    """The names a feed gives its outlet: its title and the parts of it, its hosts.

    A channel titled "Harbour Times - Politics" or "Harbour Times: Latest" names the
    outlet "Harbour Times".
    """
    sites: list[str] = []
    if title:
        sites.append(title)
        for spans in (strong_spans(title), weak_spans(title)):
            parts = [title[a:b].strip() for a, b in spans]
            sites.extend(p for p in parts if len(parts) > 1 and not is_chrome(p))
    for address in addresses:
        with contextlib.suppress(ValueError):
            if address and (host := urlsplit(address).hostname):
                sites.append(host)
    return list(dict.fromkeys(sites))


def clean_feed_titles(items: Sequence[ItemTitle], sites: Sequence[str]) -> list[str | None]:
    """Each item's title without the chrome the feed added; None where it is all chrome.

    ``sites`` are the feed's names for its outlet (:func:`feed_sites`).
    """
    keys = site_keys(sites)
    titles = list(dict.fromkeys(item.title for item in items))  # a repost is no evidence
    shared: Counter[str] = Counter()
    openers: Counter[str] = Counter()
    for title in titles:
        spans = strong_spans(title)
        if len(spans) > 1:
            shared.update({name_key(title[a:b]) for a, b in spans})
        weak = weak_spans(title)
        if len(weak) > 1:
            openers[name_key(title[slice(*weak[0])])] += 1
    repeated = {key for key, n in shared.items() if n >= MIN_REPEATS}
    labels = {key for key, n in openers.items() if n >= MIN_COLON_REPEATS and 2 * n > len(titles)}
    return [_clean(item, keys, repeated, labels) for item in items]


def _clean(
    item: ItemTitle, keys: tuple[str, ...], repeated: set[str], labels: set[str]
) -> str | None:
    """``item``'s title without the chrome at its ends, or None if it is all chrome."""
    title = item.title
    keys = (*keys, *site_keys(item.sites))
    sections = {name_key(s) for s in item.sections} - {""}

    def is_title(text: str) -> bool:
        """Whether ``text`` can be a story's title: more than a name of the outlet's.

        A site's name and two words more may be a story about it ("Twitter cuts jobs" in
        a feed of twitter.com's), and a number names a story where a page's title would
        take it for a date ("Story 3", "Archive story 0").
        """
        key = name_key(text)
        if key in keys or key in sections:
            return False
        return not is_chrome(text) or bool(_DIGIT.search(text))

    def is_cut(part: str, rest: str, shared: set[str] = repeated) -> bool:
        """Whether ``part`` is chrome to cut, leaving ``rest`` as the story's title.

        ``shared``: the segments the feed's titles share, chrome where ``rest`` is large.
        """
        if not is_title(rest):
            return False
        key = name_key(part)
        if is_chrome(part, keys) or key in sections:
            return True
        size = title_size(rest)
        return key in shared and size >= MIN_TITLE_WORDS and size >= title_size(part)

    # The outlet's "Outlet: " first, lest it take the story's first words along as one
    # segment ("Outlet: Story - its subtitle"); a section's may come out after the rest.
    title = _cut_opener(title, is_cut, labels, keys)
    spans = strong_spans(title)
    while len(spans) > 1:
        for k in range(1, len(spans)):
            # The end first: "Story | Section | Outlet" is the commoner form.
            if is_cut(title[spans[-k][0] : spans[-1][1]], title[spans[0][0] : spans[-k - 1][1]]):
                spans = spans[:-k]
                break
            if is_cut(title[spans[0][0] : spans[k - 1][1]], title[spans[k][0] : spans[-1][1]]):
                spans = spans[k:]
                break
        else:
            break
    title = _cut_opener(title[spans[0][0] : spans[-1][1]], is_cut, labels, keys)
    return title if is_title(title) else None


def _cut_opener(
    title: str,
    is_cut: Callable[[str, str, set[str]], bool],
    labels: set[str],
    keys: tuple[str, ...],
) -> str:
    """``title`` without a "Name: " opener that ``is_cut`` or ``labels`` call chrome.

    A label made only of section words ("Review: ...", "Analysis: ...") is the headline's
    own: it says what kind of story it is, unless it is the outlet's name ("National
    Review: ...").
    """
    weak = weak_spans(title)
    if len(weak) < 2:
        return title
    opener, rest = title[slice(*weak[0])], title[weak[1][0] :]
    if is_chrome(opener) and name_key(opener) not in keys:
        return title
    return rest if is_cut(opener, rest, labels) else title
