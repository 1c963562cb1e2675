"""The sentence model: sumy's stemmers, stop words and algorithms (the only module that
imports sumy), and the features the brief model rates sentences by."""

from __future__ import annotations

import math
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
from digest.text import count_words, split_sentences, words


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
FEATURES = (
    "bias", "first", "second", "third", "fourth", "words_30", "centroid", "avg_tf", "number",
    "luhn",
)  # fmt: skip
WEIGHTS = (-0.0243, 0.0480, 0.0484, 0.0297, 0.0218, -0.0164, 0.1913, 0.0034, 0.0080, 0.0052)


class _Tokenizer:
    """What sumy asks of a tokenizer, without NLTK's downloadable models."""

    def __init__(self, language: str) -> None:
        self.language = language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(words(sentence))


@dataclass(frozen=True)
class Language:
    name: str
    stem: Callable[[str], str]
    stop_words: frozenset[str]
    tokenizer: _Tokenizer


@lru_cache(maxsize=32)
def sumy_language(name: str) -> Language:
    try:
        stemmer = Stemmer(name)
        stop_words = frozenset(get_stop_words(name))
    except LookupError as exc:
        raise ConfigError(f"language {name!r} is not supported by sumy") from exc
    except ImportError:  # the stemmer needs an optional package (e.g. Polish, Greek)
        stemmer, stop_words = null_stemmer, frozenset(get_stop_words(name))
    return Language(name, lru_cache(maxsize=65536)(stemmer), stop_words, _Tokenizer(name))


@lru_cache(maxsize=16)
def sumy_summarizer(algorithm: str, language: str) -> Any:
    if algorithm not in SUMMARIZERS:
        raise ConfigError(f"unknown summarizer algorithm {algorithm!r}")
    lang = sumy_language(language)
    summarizer = SUMMARIZERS[algorithm](lang.stem)
    summarizer.stop_words = lang.stop_words
    return summarizer


def sentence_features(
    sentences: Sequence[str], language: str = "english"
) -> list[tuple[float, ...]]:
    """The model's features of each sentence, in the order of FEATURES; linear in length."""
    lang = sumy_language(language)
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
    luhn = sumy_ratings(sentences, sumy_summarizer("luhn", language), lang)

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
                float(i == 3),
                count_words(sentence) / 30,
                cosine,
                avg_tf,
                float(any(ch.isdigit() for ch in sentence)),
                math.log1p(luhn[i]),
            )
        )
    return rows


def sumy_ratings(sentences: Sequence[str], summarizer: Any, lang: Language) -> list[float]:
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
    lang = sumy_language(language)
    document = ObjectDocumentModel(
        [Paragraph([Sentence(s, lang.tokenizer) for s in split_sentences(text)])]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return [str(s) for s in sumy_summarizer(algorithm, language)(document, count)]


def detect_language(text: str, default: str = "english") -> str:
    """The sumy language whose stop words are most frequent in ``text``."""
    tokens = [w.lower() for w in words(text[:5000])]
    if not tokens:
        return default
    best, best_share = default, 0.0
    for name in _STOP_WORD_LANGUAGES:
        stop_words = sumy_language(name).stop_words
        share = sum(t in stop_words for t in tokens) / len(tokens)
        if share > best_share:
            best, best_share = name, share
    return best if best_share >= 0.15 else default


# Languages with a stemmer and stop words in sumy that split into words on spaces.
_STOP_WORD_LANGUAGES = (
    "english", "french", "german", "spanish", "italian", "portuguese", "czech", "slovak",
    "polish", "swedish", "ukrainian", "greek",
)  # fmt: skip
