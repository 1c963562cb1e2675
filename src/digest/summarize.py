"""Summarize: an Article becomes a Brief (the only module that imports sumy).

A brief is a short headline and two or three whole sentences of the article, in the
article's order. Sentences are rated by a small linear model over features that matter in
news (position, length, centrality, word frequency, numbers, sumy's Luhn rating), or by
one of sumy's algorithms as configured; candidates that cannot stand alone in a digest,
such as fragments or half a quotation, are never chosen. Sumy's stemmers and stop words
serve every language it supports.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer, null_stemmer
from sumy.summarizers.kl import KLSummarizer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.lsa import LsaSummarizer
from sumy.summarizers.luhn import LuhnSummarizer
from sumy.summarizers.sum_basic import SumBasicSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words

from digest.errors import ConfigError
from digest.models import Article, Brief
from digest.text import count_words, split_sentences, words

HEADLINE_LIMIT = 90
MIN_WORDS = 4
MAX_WORDS = 70
# All sentences of a brief together; the first two are kept whatever their length, a third
# only when it fits. Short briefs read better in an email and score better against human
# summaries (see scripts/fit_brief_model.py).
CHAR_BUDGET = 300


class _LinearLuhn(LuhnSummarizer):
    """Sumy's Luhn with its significant words in a set: the same ratings in linear time.

    Sumy keeps them in a tuple and tests every word against it, which makes a long
    article's cost grow with the square of its length.
    """

    def _get_significant_words(self, words: Any) -> frozenset[str]:
        return frozenset(super()._get_significant_words(words))


SUMMARIZERS: dict[str, Callable[..., Any]] = {
    "lexrank": LexRankSummarizer,
    "lsa": LsaSummarizer,
    "textrank": TextRankSummarizer,
    "luhn": _LinearLuhn,
    "sumbasic": SumBasicSummarizer,
    "kl": KLSummarizer,
}
# "digest" is the default: a linear model over position, length, centrality, word
# frequency, numbers and sumy's Luhn rating. The others are sumy's algorithms as they are.
ALGORITHMS = ("digest", *SUMMARIZERS)

# Ridge regression of each sentence's ROUGE-2 F1 against the human summary, fitted on
# cnndm-validation-500 by scripts/fit_brief_model.py (which also reports cross-validated
# scores). Order as in _features().
FEATURES = ("bias", "first", "second", "third", "words_30", "centroid", "avg_tf", "number", "luhn")
WEIGHTS = (-0.0203, 0.0436, 0.0404, 0.0236, -0.0161, 0.1740, 0.0046, 0.0087, 0.0042)


class _Tokenizer:
    """What sumy asks of a tokenizer, without NLTK's downloadable models."""

    def __init__(self, language: str) -> None:
        self.language = language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(words(sentence))


@dataclass(frozen=True)
class _Language:
    name: str
    stem: Callable[[str], str]
    stop_words: frozenset[str]
    tokenizer: _Tokenizer


@lru_cache(maxsize=32)
def _language(name: str) -> _Language:
    try:
        stemmer = Stemmer(name)
        stop_words = frozenset(get_stop_words(name))
    except LookupError as exc:
        raise ConfigError(f"language {name!r} is not supported by sumy") from exc
    except ImportError:  # the stemmer needs an optional package (e.g. Polish, Greek)
        stemmer, stop_words = null_stemmer, frozenset(get_stop_words(name))
    return _Language(name, lru_cache(maxsize=65536)(stemmer), stop_words, _Tokenizer(name))


@lru_cache(maxsize=16)
def _sumy(algorithm: str, language: str) -> Any:
    if algorithm not in SUMMARIZERS:
        raise ConfigError(f"unknown summarizer algorithm {algorithm!r}")
    lang = _language(language)
    summarizer = SUMMARIZERS[algorithm](lang.stem)
    summarizer.stop_words = lang.stop_words
    return summarizer


def summarize(
    article: Article,
    *,
    sentences: int = 3,
    algorithm: str = "digest",
    language: str = "english",
    budget: int = CHAR_BUDGET,
) -> Brief:
    """The brief of ``article``: a headline and up to ``sentences`` of its sentences.

    ``language`` is one of sumy's languages, or "auto" to detect it from the text.
    """
    if language == "auto":
        language = detect_language(article.text)
    all_sentences = split_sentences(article.text)
    chosen = select_sentences(
        all_sentences, sentences, algorithm=algorithm, language=language, budget=budget
    )
    if article.title:
        headline = make_headline(article.title)
    else:
        headline = headline_from_sentences(all_sentences, language=language)
    return Brief(
        title=article.title,
        headline=headline,
        sentences=tuple(chosen),
        url=article.url,
        source=article.source,
        published=article.published,
        image=article.image,
    )


def select_sentences(
    all_sentences: Sequence[str],
    count: int = 3,
    *,
    algorithm: str = "digest",
    language: str = "english",
    budget: int = CHAR_BUDGET,
    weights: Sequence[float] = WEIGHTS,
) -> list[str]:
    """Up to ``count`` sentences (two at least, when there are two and ``count`` allows),
    in their order."""
    candidates = [i for i, s in enumerate(all_sentences) if is_candidate(s)]
    if not candidates:
        candidates = [i for i, s in enumerate(all_sentences) if count_words(s) >= MIN_WORDS]
    if len(candidates) <= 1:
        return [all_sentences[i] for i in candidates]

    scores = rate_sentences(all_sentences, algorithm=algorithm, language=language, weights=weights)
    best_first = sorted(candidates, key=lambda i: (-scores[i], i))
    chosen: list[int] = []
    used = 0
    for index in best_first:
        sentence = all_sentences[index]
        if len(chosen) >= 2 and used + len(sentence) > budget:
            continue
        if any(_overlap(sentence, all_sentences[j]) > 0.75 for j in chosen):
            continue
        chosen.append(index)
        used += len(sentence)
        if len(chosen) == count:
            break
    if len(chosen) < min(2, count):
        # Everything else repeats the first choice; a second sentence still beats one.
        texts = {all_sentences[i] for i in chosen}
        chosen += [i for i in best_first if all_sentences[i] not in texts][: 2 - len(chosen)]
    return [_DATELINE.sub("", all_sentences[i]) for i in sorted(chosen)]


def rate_sentences(
    sentences: Sequence[str],
    *,
    algorithm: str = "digest",
    language: str = "english",
    weights: Sequence[float] = WEIGHTS,
) -> list[float]:
    """A score for each sentence, higher for sentences that belong in the brief."""
    if algorithm == "digest":
        rows = sentence_features(sentences, language)
        return [
            sum(w * x for w, x in zip(weights, row, strict=True))
            - (CONTEXT_PENALTY if _needs_context(i, sentence) else 0.0)
            for i, (sentence, row) in enumerate(zip(sentences, rows, strict=True))
        ]
    return _sumy_ratings(sentences, _sumy(algorithm, language), _language(language))


def sentence_features(
    sentences: Sequence[str], language: str = "english"
) -> list[tuple[float, ...]]:
    """The model's features of each sentence, in the order of FEATURES; linear in length."""
    lang = _language(language)
    stems = [
        [lang.stem(w) for w in (w.lower() for w in words(s)) if w not in lang.stop_words]
        for s in sentences
    ]
    term_counts: Counter[str] = Counter()
    sentence_counts: Counter[str] = Counter()
    for sentence_stems in stems:
        term_counts.update(sentence_stems)
        sentence_counts.update(set(sentence_stems))
    n = len(sentences)
    total = max(1, sum(term_counts.values()))
    # The document's centroid: term frequency times inverse sentence frequency.
    centroid = {t: c * math.log((n + 1) / sentence_counts[t]) for t, c in term_counts.items()}
    centroid_norm = math.sqrt(sum(v * v for v in centroid.values())) or 1.0
    luhn = _sumy_ratings(sentences, _sumy("luhn", language), lang)

    rows: list[tuple[float, ...]] = []
    for i, (sentence, sentence_stems) in enumerate(zip(sentences, stems, strict=True)):
        counts = Counter(sentence_stems)
        norm = math.sqrt(sum(c * c for c in counts.values())) or 1.0
        cosine = sum(c * centroid[t] for t, c in counts.items()) / (norm * centroid_norm)
        avg_tf = (
            100 * sum(term_counts[t] for t in sentence_stems) / len(sentence_stems) / total
            if sentence_stems
            else 0.0
        )
        rows.append(
            (
                1.0,
                float(i == 0),
                float(i == 1),
                float(i == 2),
                count_words(sentence) / 30,
                cosine,
                avg_tf,
                float(any(ch.isdigit() for ch in sentence)),
                math.log1p(luhn[i]),
            )
        )
    return rows


def _sumy_ratings(sentences: Sequence[str], summarizer: Any, lang: _Language) -> list[float]:
    """Each sentence's rating by a sumy summarizer, in the sentences' order."""
    document = ObjectDocumentModel([Paragraph([Sentence(s, lang.tokenizer) for s in sentences])])
    ratings = [0.0] * len(sentences)

    def keep_all(infos: list[Any]) -> list[Any]:
        # sumy calls this with every sentence, best rated first.
        for info in infos:
            ratings[info.order] = float(info.rating)
        return infos

    with warnings.catch_warnings():
        # LexRank divides by zero when no two sentences share a word; the order stands.
        warnings.simplefilter("ignore", RuntimeWarning)
        summarizer(document, keep_all)
    return [r if math.isfinite(r) else 0.0 for r in ratings]


def stock_sentences(
    text: str, count: int = 3, *, algorithm: str = "lexrank", language: str = "english"
) -> list[str]:
    """Sumy's own choice of ``count`` sentences, without the brief's guarantees.

    For comparison only: this is what the algorithm gives as shipped (with the offline
    tokenizer, since NLTK's punkt cannot be assumed).
    """
    lang = _language(language)
    document = ObjectDocumentModel(
        [Paragraph([Sentence(s, lang.tokenizer) for s in split_sentences(text)])]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return [str(s) for s in _sumy(algorithm, language)(document, count)]


def detect_language(text: str, default: str = "english") -> str:
    """The sumy language whose stop words are most frequent in ``text``."""
    tokens = [w.lower() for w in words(text[:5000])]
    if not tokens:
        return default
    best, best_share = default, 0.0
    for name in _STOP_WORD_LANGUAGES:
        stop_words = _language(name).stop_words
        share = sum(t in stop_words for t in tokens) / len(tokens)
        if share > best_share:
            best, best_share = name, share
    return best if best_share >= 0.15 else default


# Languages with a stemmer and stop words in sumy that split into words on spaces.
_STOP_WORD_LANGUAGES = (
    "english", "french", "german", "spanish", "italian", "portuguese", "czech", "slovak",
    "polish", "swedish", "ukrainian", "greek",
)  # fmt: skip


# A sentence opening like this leans on the one before it, which a brief may not show.
_LEANS_BACK = re.compile(
    r"^[\"“‘']?(He|She|It|They|This|That|These|Those|His|Her|Its|Their|But|And|However|"
    r"Also|So|Yet|Still|Then|Such|Both|The latter|The former)\b"
)
# A quotation standing alone, its speaker named in another sentence.
_BARE_QUOTE = re.compile(r"^[\"“][^\"“”]+[\"”]$")
CONTEXT_PENALTY = 0.02  # about what a first-sentence bonus is worth; costs no ROUGE


def _needs_context(index: int, sentence: str) -> bool:
    return bool((index > 0 and _LEANS_BACK.match(sentence)) or _BARE_QUOTE.match(sentence))


def _overlap(a: str, b: str) -> float:
    wa, wb = {w.lower() for w in words(a)}, {w.lower() for w in words(b)}
    return len(wa & wb) / max(1, min(len(wa), len(wb)))


_TERMINAL = re.compile(r"[.!?…。！？][\"'”’)\]]*$")


def is_candidate(sentence: str) -> bool:
    """Whether ``sentence`` can stand alone in a brief."""
    n = count_words(sentence)
    if n < MIN_WORDS or n > MAX_WORDS:
        return False
    if not _TERMINAL.search(sentence) or sentence[:1].islower():
        return False
    return not is_dangling_quote(sentence)


def is_dangling_quote(sentence: str) -> bool:
    """Whether a quotation opens or closes in ``sentence`` without its other half."""
    if sentence.count('"') % 2:
        return True
    if sentence.count("“") != sentence.count("”"):
        return True
    return sentence.count("(") != sentence.count(")")


# --- headlines -------------------------------------------------------------------

_SITE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{1,40}$")
_LABEL_PREFIX = re.compile(r"^([^:]{1,40}):\s+(?=\S)")
# A wire dateline: "(CNN)", "LONDON (Reuters) -", "PARIS, March 3 (AP) —".
_DATELINE = re.compile(
    r"^(\((CNN|AP|AFP|Reuters|Bloomberg)\)\s*|"
    r"[A-Z][A-Z .'’-]{2,}(, [A-Z][a-z]+\.? \d{1,2})?\s*(\([^)]*\))?\s*[-—–]+\s*)"
    r"(?=[A-Z\"“‘'])"
)
_LEADING_CLAUSE = re.compile(
    r"^(As|While|After|Although|Though|When|Since|Despite|Amid|Because|If|Before|Following|"
    r"Earlier|Later|Meanwhile|However|In|On|At|During|Last|This|Next)\b[^,]{0,100},\s+"
)
_ATTRIBUTION = re.compile(
    r"(,\s*(according to|as reported by)\b.*|"
    r",\s*[\w .’'-]{1,60}\b(said|says|told|reports|reported)\b.*)$"
)
_RELATIVE = re.compile(r",\s+(who|which|whose|where)\b[^,]*,")
_PAREN = re.compile(r"\s*\([^)]*\)")
_BREAK_WORDS = (
    "and but which who whom whose as while after amid on in at with for to that because when "
    "where from by over under after before during since despite"
).split()
_DANGLING = frozenset(
    """
    a an the of to and or but nor in on at for with by from as that which who whom whose
    is are was were be been being will would shall should can could may might must has have
    had do does did its their his her our your my this these those than then into onto over
    under about after before during amid against between among per via not no so if when
    while because says said told he she it they we them him us
    """.split()
)


_DAY = r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH_NAME = (
    r"(January|February|March|April|May|June|July|August|September|October|November|December)"
)
_WHEN = re.compile(
    rf"\s*\b(on {_DAY}|{_DAY}(?!['’])|(last|this|next|earlier this|later this) "
    rf"(week|month|year|weekend|season|{_DAY})|in {_MONTH_NAME}( \d{{4}})?|in (19|20)\d\d|"
    rf"yesterday|today|on \d+ {_MONTH_NAME}|for the (three|six|nine|twelve) months to \w+|"
    r"a year earlier|year-earlier)\b,?"
)
_SAID_THAT = re.compile(
    r"^.{0,60}?\b(said|says|has said|announced|reported|warned|claimed|revealed|admitted|"
    r"confirmed)( that)?\s+",
    re.IGNORECASE,
)
_SHOW = re.compile(
    r",?\s+(official figures|figures|data|analysts|experts|reports?|officials?|sources)"
    r"( have)? (show|shows|showed|suggest|suggests|said|say|says)\b.*$"
)
_APPOSITION_AFTER_NAME = re.compile(
    r"^([A-Z][\w'’.&-]*(?: [A-Z][\w'’.&-]*){0,3}), [^,]{3,90}, (?=\w)"
)
_APPOSITION = re.compile(r", (one of|part of|a |an |the |owner of|maker of|home to)[^,]{0,80},")
# Words headlines leave out: articles, possessives, and the auxiliary in "has raised",
# "has been named", "are investigating", "is to open".
_HEADLINESE = re.compile(
    r"\b(?:(?:the|a|an)\s+|(?:its|their)\s+(?=\w)|(?:has|have|had)\s+(?=\w+ed\b)|"
    r"(?:has|have|had)\s+been\s+(?=\w+(?:ed|en|ing)\b)|"
    r"(?:is|are|was|were)\s+(?=to\b|\w+(?:ed|ing)\b))",
    re.IGNORECASE,
)
_WANTS_MORE = re.compile(r"(?<=\w(ed|ng))\s+(to|that|by|as|for)\b")
_PHRASE_END = re.compile(r"(?=,\s)|(?=\s(?:" + "|".join(_BREAK_WORDS) + r")\b)|$")


def headline_from_sentences(
    sentences: Sequence[str], limit: int = HEADLINE_LIMIT, language: str = "english"
) -> str:
    """A headline for an article without a title, from its lead sentence.

    The lead is stripped of what headlines leave out (time phrases, attribution,
    appositions, articles), then cut after the phrase that packs the most of the
    article's recurring words per word.
    """
    lead = next(
        (s for s in sentences if is_candidate(s) and not _LEANS_BACK.match(s)),
        next((s for s in sentences if is_candidate(s)), sentences[0] if sentences else ""),
    )
    text = _simplify(lead)
    for pattern, replacement in (
        (_WHEN, ""),
        (_SHOW, ""),
        (_APPOSITION_AFTER_NAME, r"\1 "),
        (_APPOSITION, ""),
        (_HEADLINESE, ""),
    ):
        shorter = " ".join(pattern.sub(replacement, text).split()).strip(" ,")
        if count_words(shorter) >= 4:
            text = shorter
    said = _SAID_THAT.match(text)
    if (
        said
        and count_words(text[said.end() :]) >= 5
        and not _LEANS_BACK.match(text[said.end() :].capitalize())
    ):
        text = text[said.end() :]
    if not text:
        return ""
    text = text[0].upper() + text[1:]

    lang = _language(language)

    def stems(part: str) -> list[str]:
        return [lang.stem(w.lower()) for w in words(part) if w.lower() not in lang.stop_words]

    recurring = Counter(stem for sentence in sentences for stem in set(stems(sentence)))

    def density(span: str) -> float:
        return sum(min(recurring[s], 5) for s in stems(span)) / (count_words(span) + 4)

    # A span may not stop on a verb that wants what follows: "workers believed | to be".
    spans = [
        span
        for m in _PHRASE_END.finditer(text)
        if not _WANTS_MORE.match(text, m.start())
        and count_words(span := text[: m.start()].strip(" ,")) >= 4
        and len(span) <= limit
    ]
    return _fit(max(spans, key=density) if spans else text, limit)


def make_headline(text: str, limit: int = HEADLINE_LIMIT) -> str:
    """A short headline from a title or a sentence, in its own words, cut at a phrase."""
    return _fit(_simplify(text), limit)


def _simplify(text: str) -> str:
    """``text`` without site name, label, dateline, attribution, asides or opening clause."""
    text = " ".join(text.split())
    text = _SITE_SUFFIX.sub("", text) if count_words(text) > 6 else text
    label = _LABEL_PREFIX.match(text)
    if label and count_words(label.group(1)) <= 5 and count_words(text[label.end() :]) >= 4:
        text = text[label.end() :]  # "The White House confirms: ...", "Analysis: ..."
    text = _DATELINE.sub("", text)
    for pattern in (_ATTRIBUTION, _RELATIVE, _PAREN):
        shorter = pattern.sub("" if pattern is not _RELATIVE else ",", text).strip(" ,")
        if count_words(shorter) >= 4:
            text = shorter
    clause = _LEADING_CLAUSE.match(text)
    if clause and count_words(text[clause.end() :]) >= 5:
        rest = text[clause.end() :]
        text = rest[0].upper() + rest[1:]
    text = re.sub(r"\b(\w+) will\b", r"\1 to", text, count=1)  # headline style
    return text.rstrip(" .;:,")


def _fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters before a clause or phrase, never mid-word."""
    if len(text) > limit:
        cut = text[: limit + 1]
        points = [m.start() for m in re.finditer(r",\s|;\s|\s[–—-]\s", cut)]
        points += [
            m.start() for m in re.finditer(r"\s(?=(" + "|".join(_BREAK_WORDS) + r")\b)", cut)
        ]
        good = [p for p in points if count_words(text[:p]) >= 4]
        text = text[: max(good)] if good else cut.rsplit(" ", 1)[0]
    tokens = text.rstrip(" ,;:–—-").split()
    while len(tokens) > 3 and (
        tokens[-1].lower().strip(",;:\"'“”‘’") in _DANGLING or tokens[-1][-1] in ",;:–—-"
    ):
        tokens.pop()
    return _balance(" ".join(tokens)).rstrip(" ,;:.")


def _balance(text: str) -> str:
    """Drop a quotation mark or bracket left open by the cut."""
    for opener, closer in (('"', '"'), ("“", "”"), ("(", ")")):
        if opener == closer and text.count(opener) % 2:
            text = text.replace(opener, "")
        elif opener != closer and text.count(opener) != text.count(closer):
            text = text.replace(opener, "").replace(closer, "")
    return text


# --- stories: one brief across several outlets' articles -------------------------

STORY_BUDGET = 800  # characters of a story brief's sentences: three whole sentences, not two
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
    lang = _language(language)
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
        if is_candidate(s) and not _TRUNCATED.search(s) and not _needs_context(i, s)
    ] or [n for n, (_, _, s) in enumerate(pool) if count_words(s) >= MIN_WORDS]
    chosen: list[int] = []
    used = 0
    for n in sorted(usable, key=lambda n: -scores[n]):
        text = pool[n][2]
        if chosen and used + len(text) > budget:
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
    return Brief(
        title=central.title,
        headline=headline,
        # Leads before later sentences, so the brief opens with what happened.
        sentences=tuple(
            _DATELINE.sub("", pool[n][2]) for n in sorted(chosen, key=lambda n: pool[n][1::-1])
        ),
        url=central.url,
        source=central.source,
        published=max(dates) if dates else None,
        image=central.image or next((a.image for a in articles if a.image), None),
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


def _stem_counts(text: str, lang: _Language) -> Counter[str]:
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
