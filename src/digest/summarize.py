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
from digest.text import count_words, is_cjk, split_sentences, words

HEADLINE_LIMIT = 90
MIN_WORDS = 4
MAX_WORDS = 70
MAX_CJK_CHARACTERS = 150  # a Chinese or Japanese character counts as a word
# All sentences of a brief together, with the spaces between them, never pass MAX_CHARS;
# the first two are kept when they fit, a third only when the brief stays in the budget.
# Short briefs read better in an email and score better against human summaries (see
# scripts/fit_brief_model.py).
MAX_CHARS = 450
CHAR_BUDGET = 300
# A third sentence the model rates as high as most lead sentences are (a quarter of first
# sentences rate lower) may stretch the budget by half: such sentences carry news, and
# the long pieces whose sentences run long (Daily Mail) have summaries of four lines.
STRONG_RATING = 0.07
STRETCH = 3 / 2


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
        image_size=article.image_size,
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
    in their order, none of them leaning on a sentence the brief leaves out."""
    all_sentences = [drop_captions(s) for s in all_sentences]
    eligible = {i for i, s in enumerate(all_sentences) if is_candidate(s)}
    if not eligible:
        eligible = {i for i, s in enumerate(all_sentences) if count_words(s) >= MIN_WORDS}
    if not eligible:
        return []

    scores = rate_sentences(all_sentences, algorithm=algorithm, language=language, weights=weights)
    # Only the digest model's ratings are on the scale STRONG_RATING was measured on.
    strong = STRONG_RATING if algorithm == "digest" else math.inf
    best_first = sorted(eligible, key=lambda i: (-scores[i], i))
    chosen: set[int] = set()
    used = 0
    for strict in (True, False):
        # The second pass lets a long unit in when the first left fewer than two sentences.
        for index in best_first:
            if len(chosen) >= count or (not strict and len(chosen) >= min(2, count)):
                break
            unit = _with_antecedents(all_sentences, index, chosen, eligible)
            if unit is None or len(chosen) + len(unit) > count:
                continue
            size = sum(len(all_sentences[i]) for i in unit)
            # Past MAX_CHARS a brief is not brief: only a first sentence may be that long,
            # and only when no sentence that fits is to be had.
            if used + size + len(chosen) > MAX_CHARS and (chosen or strict):
                continue
            if (
                strict
                and len(chosen) + len(unit) > 2
                and used + size > budget
                and (used + size > budget * STRETCH or min(scores[i] for i in unit) < strong)
            ):
                continue
            if strict and any(
                _overlap(all_sentences[i], all_sentences[j]) > 0.75 for i in unit for j in chosen
            ):
                continue
            if any(all_sentences[i] == all_sentences[j] for i in unit for j in chosen):
                continue
            chosen.update(unit)
            used += size
    return [_DATELINE.sub("", all_sentences[i]) for i in sorted(chosen)]


def _with_antecedents(
    sentences: Sequence[str], index: int, chosen: set[int], eligible: set[int]
) -> list[int] | None:
    """``index`` and the sentences before it that it leans on, or None if one cannot be had."""
    if index in chosen:
        return None
    unit = [index]
    while leans_back(sentences, unit[0], chosen | set(unit)):
        before = unit[0] - 1
        if before in chosen:
            break
        if before not in eligible:
            return None
        unit.insert(0, before)
    return unit


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
                float(i == 3),
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


# Openers that lean on the sentence before: connectives, demonstratives, "the same".
_CONNECTIVE = re.compile(
    r"^[\"“‘']?(But|And|Or|Nor|Also|However|So|Yet|Still|Then|Thus|Hence|Therefore|Instead|"
    r"Meanwhile|Moreover|Furthermore|Besides|Otherwise|Indeed|Likewise|Similarly|Even so|"
    r"In addition|As a result|By contrast|In contrast|On the other hand|Such|Both|Neither|"
    r"The latter|The former|The same|Another|Other|Later|Afterwards|"
    r"(This|That|These|Those)(?! (year|week|month|morning|afternoon|evening|weekend|"
    r"summer|winter|spring|autumn|season|time)\b)|That's|That’s)\b"
)
# "also" among the first words: "The council also agreed ...".
_ALSO = re.compile(r"^\W*(\S+\s+){1,3}also\b")
# Pronouns that need a named person earlier in the brief, and ones that need the
# sentence just before (a thing or a group, which only the sentence before can name).
_PERSON_PRONOUN = re.compile(r"^[\"“‘']?(He|She|His|Her|Him)\b")
_THING_PRONOUN = re.compile(r"^[\"“‘']?(It|Its|They|Their|Them|It's|It’s)\b")
# A quotation standing alone, its speaker named in the sentence before.
_BARE_QUOTE = re.compile(r"^[\"“‘'][^\"“”]+[.!?…][\"”’']$")
# A name: a capitalised word that is not the first of its sentence.
_NAME = re.compile(r"(?<=\s)[A-Z][a-z]+")
_LEANS_BACK = re.compile(
    _CONNECTIVE.pattern + "|" + _PERSON_PRONOUN.pattern[1:] + "|" + _THING_PRONOUN.pattern[1:]
)
CONTEXT_PENALTY = 0.02  # about what a first-sentence bonus is worth; costs no ROUGE


def leans_back(sentences: Sequence[str], index: int, present: set[int] | None = None) -> bool:
    """Whether sentence ``index`` needs the one before it, with ``present`` in the brief.

    Connectives, demonstratives, bare quotations and "it"/"they" need their predecessor;
    "he"/"she" need only a name in an earlier sentence of the brief.
    """
    if index == 0:
        return False
    sentence = sentences[index]
    if _CONNECTIVE.match(sentence) or _ALSO.match(sentence) or _BARE_QUOTE.match(sentence):
        return True
    if _THING_PRONOUN.match(sentence):
        return True
    if _PERSON_PRONOUN.match(sentence):
        earlier = sorted(i for i in present or () if i < index)
        return not any(_NAME.search(sentences[i]) for i in earlier)
    return False


def _needs_context(index: int, sentence: str) -> bool:
    return bool((index > 0 and _LEANS_BACK.match(sentence)) or _BARE_QUOTE.match(sentence))


def _overlap(a: str, b: str) -> float:
    wa, wb = {w.lower() for w in words(a)}, {w.lower() for w in words(b)}
    return len(wa & wb) / max(1, min(len(wa), len(wb)))


_TERMINAL = re.compile(r"[.!?…。！？][\"'”’)\]」』）]*$")


def is_candidate(sentence: str) -> bool:
    """Whether ``sentence`` can stand alone in a brief."""
    n = count_words(sentence)
    if n < MIN_WORDS or n > (MAX_CJK_CHARACTERS if is_cjk(sentence) else MAX_WORDS):
        return False
    if not _TERMINAL.search(sentence) or sentence[:1].islower():
        return False
    return not is_dangling_quote(sentence) and not is_run_on(sentence)


_DAY = r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH_NAME = (
    r"(January|February|March|April|May|June|July|August|September|October|November|December)"
)
# Page text flattened without its line breaks runs a photo caption, which has no full stop,
# into the next sentence: "... at a Polish animal shelter Veterinarian Lucyna ...". The join
# shows as a sentence opener after a lower-case word: "... at the club on Friday The manager
# said ...", "... on Friday 'I'd be over the moon', said ...". A title keeps its capitals
# ("in The Great Escape starring"), and a quotation after "said" is no join.
_RUN_ON = re.compile(
    r" (?:[‘'\"“](?:I|We|They|He|She|It|The)|The|He|She|It|They|His|Her|Their|This|These|"
    r"Those|When|Now|But|As|After|Like|If|We|Its|There|Here)(?= [a-z])"
)
# The word before the join: lower case, a number, a day or month ("on Friday The"), or a
# closing bracket ("(pictured) The").
_JOINED_WORD = re.compile(rf"[a-z][a-z'’-]*|\d+|.*[a-z]\)|{_DAY}|{_MONTH_NAME}")
# Words that introduce a quotation or a title rather than end a caption: "said 'I ...",
# "phrases like "I love you"", "a place of 'I want ...'".
_INTRODUCES = frozenset(
    "said says say saying states stated told asked added adding wrote reads read called "
    "captioned titled entitled shouted that and or like with of as is was are were be from to "
    "in on at by for about".split()
)
# More openers that only a join puts after a lower-case word: "... the festival Although
# the kite ...", "... $5,000 In her lawsuit ...", "... the curriculum However, Tory ...".
_RUN_ON_MORE = re.compile(
    r" (?:In|Although|While|During|Despite|Following|Speaking|According|However|Meanwhile|"
    r"Since|Before|Once|Some|Many|One|Two|Three|Police|Officers)(?=,? [a-z])"
)
# A sentence opener after a capitalised word: "... the Bahrain Grand Prix It was ...".
_RUN_ON_AFTER_NAME = re.compile(r"(?<=[a-z]) (?:It|He|She|They|The|His|Her|Their|We) (?=[a-z])")
_SPEECH = (
    r"(said|says|say|added|adds|told|tells|explained|wrote|writes|tweeted|stated|insisted|"
    r"claimed|replied|asked|warned|admitted|revealed|declared|continued|concluded|recalled)"
)
# A caption's label after a lower-case word: "... the apartment block Slow response: People
# ...". Not a speaker ("The PM added: "), a clause ("only Lee can answer: Will ...") or a
# time ("held Sunday evening: The coffin ...").
_CAPTION_LABEL = re.compile(
    rf"(?<=[a-z0-9)’'] )(?!{_DAY}|{_MONTH_NAME})[A-Z][a-z][\w'’-]*(?: [a-z][\w'’-]*){{0,2}}: "
    r"(?=[A-Z][a-z])"
)
_NOT_LABEL = re.compile(rf"\b({_SPEECH}|can|could|will|would|may|might|must|should)\b")
_DETERMINERS = frozenset("the a an this that these those our their his her its my your".split())
_FURNITURE = re.compile(r"\bScroll down for video\b", re.IGNORECASE)


def _caption_joins(sentence: str) -> list[tuple[int, bool]]:
    """Where a caption or page furniture runs into the text after it, in order, each with
    whether a caption starts there (rather than the sentence it ran into)."""
    joins: list[tuple[int, bool]] = []
    for pattern in (_RUN_ON, _RUN_ON_MORE):
        for join in pattern.finditer(sentence):
            before = sentence[: join.start()].rsplit(" ", 1)[-1]
            if _JOINED_WORD.fullmatch(before) and before.rstrip("'’") not in _INTRODUCES:
                joins.append((join.start(), False))
    for join in _RUN_ON_AFTER_NAME.finditer(sentence):
        before = sentence[: join.start()].rsplit(" ", 1)[-1]
        if before[:1].isupper() and " " in sentence[: join.start()]:
            joins.append((join.start(), False))
    for label in _CAPTION_LABEL.finditer(sentence) if ": " in sentence else ():
        before = sentence[: label.start() - 1].rsplit(" ", 1)[-1]
        if (
            not _NOT_LABEL.search(label.group())
            and _JOINED_WORD.fullmatch(before)
            and before not in _INTRODUCES
            and before not in _DETERMINERS
            and not before[:1].isupper()
        ):
            joins.append((label.start() - 1, True))
    return sorted(joins)


def is_run_on(sentence: str) -> bool:
    """Whether ``sentence`` is a caption or page furniture run into a sentence."""
    return bool(_FURNITURE.search(sentence) or _caption_joins(sentence))


def drop_captions(sentence: str) -> str:
    """The sentence that captions or page furniture ran into, without them ("" if none).

    Flattened page text runs a caption, which has no full stop, into the sentence after it;
    the sentence is worth having, the caption reads as garbled.
    """
    joins = _caption_joins(sentence)
    if not joins:
        return sentence
    start, caption = joins[-1]
    return "" if caption else sentence[start + 1 :]


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
    while because says said told he she it they we whether where according
    """.split()
)


_WHEN = re.compile(
    rf"\s*\b(on {_DAY}|{_DAY}(?!['’])|(last|this|next|earlier this|later this) "
    rf"(week|month|year|weekend|season|{_DAY})(?:['’]s)?|"  # "this year's" goes whole
    rf"in {_MONTH_NAME}( \d{{4}})?|in (19|20)\d\d|"
    rf"yesterday|today|on \d+ {_MONTH_NAME}|for the (three|six|nine|twelve) months to \w+|"
    r"a year earlier|year-earlier)\b,?"
)
# "X said (that) ...": the verbs that take a clause; the others only with "that".
_SAID_THAT = re.compile(
    r"^.{0,60}?\b((?:said|says|warned|claimed)(?: that)?|(?:announced|reported|revealed|"
    r"admitted|confirmed) that)\s+",
    re.IGNORECASE,
)
_SHOW = re.compile(
    r",?\s+(official figures|figures|data|analysts|experts|reports?|officials?|sources)"
    r"( have)? (show|shows|showed|suggest|suggests|said|say|says)\b.*$"
)
_APPOSITION_AFTER_NAME = re.compile(
    r"^([A-Z][\w'’.&-]*(?: [A-Z][\w'’.&-]*){0,3}), [^,]{3,90}, (?=\w)"
)
# The role before a name that opens a lead: "Newcastle boss Souness ..." -> "Souness ...".
_ROLE_BEFORE_NAME = re.compile(
    r"^((?:\S+ ){1,5}?)(boss|manager|chairman|chief|minister|secretary|president|leader|"
    r"star|singer|actor|actress|striker|captain|coach|director|executive|MP|party|group|firm|"
    r"giant|maker|company|champion|winger|midfielder|defender|keeper|player|chancellor|"
    r"spokesman|spokeswoman|governor|frontman|drugmaker|carmaker|retailer|airline|bank) "
    r"(?=[A-Z][\w'’-]*\b(?! [a-z]+ (of|for)\b))"
)
# Words that may describe a role ("troubled", "former"), though they end like verbs.
_ROLE_ADJECTIVES = frozenset("struggling troubled embattled leading acting ruling".split())


def _describes_role(words_before: str) -> bool:
    """Whether the words before a role only describe it: "UK advertising", "World 100m".

    A verb ("Norwich signed"), a preposition ("Shares in", "Revenues at") or an -ing form
    away from the role ("Lawyers defending former ... chief") means the role belongs to
    another subject, which must stay.
    """
    tokens = words_before.split()
    for position, token in enumerate(tokens):
        word = token.lower().strip(",")
        if token[:1].isupper() or any(c.isdigit() for c in token) or word in _ROLE_ADJECTIVES:
            continue
        if word.endswith("ing") and position == len(tokens) - 1:
            continue  # a trade, not a verb: "mining firm", "advertising giant"
        if word in _DANGLING or word.endswith(("ed", "ing")) or _VERB.fullmatch(word):
            return False
    return True


_APPOSITION = re.compile(r", (one of|part of|a |an |the |owner of|maker of|home to)[^,]{0,80},")
# Irregular past participles that are also the past tense, so "has won" may become "won";
# and those that are not ("has taken" cannot become "taken"), which only the passive drops.
_PAST_PARTICIPLES = (
    "won lost sold made got left hit cut set put led held run paid sent spent built bought "
    "brought kept found met shot stood struck told felt fought heard sought shut split taught "
    "said thought understood"
).split()
_PASSIVE_PARTICIPLES = (
    "taken given gone fallen risen grown begun broken chosen drawn withdrawn driven flown "
    "known spoken thrown written beaten seen shown done eaten forgotten frozen hidden stolen "
    "proven shaken sworn worn torn blown overtaken mistaken forbidden"
).split()
_PAST = r"(?:\w+ed|" + "|".join(_PAST_PARTICIPLES) + r")\b"
_PARTICIPLE = r"(?:\w+ed|" + "|".join(_PAST_PARTICIPLES + _PASSIVE_PARTICIPLES) + r")\b"
# Words headlines leave out: articles, possessives, and the auxiliary in "has raised",
# "has been named", "are investigating", "is to open", "is at".
_AFTER_NOUN = "".join(rf"(?<!\b{p} )" for p in "he she it we they i you".split())
_HEADLINESE = re.compile(
    r"\b(?:(?:the|a|an)\s+|(?:its|their|his)\s+(?=\w)|"
    rf"{_AFTER_NOUN}(?:has|have|had)\s+(?=(?:not\s+|also\s+)?{_PAST})|"
    rf"{_AFTER_NOUN}(?:has|have|had)\s+been\s+(?=\w+ing\b|{_PARTICIPLE})|"
    rf"{_AFTER_NOUN}(?:is|are|was|were)\s+(?=to\b|(?!willing|going)\w+ing\b|{_PARTICIPLE}|"
    r"(?:at|in|on|under|over|near|up|down|out|off|behind|ahead)\b))",
    re.IGNORECASE,
)
_WANTS_MORE = re.compile(
    r"(?<=\w(ed|ng))\s+(to|that|by|as|for|with|at|into)\b|"
    r"(?:"
    + "|".join(
        rf"(?<=\b{word})"
        for word in (
            "up due set able likely going here ready about plan plans aims hopes want wants need "
            "needs"
        ).split()
    )
    + r")\s+to\b|"
    # "as much | as 16%", "more | than", "according | to", "close | to", "just | before"
    + "|".join(rf"(?<=\b{word})" for word in "much more less according close just".split())
    + r"\s+(to|as|than|before|after)\b"
)
_PHRASE_END = re.compile(r"(?=,\s)|(?=\s(?:" + "|".join(_BREAK_WORDS) + r")\b)|$")


# A span's score: its recurring words (each counted up to _RECUR_CAP times) per word, plus
# _SHORT_PRIOR for six to ten words; tuned on the even rows of bbc-headlines-dev.
_RECUR_CAP = 5
_SPAN_SLACK = 4
_SHORT_PRIOR = 0.1
_SHORT_WORDS = (6, 10)


def headline_from_sentences(
    sentences: Sequence[str], limit: int = HEADLINE_LIMIT, language: str = "english"
) -> str:
    """A headline for an article without a title, from its lead sentence.

    The lead is stripped of what headlines leave out (time phrases, appositions,
    articles), then cut after the complete clause that packs the most of the article's
    recurring words per word. Who said a claim stays in the headline.
    """
    lead = next(
        (s for s in sentences if is_candidate(s) and not _LEANS_BACK.match(s)),
        next((s for s in sentences if is_candidate(s)), sentences[0] if sentences else ""),
    )
    prefix, text, said_after = _split_attribution(_simplify(lead))
    if said_after:  # "..., the watchdog has warned" -> "Watchdog: ...", shorter and still fair
        speaker = _speaker(_SPEAKER_WORDS.sub("", said_after))
        prefix = "" if speaker.lower() in _SELF_SPEAKERS else speaker + ": "
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
    # A name without its role keeps its first name: "Labour MP Ann Pound" -> "Ann Pound".
    role = _ROLE_BEFORE_NAME.match(text)
    named = ""
    if role and _describes_role(role.group(1)) and count_words(text[role.end() :]) >= 4:
        name = _TWO_NAMES.match(text, role.end())
        named, text = (name.group(0) if name else ""), text[role.end() :]
    said = _SAID_THAT.match(text)
    if (
        not prefix
        and not said_after
        and said
        and _is_subject(text[: said.start(1)])
        and _is_clause(claim := text[said.end() :])
        and not _LEANS_BACK.match(claim.capitalize())
    ):
        # "X said that Y" becomes "X: Y", so that the claim keeps its speaker.
        prefix, text = _speaker(text[: said.start(1)]) + ": ", claim
    article = " ".join(sentences)
    prefix = _surnames(prefix, article)
    named = named if named and text.startswith(named) else ""
    text = named + _surnames(text[len(named) :], article)
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    room = limit - len(prefix)

    lang = _language(language)

    def stems(part: str) -> list[str]:
        return [lang.stem(w.lower()) for w in words(part) if w.lower() not in lang.stop_words]

    recurring = Counter(stem for sentence in sentences for stem in set(stems(sentence)))

    def density(span: str) -> float:
        recurring_words = sum(min(recurring[s], _RECUR_CAP) for s in stems(span))
        # A small prior for six to ten words, the length a headline reads best at.
        fits = _SHORT_WORDS[0] <= count_words(span) <= _SHORT_WORDS[1]
        return recurring_words / (count_words(span) + _SPAN_SLACK) + (_SHORT_PRIOR if fits else 0.0)

    # A span must be a whole clause and may not stop on a word that wants what follows:
    # "workers believed | to be", "cars equipped | with".
    spans = [
        span
        for m in _PHRASE_END.finditer(text)
        if not _WANTS_MORE.match(text, m.start())
        and count_words(span := text[: m.start()].strip(" ,")) >= 4
        and len(span) <= room
        and _is_clause(span)
    ]
    return prefix + _fit(max(spans, key=density) if spans else text, room)


# Capitalised words that open a name but are not a first name: "New York", "Prime Minister".
_NOT_FIRST_NAMES = frozenset(
    "New United Prime North South East West Great Royal General Real Sir Lord Lady Saint St "
    "Mr Mrs Ms Dr Old Little Big Upper Lower Central Greater Red Blue Black White".split()
)
# Capitalised words that end the names of teams, places and things, not of people.
_NOT_SURNAMES = frozenset(
    "United City Town County Rovers Athletic Albion Wanderers Rangers Street Road Square Bank "
    "Group Party Council Court House Office Times News Post Prize Award Awards Festival Cup "
    "League Club Company Corporation Steel Life Idol Commission Union Kingdom States".split()
)
_TWO_NAMES = re.compile(r"\b([A-Z][a-z]+) ([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b(?! [A-Z])")


def _surnames(text: str, article: str) -> str:
    """``text`` naming people by surname, as headlines do, where the article does too."""

    def surname(match: re.Match[str]) -> str:
        first, last = match.groups()
        before = text[: match.start()].split()
        if (
            first in _NOT_FIRST_NAMES
            or last in _NOT_SURNAMES
            or (before and before[-1][:1].isupper() and not before[-1].isupper())
        ):
            return match.group(0)  # "Manic Street Preachers" is one name; "MP Ann Lee" two
        # The article calls them by surname too: "Mr Blair", "Blair said", "Blair's", or a
        # sentence opening "Blair, ..." or "Blair went ...".
        last_ = re.escape(last)
        alone = re.search(
            rf"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof|Sir|Lord|Lady)\.? {last_}\b|(?<!{re.escape(first)} )"
            rf"\b{last_}(?:'s|’s| said| says| told| added| admitted| insisted| believes)\b|"
            rf"(?:^|[.!?] ){last_},? [a-z]",
            article,
        )
        return last if alone else match.group(0)

    return _TWO_NAMES.sub(surname, text)


def make_headline(text: str, limit: int = HEADLINE_LIMIT) -> str:
    """A short headline from a title or a sentence, in its own words, cut at a phrase.

    Who said a claim stays: "Cole: ...", "..., says Anelka".
    """
    prefix, claim, suffix = _split_attribution(_simplify(text))
    return prefix + _fit(claim, limit - len(prefix) - len(suffix)) + suffix


# Labels that name a section or a format, not a speaker: "Analysis:", "Live:".
_SECTION_LABELS = frozenset(
    """
    analysis opinion comment live watch video videos exclusive breaking update updated review
    explainer interview factbox q&a photos pictures podcast editorial obituary profile feature
    briefing quiz poll revealed pictured listen read more
    """.split()
)
# A label that reports a fact rather than a claim: "The White House confirms:".
_FACT_LABEL = re.compile(r"\b(confirms|confirmed|announces|announced)$", re.IGNORECASE)
# A claim's speaker at the end: "..., says Anelka", "..., police said".
_SPEAKER_AFTER = re.compile(
    r",\s*((?:says|said|claims|warns|insists|admits|according to)\s+[^,]{1,50}|"
    r"[^,]{1,50}?\s+(?:said|says|say|claimed|claims|warned|warns|told [\w ]{1,30}))$"
)
# A verb, so that a span is a clause: past forms, "to" + verb, auxiliaries, headline verbs.
_VERB = re.compile(
    r"\b(\w{2,}ed|to \w+|is|are|was|were|has|have|had|will|would|can|could|may|might|must|"
    r"should|does|did|do|says|said|won|wins|lost|loses|sold|sells|made|makes|took|takes|"
    r"gave|gives|got|gets|went|goes|came|comes|left|hit|hits|cut|cuts|set|sets|put|led|"
    r"leads|held|holds|fell|falls|rose|rises|ran|runs|grew|grows|paid|pays|sent|spent|"
    r"built|bought|buys|brought|kept|keeps|began|begins|broke|chose|drew|drove|flew|found|"
    r"finds|knew|met|meets|shot|spoke|stood|struck|threw|told|tells|wrote|beat|beats|became|"
    r"felt|fought|heard|hears|sought|seeks|shut|split|taught|tore|wins|backs|boost|boosts|"
    r"faces|face|plans|warns|calls|seen|shown|given|taken|known|done|gone|become|begun|"
    r"written|broken|chosen|driven|fallen|risen|stolen|sworn|thrown|worn|won)\b",
    re.IGNORECASE,
)
# Words that cannot end a clause: "readers are likely | to", "should be allowed | to".
_WANTS_COMPLEMENT = frozenset(
    "likely unlikely able unable allowed set expected willing due about ready going want wants "
    "whether if than because".split()
)
_AUXILIARY = frozenset(
    "is are was were be been has have had will would can could may might must should do does "
    "did to".split()
)


def _is_clause(span: str) -> bool:
    """Whether ``span`` has a verb and does not end on an auxiliary or "to"."""
    tokens = span.rstrip(" ,;:.").split()
    return (
        bool(tokens)
        and bool(_VERB.search(span))
        and tokens[-1].lower() not in _AUXILIARY
        and tokens[-1].lower() not in _WANTS_COMPLEMENT
        # "..., taking" or "... killed off marking": a participle that has lost its object
        and not (len(tokens) > 1 and tokens[-1].endswith("ing") and tokens[-2][-1] in ",")
    )


# Speakers not worth a name: the subject speaking of itself ("..., the firm said"), or
# figures that report rather than claim ("..., according to official figures").
_SELF_SPEAKERS = frozenset(
    "it,they,firm,company,group,bank,club,business,carmaker,retailer,airline,figures,data,"
    "statistics,official figures,government figures,government data,lending figures".split(",")
)
# What is left of an attribution once its speaker is taken out.
_SPEAKER_WORDS = re.compile(
    r"^,\s*|\b(according to|says|said|say|claims|claimed|warns|warned|insists|admits|"
    r"told [\w ]{1,30}|has|have|had|been|reportedly|its|their|his|her)\b",
    re.IGNORECASE,
)


def _is_subject(words_before: str) -> bool:
    """Whether the words before "said" are its subject, with no verb of their own.

    "Brown has made an appeal after reports claimed ..." is no claim by Brown; "A survey
    conducted by PC Pro revealed that ..." is one by the survey (a participle is no verb).
    """
    words_before = re.sub(r"\s+(has|have|had)$", "", words_before.strip())
    return all(
        _PARTICIPLE_PHRASE.match(words_before, m.start()) for m in _VERB.finditer(words_before)
    )


# A participle that describes a noun: "conducted by", "released on", "published last".
_PARTICIPLE_PHRASE = re.compile(
    r"\w+ed (by|in|on|at|for|from|with|last|this|earlier|yesterday|today)\b", re.IGNORECASE
)


def _speaker(subject: str) -> str:
    """The speaker in a subject, as a headline names them: "chairman Ann Lee" -> "Ann Lee"."""
    subject = _HEADLINESE.sub("", _WHEN.sub("", subject)).strip(" ,")
    # "a study released on Wednesday" -> "Study"
    subject = re.sub(r"\s+(has|have|had|reportedly|released|published|issued)$", "", subject)
    tokens = subject.split()
    if len(tokens) > 3:
        # The name at the end, with its inner "of" and "&": "Bank of England".
        name: list[str] = []
        for token in reversed(tokens):
            if token[:1].isupper() or (name and token.lower() in {"of", "&", "and", "for"}):
                name.insert(0, token)
            else:
                break
        while name and not name[0][:1].isupper():
            name.pop(0)
        # Without a name, the last three words and what they join: "trade and industry
        # secretary", not "and industry secretary".
        start = len(tokens) - 3
        while start > 0 and tokens[start].lower() in {"of", "&", "and", "for"}:
            start -= 1
        tokens = name or tokens[start:]
    text = " ".join(tokens)
    return text[:1].upper() + text[1:]


_SAYS = frozenset("says said say claims claimed warns warned".split())


def _split_attribution(text: str) -> tuple[str, str, str]:
    """``text`` as (speaker prefix, claim, speaker suffix); the speaker parts may be empty."""
    label = _LABEL_PREFIX.match(text)
    if label and count_words(label.group(1)) <= 4 and count_words(text[label.end() :]) >= 3:
        return label.group(0), text[label.end() :], ""
    after = _SPEAKER_AFTER.search(text)
    # The speaker is named, before or after the verb: ", said the" is a cut-off title.
    last = text.split()[-1].lower().strip(".,;:!?\"'") if after else ""
    named = last not in _DANGLING or last in _SAYS
    if after and named and count_words(text[: after.start()]) >= 3:
        return "", text[: after.start()], text[after.start() :]
    return "", text, ""


# "will" after a named subject, or after the subject saying it will: never "they to".
_WILL = re.compile(
    r"(?:\s+(?:has\s+)?(?:said|says|confirmed|announced)(?:\s+that)?\s+(?:it|they|he|she)|"
    + "".join(rf"(?<!\b{w})" for w in "i he it we you she they who that which there".split())
    + r"(?<=\w))\s+will\b(?!\s+not\b)",
    re.IGNORECASE,
)


def _simplify(text: str) -> str:
    """``text`` without site name, section label, dateline, asides or opening clause."""
    text = " ".join(text.split())
    text = _SITE_SUFFIX.sub("", text) if count_words(text) > 6 else text
    label = _LABEL_PREFIX.match(text)
    if (
        label
        and count_words(label.group(1)) <= 5
        and count_words(text[label.end() :]) >= 4
        and (label.group(1).lower() in _SECTION_LABELS or _FACT_LABEL.search(label.group(1)))
    ):
        text = text[label.end() :]  # "The White House confirms: ...", "Analysis: ..."
    text = _DATELINE.sub("", text)
    for pattern in (_RELATIVE, _PAREN):
        shorter = pattern.sub("" if pattern is not _RELATIVE else ",", text).strip(" ,")
        if count_words(shorter) >= 4:
            text = shorter
    clause = _LEADING_CLAUSE.match(text)
    if clause and count_words(text[clause.end() :]) >= 5:
        rest = text[clause.end() :]
        text = rest[0].upper() + rest[1:]
    text = _WILL.sub(" to", text, count=1)  # headline style: "Apple (said it) will" -> "Apple to"
    return text.rstrip(" .;:,")


def _fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters before a clause or phrase, never mid-word."""
    if len(text) > limit:
        cut = text[: limit + 1]
        points = [m.start() for m in re.finditer(r",\s|;\s|\s[–—-]\s", cut)]
        points += [
            m.start() for m in re.finditer(r"\s(?=(" + "|".join(_BREAK_WORDS) + r")\b)", cut)
        ]
        # A cut keeps a whole clause where it can: a verb, not ending on an auxiliary.
        good = [
            p
            for p in points
            if count_words(text[:p]) >= 4
            and _is_clause(text[:p])
            and not _WANTS_MORE.match(text, p)
        ]
        # Else any phrase boundary but one that leaves a word wanting more ("wants | to").
        good = good or [
            p for p in points if count_words(text[:p]) >= 4 and not _WANTS_MORE.match(text, p)
        ]
        text = text[: max(good)] if good else cut.rsplit(" ", 1)[0]
    tokens = text.rstrip(" ,;:–—-").split()
    while len(tokens) > 3:
        last = tokens[-1].rstrip(",;:–—-")
        if last and last.lower().strip("\"'“”‘’") not in _DANGLING:
            tokens[-1] = last  # "despite the slowdown, | according" keeps "slowdown"
            break
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
            _DATELINE.sub("", pool[n][2]) for n in sorted(chosen, key=lambda n: pool[n][1::-1])
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
