"""Choosing a brief's sentences: which can stand alone, which lean on the one before, and
the two or three that fit the budget."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from digest.summarize.captions import drop_captions, is_dangling_quote, is_run_on
from digest.summarize.model import (
    WEIGHTS,
    sentence_features,
    sumy_language,
    sumy_ratings,
    sumy_summarizer,
)
from digest.text import count_words, is_cjk, words

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
    return [DATELINE.sub("", all_sentences[i]) for i in sorted(chosen)]


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
            - (CONTEXT_PENALTY if needs_context(i, sentence) else 0.0)
            for i, (sentence, row) in enumerate(zip(sentences, rows, strict=True))
        ]
    return sumy_ratings(sentences, sumy_summarizer(algorithm, language), sumy_language(language))


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
LEANS_BACK = re.compile(
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


def needs_context(index: int, sentence: str) -> bool:
    return bool((index > 0 and LEANS_BACK.match(sentence)) or _BARE_QUOTE.match(sentence))


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


# A wire dateline: "(CNN)", "LONDON (Reuters) -", "PARIS, March 3 (AP) —".
DATELINE = re.compile(
    r"^(\((CNN|AP|AFP|Reuters|Bloomberg)\)\s*|"
    r"[A-Z][A-Z .'’-]{2,}(, [A-Z][a-z]+\.? \d{1,2})?\s*(\([^)]*\))?\s*[-—–]+\s*)"
    r"(?=[A-Z\"“‘'])"
)
