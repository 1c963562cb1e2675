"""Stories: articles from different outlets about one event grouped, and ranked.

Outlets covering one event share vocabulary, not phrases, so near-duplicate hashing cannot
group them. Each article becomes a TF-IDF vector (title counted twice, sublinear term
frequency); articles are clustered by average-link agglomeration while the mean cosine
between two clusters stays at or above a threshold, and near how close each cluster is
within (two events of one topic are each tighter than the pair). Average link does not
chain through a shared topic the way single link does, and a false merge tells the reader
that two newsrooms agree when they do not, so the settings favour precision. Past a time
window, the similarity of two dated articles fades with the time between them. Everything
is numpy: no model, no download, well under a second for a thousand articles. Articles are
compared a block at a time, and only articles linked by a pair that reaches the threshold
are clustered together, so memory grows with the articles plus the square of the largest
linked group, not the square of all of them. The stop words, the light stemmer and the word
frequencies (wordfreq's) that temper the pool's IDF are English; other languages still
group, on the pool's IDF alone. Two single articles that are only fairly alike become a
story only if their titles and first sentences share rare terms.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from digest.config import RANKINGS, StoriesConfig
from digest.ingest.dedup import merge_duplicates
from digest.models import Article, Story, article_identities, as_utc
from digest.text import split_sentences

# The settings users may change live in config.StoriesConfig ([stories]); one home each.
THRESHOLD = StoriesConfig.threshold  # least mean cosine between two clusters that merge
WINDOW_HOURS = StoriesConfig.window_hours  # this close in time: compared on words alone
FADE_HOURS = 72.0  # further apart, their similarity fades by a factor e every FADE_HOURS
COHESION = 0.77  # two clusters merge only if as close as this share of the looser one's cohesion
TITLE_WEIGHT = 2  # the title's words count this many times
# Two single articles below this similarity become a story of two only if their
# headlines agree: a day of feeds is mostly one-article stories, and two of one topic
# (two rugby reports, two blog posts on the web) share enough body words to pass the
# threshold, but not what their headlines say. Groups merge only through such a pair.
AGREE_BELOW = 0.3
HEADLINE_SENTENCES = 2  # the headline: the title and the text's first sentences...
HEADLINE_CHARS = 800  # ...found in its first characters
HEADLINE_RARITY = 8.0  # headlines agree when the terms they share are this rare in all
RARE_FREQUENCY = 1e-7  # the frequency in English of a word wordfreq does not know
# A term's weight is the mean (geometric) of its rarity in the pool and in English at
# large: a pool of a few hundred articles says little of how common "time" or "like" is.
OTHER_LANGUAGES = ("es", "fr", "de", "it", "pt", "nl")  # their common words are common too
DOCUMENT_WORDS = 2000  # the length of a document, in words, for English's frequencies
HALF_LIFE_HOURS = StoriesConfig.half_life_hours  # ranking: weight halves with each of age
# Articles are compared with all others a block at a time, each block costing about this
# many floats: its rows of similarities plus a product per term it shares (a few MB).
BLOCK_FLOATS = 1 << 18
COMMON_SHARE = 8  # a term in more than one article in COMMON_SHARE is compared densely

# Capitalized, yet no clue to the event: every week's news has a Monday.
_DAYS_AND_MONTHS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december""".split()
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_NAME = re.compile(r"[A-Z][\w'’-]+|\d[\d,.]*\d")
_PUNCTUATION = ".,;:!?\"'()[]’‘“”«»"
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W\d_]+)?", re.UNICODE)
# Words too common in news to tell two events apart; IDF alone is weak on a small pool.
_STOP_WORDS = frozenset(
    """
    a about after again against all also an and any are as at be because been before being
    but by can could did do does during each few for from had has have having he her here
    hers him his how i if in into is it its itself just me more most my no nor not now of
    off on once only or other our ours out over own s same she should so some such than that
    the their theirs them then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your
    said says say told new one two according mr ms year years week day
    """.split()
)
_COMMON_NAMES = _STOP_WORDS | _DAYS_AND_MONTHS


def group_stories(
    articles: Iterable[Article],
    *,
    threshold: float = THRESHOLD,
    window_hours: float | None = WINDOW_HOURS,
) -> list[Story]:
    """The stories among ``articles``: near duplicates merged first, then one story per event.

    Stories come in the order of their first article; each story's articles most
    representative first. ``window_hours=None`` ignores dates.
    """
    merged = merge_duplicates(list(articles))
    if not merged:
        return []
    pool = _pool(merged, window_hours)
    found: list[list[int]] = []  # article numbers, most representative first
    for component in _components(pool, threshold):
        if len(component) == 1:
            found.append([int(component[0])])
            continue
        part = pool.take(component)
        similarity = np.empty((len(component), len(component)))
        alone = np.empty((len(component), len(component)), dtype=bool)
        for block, rows in _similarity_rows(part):
            similarity[block] = rows
            alone[block] = _may_pair(rows, part.take(block), part)
        for group in _agglomerate(similarity, threshold, alone):
            # The matrix is used up by then: each story's own is small to make again.
            story = part.take(np.array(group))
            centrality = _similarity(story, story).clip(0).sum(axis=1)
            ordered = np.argsort(-centrality, kind="stable")
            found.append([int(component[group[k]]) for k in ordered])
    stories = []
    for members in sorted(found, key=min):
        chosen = tuple(merged[i] for i in members)
        stories.append(Story(key=story_key(chosen), articles=chosen))
    return stories


@dataclass(frozen=True)
class _Sparse:
    """Rows of a sparse matrix as flat entries, by row then column; and their order by column."""

    size: int  # rows
    rows: np.ndarray
    columns: np.ndarray
    values: np.ndarray
    by_column: np.ndarray  # entry numbers, by column then row

    @classmethod
    def of(cls, size: int, rows: np.ndarray, columns: np.ndarray, values: np.ndarray) -> _Sparse:
        order = np.lexsort((columns, rows))
        rows, columns, values = rows[order], columns[order], values[order]
        return cls(size, rows, columns, values, np.argsort(columns, kind="stable"))

    def take(self, index: np.ndarray) -> _Sparse:
        """The rows ``index`` (ascending), numbered from 0."""
        starts = np.searchsorted(self.rows, index)
        ends = np.searchsorted(self.rows, index, side="right")
        entries = _ranges(starts, ends)
        renumbered = np.repeat(np.arange(len(index)), ends - starts)
        return _Sparse.of(len(index), renumbered, self.columns[entries], self.values[entries])


@dataclass(frozen=True)
class _Pool:
    """Articles as comparing them needs: all of it grows with their number, not its square."""

    index: np.ndarray  # each article's number in the whole pool
    words: _Sparse  # unit TF-IDF vectors: their rarer terms, not those of one article alone
    common: np.ndarray  # and their common terms, dense (article by term)
    names: _Sparse  # a 1 per name or number, without those of one article
    headlines: _Sparse  # the root of each headline term's rarity
    cased: np.ndarray  # False: a script without capitals, never held back for want of a name
    hours: np.ndarray  # when published, in hours; NaN if undated
    window_hours: float | None

    def take(self, index: np.ndarray) -> _Pool:
        """The articles ``index`` (ascending) of this pool."""
        return _Pool(
            self.index[index],
            self.words.take(index),
            self.common[index],
            self.names.take(index),
            self.headlines.take(index),
            self.cased[index],
            self.hours[index],
            self.window_hours,
        )


def _pool(articles: Sequence[Article], window_hours: float | None) -> _Pool:
    """The articles' TF-IDF vectors (IDF over all of them), names, case and dates."""
    n = len(articles)
    rows, terms, counts, vocabulary = _bags([_term_counts(a) for a in articles])
    size = len(vocabulary)
    df = np.bincount(terms, minlength=size)
    idf = np.log((n + 1) / (df + 1)) + 1
    frequency = dict(zip(vocabulary, _frequencies(vocabulary), strict=True))
    english = _document_idf(np.fromiter(frequency.values(), np.float64, size))
    known = np.isfinite(english)
    idf[known] = np.sqrt(idf[known] * english[known])
    weights = (1 + np.log(counts)) * idf[terms]
    norms = np.sqrt(np.bincount(rows, weights=weights * weights, minlength=n))
    norms[norms == 0] = 1.0
    weights /= norms[rows]
    # A term in many articles meets too many others to pair them one by one: a dense
    # product is faster. A term of one article matches none: left out.
    is_common = df > n / COMMON_SHARE
    common = np.zeros((n, int(is_common.sum())))
    entry = is_common[terms]
    common[rows[entry], (np.cumsum(is_common) - 1)[terms[entry]]] = weights[entry]
    rare = (df[terms] > 1) & ~entry
    words = _Sparse.of(n, rows[rare], terms[rare], weights[rare])
    rows, names, counts, all_names = _bags([dict.fromkeys(_names(a), 1) for a in articles])
    shared = np.bincount(names, minlength=len(all_names))[names] > 1
    named = _Sparse.of(n, rows[shared], names[shared], counts[shared])
    rows, heads, _, terms_of_heads = _bags([dict.fromkeys(_headline_terms(a), 1) for a in articles])
    # The dot product of two rows is the summed rarity (-log of the share of English
    # documents that hold it) of the terms they share.
    # Their terms are mostly the texts' own, whose frequencies are known by now.
    missing = [term for term in terms_of_heads if term not in frequency]
    frequency.update(zip(missing, _frequencies(missing), strict=True))
    head_frequency = np.array([frequency[term] for term in terms_of_heads])
    rarity = _document_idf(np.maximum(head_frequency, RARE_FREQUENCY)) - 1
    headlines = _Sparse.of(n, rows, heads, np.sqrt(rarity[heads]))
    cased = np.array([any(c.isupper() for c in a.title + a.text) for a in articles], dtype=bool)
    hours = np.array(
        [as_utc(a.published).timestamp() / 3600 if a.published else np.nan for a in articles]
    )
    return _Pool(np.arange(n), words, common, named, headlines, cased, hours, window_hours)


def _frequencies(terms: Iterable[str]) -> np.ndarray:
    """Each term's frequency as a word in written language at large (wordfreq's); 0 for
    a word it does not know."""
    tables = _word_frequencies()

    def frequency(term: str) -> float:
        # A stem stands for its plural too: "wale" is rare, "wales" is not.
        plural = term + "s"
        found = 0.0
        for table in tables:
            found = max(found, table.get(term, 0.0), table.get(plural, 0.0))
        return found

    return np.fromiter(map(frequency, terms), dtype=np.float64)


def _document_idf(frequency: np.ndarray) -> np.ndarray:
    """The inverse document frequency of words of ``frequency``, in documents of
    DOCUMENT_WORDS words; infinite for a frequency of 0."""
    in_documents = -np.expm1(-DOCUMENT_WORDS * frequency)
    with np.errstate(divide="ignore"):
        return 1 - np.log(in_documents)


@functools.cache
def _word_frequencies() -> tuple[dict[str, float], ...]:
    """wordfreq's tables: English's, and the common words of OTHER_LANGUAGES (a Spanish
    or French article's "de", "la" and "les" are no rarer than English "the")."""
    import wordfreq  # 0.4 s to import: only when articles are grouped

    return (
        wordfreq.get_frequency_dict("en", wordlist="best"),
        *(wordfreq.get_frequency_dict(language, wordlist="small") for language in OTHER_LANGUAGES),
    )


def _bags(
    bags: Iterable[Mapping[str, int]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """Bags of terms as flat arrays: row, term number and count per entry; and the terms.

    Each bag is made compact before the next is made: the bags of all articles at once
    would hold every token of every text as a string.
    """
    vocabulary: dict[str, int] = {}
    terms, counts = [], []
    for bag in bags:
        ids = (vocabulary.setdefault(t, len(vocabulary)) for t in bag)
        terms.append(np.fromiter(ids, dtype=np.int32, count=len(bag)))
        counts.append(np.fromiter(bag.values(), dtype=np.float64, count=len(bag)))
    rows = np.repeat(np.arange(len(terms), dtype=np.int32), [len(t) for t in terms])
    flat = np.concatenate([np.empty(0, dtype=np.int32), *terms])
    return rows, flat, np.concatenate([np.empty(0), *counts]), vocabulary


def _similarity(left: _Pool, right: _Pool) -> np.ndarray:
    """Each article of ``left`` against each of ``right``: cosine, faded with time, gated.

    An article against itself scores zero.
    """
    similarity = _dot(left.words, right.words)
    # einsum, not @: BLAS's second thread spins between these small products, spending
    # a tenth more CPU on a thousand articles for a little less wall time.
    similarity += np.einsum("ik,jk->ij", left.common, right.common)
    similarity[left.index[:, None] == right.index] = 0.0
    if left.window_hours is not None:
        similarity *= time_fade(left.hours, right.hours, left.window_hours)
    similarity[~_share_a_name(left, right)] = 0.0
    return similarity


def _share_a_name(left: _Pool, right: _Pool) -> np.ndarray:
    """Pairs that may be one story: they share a name or a number.

    One event's reports name the same people, places and figures. Two articles that share
    only common words ("story", "today") are not one story, however few articles there
    are to weigh the words against. Text in a script without capitals (Chinese,
    Japanese) is not held back.
    """
    shared = _dot(left.names, right.names) > 0
    return shared | ~left.cased[:, None] | ~right.cased[None, :]


def _may_pair(similarity: np.ndarray, left: _Pool, right: _Pool) -> np.ndarray:
    """Pairs of articles that may be a story of two: close, or their headlines agree."""
    return (similarity >= AGREE_BELOW) | _headlines_agree(left, right)


def _headlines_agree(left: _Pool, right: _Pool) -> np.ndarray:
    """Pairs whose titles and first sentences share terms of HEADLINE_RARITY in all (or
    that are in a script without capitals, whose words the tokens do not split)."""
    shared = _dot(left.headlines, right.headlines) >= HEADLINE_RARITY
    return shared | ~left.cased[:, None] | ~right.cased[None, :]


def _dot(left: _Sparse, right: _Sparse) -> np.ndarray:
    """Every row of ``left`` dotted with every row of ``right``, as a dense matrix.

    An entry meets only the entries of its own column, so the work is the pairs of
    articles that share a term, not rows times vocabulary. A cell adds its products in
    column order: a pair gives the same float whichever side each article is on.
    """
    columns = right.columns[right.by_column]
    first = np.searchsorted(columns, left.columns)
    last = np.searchsorted(columns, left.columns, side="right")
    mine = np.repeat(np.arange(len(left.columns)), last - first)
    theirs = right.by_column[_ranges(first, last)]
    cells = left.rows[mine].astype(np.int64) * right.size + right.rows[theirs]
    products = left.values[mine] * right.values[theirs]
    dots = np.bincount(cells, weights=products, minlength=left.size * right.size)
    # Without a single product, bincount answers in integers.
    return dots.astype(np.float64, copy=False).reshape(left.size, right.size)


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``np.arange(start, end)`` for each pair, one after another."""
    counts = ends - starts
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + offsets


def _names(article: Article) -> set[str]:
    """Capitalized words not opening a sentence, and numbers of two digits or more."""
    found = set()
    for sentence in _SENTENCE_END.split(f"{article.title}. {article.text}"):
        for word in sentence.split()[1:]:
            word = word.strip(_PUNCTUATION)
            if _NAME.fullmatch(word) and word.lower() not in _COMMON_NAMES:
                found.add(word.lower())
    return found


def _headline_terms(article: Article) -> list[str]:
    """The terms of the title and the first sentence: what the story is about."""
    opening = article.text[:HEADLINE_CHARS]
    first = split_sentences(opening)[:HEADLINE_SENTENCES]
    return _tokens(" ".join([article.title, *first]))


def _term_counts(article: Article) -> Counter[str]:
    title = _tokens(article.title)
    return Counter(title * TITLE_WEIGHT + _tokens(article.text))


def _tokens(text: str) -> list[str]:
    tokens = (t.lower().replace("’", "'") for t in _TOKEN.findall(text))
    return [_stem(t) for t in tokens if t not in _STOP_WORDS and len(t) > 1]


def _stem(token: str) -> str:
    """A light English stem: possessive and plural endings only (cheap, rarely wrong)."""
    if token.endswith("'s"):
        token = token[:-2]
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def time_fade(
    hours: np.ndarray, other_hours: np.ndarray, window_hours: float, fade_hours: float = FADE_HOURS
) -> np.ndarray:
    """How much of each pair's similarity counts, given the hours between them.

    Within ``window_hours`` all of it; beyond, it fades by a factor e every
    ``fade_hours``: reports days apart must be far more alike to be one story (a new
    earthquake in the same region is a new story), yet a long-running event whose
    reports stay very close still holds together. Undated (NaN) hours are never faded.
    """
    if math.isinf(window_hours):
        return np.ones((len(hours), len(other_hours)))
    # In place: one matrix, not one per step.
    gap = np.subtract.outer(hours, other_hours)
    np.abs(gap, out=gap)
    np.nan_to_num(gap, copy=False, nan=0.0)
    gap -= window_hours
    np.maximum(0.0, gap, out=gap)
    np.negative(gap, out=gap)
    gap /= fade_hours
    return np.exp(gap, out=gap)


def _components(pool: _Pool, threshold: float) -> list[np.ndarray]:
    """Articles linked by pairs whose similarity reaches ``threshold``, each group ascending.

    Two clusters can only merge if some pair across them reaches the threshold, so average
    link never merges across these groups: each is clustered on its own. The pairs are
    found a block of articles at a time against all of them, so no n x n matrix is held.
    """
    parent = np.arange(pool.words.size)
    for block, similarity in _similarity_rows(pool):
        linked, other = np.nonzero(similarity >= threshold)
        _join(parent, block[linked], other)
    order = np.argsort(parent, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(parent[order])) + 1)


def _similarity_rows(pool: _Pool) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Runs of article numbers, each with its rows of the pool's similarity matrix."""
    for block in _blocks(pool):
        yield block, _similarity(pool.take(block), pool)


def _blocks(pool: _Pool) -> list[np.ndarray]:
    """Runs of article numbers, each costing about BLOCK_FLOATS to compare with every article.

    An article costs a float per article, and one per entry of another article that
    shares one of its terms.
    """
    words = pool.words
    df = np.bincount(words.columns)
    cost = np.cumsum(np.bincount(words.rows, df[words.columns], words.size) + words.size)
    cuts = np.searchsorted(cost, np.arange(BLOCK_FLOATS, cost[-1], BLOCK_FLOATS))
    return [block for block in np.split(np.arange(words.size), cuts) if len(block)]


def _join(parent: np.ndarray, one: np.ndarray, other: np.ndarray) -> None:
    """Union-find over arrays of pairs: the sets of ``one[k]`` and ``other[k]`` become one.

    ``parent`` is left flat: each article points at its set's root, the set's least member.
    Links only ever point to a lesser number, so they never loop.
    """
    while True:
        while not np.array_equal(grand := parent[parent], parent):
            parent[:] = grand
        one, other = parent[one], parent[other]
        apart = one != other
        if not apart.any():
            return
        one, other = one[apart], other[apart]
        np.minimum.at(parent, np.maximum(one, other), np.minimum(one, other))


def _agglomerate(
    similarity: np.ndarray, threshold: float, alone: np.ndarray | None = None
) -> list[list[int]]:
    """Average-link merges, best pair first, until no pair may merge; ``similarity`` is used up.

    ``alone`` says which two single articles may become a story of their own (all, by
    default); two clusters merge only if a pair across them may.

    A merge changes only the merged cluster's row and column of the score matrix, so each
    row's best partner is kept and only rows that pointed at a merged cluster are searched
    again: one pass costs a few vector operations, not a scan of the whole matrix.
    """
    n = len(similarity)
    total = similarity  # summed similarity between clusters (-inf: never together)
    np.fill_diagonal(total, -np.inf)
    size = np.ones(n)
    inner = np.zeros(n)  # summed similarity within each cluster
    alive = np.ones(n, dtype=bool)
    members = [[i] for i in range(n)]
    # Which clusters hold a pair that may be a story of two: only those ever merge.
    linked = np.ones((n, n), dtype=bool) if alone is None else alone.copy()
    score = total.copy()  # singletons: the mean is the similarity, no cohesion to keep
    score[~linked] = -np.inf
    best = score.argmax(axis=1)
    best_score = score[np.arange(n), best]
    while True:
        i = int(best_score.argmax())
        j = int(best[i])
        if not best_score[i] >= threshold:
            break
        if j < i:
            i, j = j, i
        inner[i] += inner[j] + total[i, j]
        total[i] += total[j]
        total[:, i] = total[i]
        total[i, i] = -np.inf
        linked[i] |= linked[j]
        linked[:, i] = linked[i]
        size[i] += size[j]
        members[i] += members[j]
        alive[j] = False
        score[j] = score[:, j] = -np.inf
        best_score[j] = -np.inf
        row = _scores(i, total, size, inner, alive)
        row[~linked[i]] = -np.inf
        score[i] = score[:, i] = row
        # Rows that pointed at i or j look again; the rest only compare with the new i.
        stale = np.flatnonzero(alive & ((best == i) | (best == j)))
        stale = stale[stale != i]
        better = alive & (row > best_score)
        best[better], best_score[better] = i, row[better]
        if len(stale):
            best[stale] = score[stale].argmax(axis=1)
            best_score[stale] = score[stale, best[stale]]
        best[i] = int(row.argmax())
        best_score[i] = row[best[i]]
    return [sorted(members[i]) for i in np.flatnonzero(alive)]


def _scores(
    i: int, total: np.ndarray, size: np.ndarray, inner: np.ndarray, alive: np.ndarray
) -> np.ndarray:
    """Cluster ``i``'s mean similarity to every cluster, -inf where they may not merge.

    Two clusters merge only if they are nearly as close to each other as the looser of
    them is within: two events of one topic are each tighter than the pair of them.
    """
    mean = total[i] / (size[i] * size)
    pairs = size * (size - 1) / 2
    cohesion = np.where(pairs > 0, inner / np.maximum(pairs, 1), -np.inf)
    floor = np.minimum(cohesion[i], cohesion)  # -inf where either is a single article
    mean[(floor > -np.inf) & (mean < COHESION * floor)] = -np.inf
    mean[~alive] = -np.inf
    mean[i] = -np.inf
    return mean


def story_key(articles: Iterable[Article]) -> str:
    """A short hash of the members' identities: the same members, the same key."""
    identities = sorted({i for a in articles for i in article_identities(a)})
    return hashlib.sha256("\n".join(identities).encode()).hexdigest()[:16]


def rank_stories(
    stories: Iterable[Story],
    now: datetime,
    *,
    by: str = "coverage",
    half_life_hours: float = HALF_LIFE_HOURS,
) -> list[Story]:
    """``stories`` in reading order.

    "coverage": independent outlets times a freshness that halves every
    ``half_life_hours`` (three outlets a day old outrank one outlet this hour);
    "newest": newest first, as the digest did before stories. An undated story counts
    as old as the oldest dated one (no date earns no freshness), and follows the dated
    stories it ties with; undated stories keep their order.
    """
    if by not in RANKINGS:
        raise ValueError(f"unknown story ranking {by!r} (expected one of {', '.join(RANKINGS)})")
    listed = list(stories)
    now = as_utc(now)
    ages = {
        id(s): max(0.0, (now - as_utc(s.published)).total_seconds() / 3600)
        for s in listed
        if s.published
    }
    oldest = max(ages.values(), default=0.0)

    def age_hours(story: Story) -> float:
        return ages.get(id(story), oldest)

    if by == "newest":
        return sorted(listed, key=lambda s: (s.published is None, age_hours(s)))

    def weight(story: Story) -> float:
        # outlets * 0.5 ** (age / half-life), in logarithms: old stories must not all
        # underflow to the same zero.
        return math.log(max(story.outlets, 1)) - math.log(2) * age_hours(story) / half_life_hours

    return sorted(listed, key=lambda s: (-weight(s), s.published is None))
