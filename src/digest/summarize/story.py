"""Story briefs: one brief across several outlets' articles on one story."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from digest.models import Article, Brief
from digest.summarize.headlines import headline_from_sentences, make_headline
from digest.summarize.model import Language, detect_language, sumy_language
from digest.summarize.sentences import (
    DATELINE,
    MAX_CHARS,
    MIN_WORDS,
    is_candidate,
    needs_context,
    rate_sentences,
)
from digest.text import count_words, split_sentences, words

STORY_BUDGET = MAX_CHARS  # characters of a story brief's sentences, spaces included
REDUNDANCY = 0.5  # a sentence this close (stem cosine) to a chosen one says the same thing
STORY_WEIGHT = 1.0  # how much closeness to the whole story counts beside the article's rating
# Each article's first sentences only: news says what happened at the top, and rating a
# long article whole for each story would cost most of a build's time.
STORY_TOP = 15
_TRUNCATED = re.compile(r"(\.\.\.|…)[\"'”’)\]]*$")  # an excerpt cut off mid-sentence


def summarize_story(
    articles: Sequence[Article],
    *,
    sentences: int = 3,
    algorithm: str = "digest",
    language: str = "english",
    budget: int = STORY_BUDGET,
) -> Brief:
    """One brief for a story told by ``articles`` (one per outlet, wire copies merged).

    Its sentences are whole sentences chosen across every article, by each article's own
    rating plus closeness to the story as a whole, and no two say the same thing. Its
    headline comes from the most central title; ``sources`` credits every outlet.
    """
    if not articles:
        raise ValueError("a story needs at least one article")
    if language == "auto":
        language = detect_language(" ".join(a.text for a in articles))
    lang = sumy_language(language)
    per_article = [split_sentences(a.text)[:STORY_TOP] for a in articles]
    pool = [(k, i, s) for k, found in enumerate(per_article) for i, s in enumerate(found)]
    vectors = [_stem_counts(s, lang) for _, _, s in pool]
    centroid = _sum_counts(vectors)
    ratings = [
        r
        for found in per_article
        for r in (rate_sentences(found, algorithm=algorithm, language=language) if found else [])
    ]
    scores = [
        rating + STORY_WEIGHT * _cosine(vector, centroid)
        for rating, vector in zip(ratings, vectors, strict=True)
    ]
    usable = [
        n
        for n, (_, i, s) in enumerate(pool)
        if is_candidate(s) and not _TRUNCATED.search(s) and not needs_context(i, s)
    ] or [n for n, (_, _, s) in enumerate(pool) if count_words(s) >= MIN_WORDS]
    chosen: list[int] = []
    used = 0
    for n in sorted(usable, key=lambda n: -scores[n]):
        text = pool[n][2]
        if used + len(text) + len(chosen) > budget:
            continue
        if any(_cosine(vectors[n], vectors[m]) > REDUNDANCY for m in chosen):
            continue
        chosen.append(n)
        used += len(text)
        if len(chosen) == sentences:
            break
    bodies: list[Counter[str]] = [Counter() for _ in articles]
    for (k, _, _), vector in zip(pool, vectors, strict=True):
        bodies[k].update(vector)
    central = articles[_most_central([_stem_counts(a.title, lang) for a in articles], bodies)]
    titled = central.title.strip()
    headline = (
        make_headline(titled)
        if titled
        else headline_from_sentences([pool[n][2] for n in chosen] or [s for *_, s in pool])
    )
    names = (n for a in articles for n in (a.sources or ((a.source,) if a.source else ())))
    dates = [a.published for a in articles if a.published]
    # The image comes with its own size: the one article's, never one outlet's picture
    # with another's dimensions.
    pictured = central if central.image else next((a for a in articles if a.image), central)
    return Brief(
        title=central.title,
        headline=headline,
        # Leads before later sentences, so the brief opens with what happened.
        sentences=tuple(
            DATELINE.sub("", pool[n][2]) for n in sorted(chosen, key=lambda n: pool[n][1::-1])
        ),
        url=central.url,
        source=central.source,
        published=max(dates) if dates else None,
        image=pictured.image,
        image_size=pictured.image_size,
        words=count_words(central.text),
        sources=tuple(dict.fromkeys(names)),
    )


def _most_central(titles: Sequence[Counter[str]], bodies: Sequence[Counter[str]]) -> int:
    """The index of the title closest to all the other articles (their titles and texts)."""
    whole = [_sum_counts([t, b]) for t, b in zip(titles, bodies, strict=True)]

    def closeness(k: int) -> float:
        if not titles[k]:
            return -1.0
        return sum(_cosine(titles[k], whole[j]) for j in range(len(titles)) if j != k)

    return max(range(len(titles)), key=lambda k: (closeness(k), -k))


def _stem_counts(text: str, lang: Language) -> Counter[str]:
    return Counter(
        lang.stem(w) for w in (w.lower() for w in words(text)) if w not in lang.stop_words
    )


def _sum_counts(counts: Sequence[Counter[str]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    return total


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(v * b[t] for t, v in a.items() if t in b)
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))
