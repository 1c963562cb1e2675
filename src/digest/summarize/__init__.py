"""Summarize: an Article becomes a Brief; several outlets' articles on one story, one Brief.

A brief is a short headline and two or three whole sentences of the article, in the
article's order. Sentences are rated by a small linear model over features that matter in
news (position, length, centrality, word frequency, numbers, sumy's Luhn rating), or by
one of sumy's algorithms as configured; candidates that cannot stand alone in a digest,
such as fragments or half a quotation, are never chosen. Sumy's stemmers and stop words
serve every language it supports.

The parts: ``model`` (sumy, the only module that imports it, and the model's features),
``captions`` (captions run into sentences), ``sentences`` (which sentences a brief takes),
``headlines`` and ``story`` (one brief across outlets).
"""

from __future__ import annotations

from digest.models import Article, Brief
from digest.summarize.captions import drop_captions, is_dangling_quote, is_run_on
from digest.summarize.headlines import HEADLINE_LIMIT, headline_from_sentences, make_headline
from digest.summarize.model import (
    ALGORITHMS,
    FEATURES,
    WEIGHTS,
    detect_language,
    sentence_features,
    stock_sentences,
)
from digest.summarize.sentences import (
    CHAR_BUDGET,
    MAX_CHARS,
    is_candidate,
    leans_back,
    rate_sentences,
    select_sentences,
)
from digest.summarize.story import STORY_BUDGET, summarize_story
from digest.text import split_sentences

__all__ = [
    "ALGORITHMS",
    "CHAR_BUDGET",
    "FEATURES",
    "HEADLINE_LIMIT",
    "MAX_CHARS",
    "STORY_BUDGET",
    "WEIGHTS",
    "detect_language",
    "drop_captions",
    "headline_from_sentences",
    "is_candidate",
    "is_dangling_quote",
    "is_run_on",
    "leans_back",
    "make_headline",
    "rate_sentences",
    "select_sentences",
    "sentence_features",
    "stock_sentences",
    "summarize",
    "summarize_story",
]


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
