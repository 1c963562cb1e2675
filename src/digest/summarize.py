"""Summarize: an Article becomes a Brief (the only module that imports sumy).

A brief is a short headline and two or three whole sentences of the article, in the
article's order. Sentences are ranked by a sumy algorithm blended with their position
(news puts what matters first); candidates that cannot stand alone in a digest, such as
fragments or half a quotation, are never chosen.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer
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
CHAR_BUDGET = 600  # for all sentences of one brief together

SUMMARIZERS: dict[str, Callable[..., Any]] = {
    "lexrank": LexRankSummarizer,
    "lsa": LsaSummarizer,
    "textrank": TextRankSummarizer,
    "luhn": LuhnSummarizer,
    "sumbasic": SumBasicSummarizer,
    "kl": KLSummarizer,
}


class _Tokenizer:
    """What sumy asks of a tokenizer, without NLTK's downloadable models."""

    def __init__(self, language: str) -> None:
        self.language = language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(words(sentence))


@lru_cache(maxsize=16)
def _sumy(algorithm: str, language: str) -> tuple[Any, _Tokenizer]:
    try:
        summarizer = SUMMARIZERS[algorithm](Stemmer(language))
        summarizer.stop_words = get_stop_words(language)
    except KeyError as exc:
        raise ConfigError(f"unknown summarizer algorithm {algorithm!r}") from exc
    except LookupError as exc:
        raise ConfigError(f"language {language!r} is not supported by sumy") from exc
    return summarizer, _Tokenizer(language)


def summarize(
    article: Article,
    *,
    sentences: int = 3,
    algorithm: str = "lexrank",
    language: str = "english",
) -> Brief:
    """The brief of ``article``: a headline and up to ``sentences`` of its sentences."""
    chosen = select_sentences(
        split_sentences(article.text), sentences, algorithm=algorithm, language=language
    )
    source = article.title or (chosen[0] if chosen else "")
    return Brief(
        title=article.title,
        headline=make_headline(source),
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
    algorithm: str = "lexrank",
    language: str = "english",
    budget: int = CHAR_BUDGET,
) -> list[str]:
    """Up to ``count`` (at least two when there are two) sentences, in their order."""
    candidates = [i for i, s in enumerate(all_sentences) if is_candidate(s)]
    if not candidates:
        candidates = [i for i, s in enumerate(all_sentences) if count_words(s) >= MIN_WORDS]
    if len(candidates) <= 1:
        return [all_sentences[i] for i in candidates]

    ranks = _rank([all_sentences[i] for i in candidates], algorithm, language)
    n = len(candidates)
    # Position matters most in news; the sumy ranking breaks ties among early sentences.
    scores = {
        index: 0.6 / (1 + 0.25 * order) + 0.4 * (1 - ranks[order] / n)
        for order, index in enumerate(candidates)
    }
    best_first = sorted(candidates, key=lambda i: -scores[i])
    chosen: list[int] = []
    used = 0
    for index in best_first:
        sentence = all_sentences[index]
        if len(chosen) >= 2 and used + len(sentence) > budget:
            continue
        if any(_overlap(sentence, all_sentences[j]) > 0.6 for j in chosen):
            continue
        chosen.append(index)
        used += len(sentence)
        if len(chosen) == count:
            break
    if len(chosen) < 2:
        # Everything else repeats the first choice; a second sentence still beats one.
        texts = {all_sentences[i] for i in chosen}
        chosen += [i for i in best_first if all_sentences[i] not in texts][: 2 - len(chosen)]
    return [all_sentences[i] for i in sorted(chosen)]


def _rank(sentences: list[str], algorithm: str, language: str) -> list[int]:
    """Each sentence's rank (0 is best) by the sumy algorithm."""
    summarizer, tokenizer = _sumy(algorithm, language)
    document = ObjectDocumentModel([Paragraph([Sentence(s, tokenizer) for s in sentences])])
    order: list[Any] = []

    def keep_all(infos: list[Any]) -> list[Any]:
        # sumy calls this with every sentence, best rated first.
        order.extend(infos)
        return infos

    with warnings.catch_warnings():
        # LexRank divides by zero when no two sentences share a word; the order stands.
        warnings.simplefilter("ignore", RuntimeWarning)
        summarizer(document, keep_all)
    ranks = [len(sentences)] * len(sentences)
    for rank, info in enumerate(order):
        ranks[info.order] = rank
    return ranks


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
_DATELINE = re.compile(r"^(\(CNN\)|[A-Z][A-Z .,'’-]{2,}(\([^)]*\))?\s*[-—–]+\s*)")
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
    while because says said told
    """.split()
)


def make_headline(text: str, limit: int = HEADLINE_LIMIT) -> str:
    """A short headline from a title or a sentence, in its own words, cut at a phrase."""
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
    text = text.rstrip(" .;:,")
    return _fit(text, limit)


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
    headline = " ".join(tokens).rstrip(" ,;:")
    return _balance(headline)


def _balance(text: str) -> str:
    """Drop a quotation mark or bracket left open by the cut."""
    for opener, closer in (('"', '"'), ("“", "”"), ("(", ")")):
        if opener == closer and text.count(opener) % 2:
            text = text.replace(opener, "")
        elif opener != closer and text.count(opener) != text.count(closer):
            text = text.replace(opener, "").replace(closer, "")
    return text
