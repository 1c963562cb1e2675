"""Near-duplicate articles (one story syndicated under several URLs) merged into one.

Each text becomes the set of its word 5-grams; MinHash signatures estimate the Jaccard
similarity of those sets, and banding (LSH) finds candidate pairs without comparing every
article with every other. Pairs at or above the threshold are merged.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from digest.ingest.identity import canonical_url
from digest.models import Article

SHINGLE = 5
BANDS, ROWS = 20, 3  # 60 hash functions; pairs near 0.5 similarity become candidates
THRESHOLD = 0.5  # estimated Jaccard similarity of the 5-gram sets
CHUNK = 2048  # shingles hashed at once (about 1 MB of working memory)

_rng = np.random.default_rng(20240501)  # fixed: signatures must not change between runs
_A = _rng.integers(1, 2**63, size=BANDS * ROWS, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 2**63, size=BANDS * ROWS, dtype=np.uint64)
_WORD = re.compile(r"\w+")


def shingles(text: str) -> np.ndarray:
    """The hashed word 5-grams of ``text`` (fewer words: the whole text as one)."""
    words = _WORD.findall(text.lower())
    starts = range(len(words) - SHINGLE + 1) if len(words) >= SHINGLE else range(1)
    hashes = (zlib.crc32(" ".join(words[i : i + SHINGLE]).encode()) for i in starts)
    return np.unique(np.fromiter(hashes, dtype=np.uint64, count=len(starts)))


def signature(text: str) -> np.ndarray:
    """The MinHash signature of ``text``: per hash function, the least hash of a shingle."""
    x = shingles(text)
    least = np.full(len(_A), np.iinfo(np.uint64).max, dtype=np.uint64)
    # A slice of the shingles at a time: a long page's hashes at once would take
    # 60 x 8 bytes per word, tens of MB for the longest pages.
    for start in range(0, len(x), CHUNK):
        # Multiply-shift hashing: uint64 arithmetic wraps, which is the point.
        hashed = _A[:, None] * x[None, start : start + CHUNK]
        hashed += _B[:, None]
        hashed >>= np.uint64(32)
        np.minimum(least, hashed.min(axis=1), out=least)
    return least


def similar_groups(texts: Sequence[str], threshold: float = THRESHOLD) -> list[list[int]]:
    """Groups (of two or more indexes into ``texts``) whose texts are near duplicates."""
    # One array for all: a small buffer per text, kept among the texts' freed working
    # copies, would leave the heap in holes.
    signatures = np.empty((len(texts), len(_A)), dtype=np.uint64)
    for i, text in enumerate(texts):
        signatures[i] = signature(text)
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for band in range(BANDS):
        buckets: dict[bytes, list[int]] = {}
        for i, sig in enumerate(signatures):
            buckets.setdefault(sig[band * ROWS : (band + 1) * ROWS].tobytes(), []).append(i)
        for members in buckets.values():
            for j in members[1:]:
                i = members[0]
                if root(i) != root(j) and _estimate(signatures[i], signatures[j]) >= threshold:
                    parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(texts)):
        groups.setdefault(root(i), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def _estimate(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(a == b))


def merge_duplicates(articles: Sequence[Article]) -> list[Article]:
    """One article per story, in the order found: the same URL or a near-identical text.

    The kept article is the one with the longest text; ``sources`` lists the source
    names of every copy, so the digest can show all outlets that ran the story.
    """
    group_of = list(range(len(articles)))  # index -> first index of its story
    for group in [*_same_url_groups(articles), *similar_groups([a.text for a in articles])]:
        first = min(group_of[i] for i in group)
        old = {group_of[i] for i in group}
        group_of = [first if g in old else g for g in group_of]
    stories: dict[int, list[int]] = {}
    for i, first in enumerate(group_of):
        stories.setdefault(first, []).append(i)
    merged = []
    for group in stories.values():
        if len(group) == 1:
            merged.append(articles[group[0]])
            continue
        keep = max(group, key=lambda i: len(articles[i].text))
        names = [n for i in group for n in _names(articles[i])]
        ids = [k for i in group for k in articles[i].ids]
        merged.append(
            replace(
                articles[keep],
                sources=tuple(dict.fromkeys(names)),
                ids=tuple(dict.fromkeys(ids)),
            )
        )
    return merged


def _names(article: Article) -> tuple[str, ...]:
    return article.sources or ((article.source,) if article.source else ())


def _same_url_groups(articles: Sequence[Article]) -> list[list[int]]:
    by_url: dict[str, list[int]] = {}
    for i, article in enumerate(articles):
        if article.url:
            by_url.setdefault(canonical_url(article.url), []).append(i)
    return [g for g in by_url.values() if len(g) > 1]
