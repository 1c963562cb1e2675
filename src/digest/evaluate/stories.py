"""Score one brief per story against an editor's summary and title, with ROUGE.

Rows are JSON lines ``{cluster_id, articles: [{title, text, source, url}], reference?,
headline?}``: one story per row, its articles given. Briefs come from exactly the code
the digest uses (``summarize_story``); the baselines are the first article's lead (as
many sentences as the brief may have) and the first article's title.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rouge_score import rouge_scorer

from digest.errors import InputError
from digest.evaluate.clusters import _json_lines, _string
from digest.evaluate.summaries import _writer
from digest.models import Article, Brief
from digest.text import split_sentences

StorySummarizer = Callable[[Sequence[Article]], Brief]
BRIEF_KEYS = ("rouge1", "rouge2", "rougeLsum")
HEADLINE_KEYS = ("rouge1", "rouge2", "rougeL")


@dataclass(frozen=True)
class Row:
    id: str
    articles: tuple[Article, ...]
    reference: str | None
    headline: str | None


def load_rows(path: Path) -> list[Row]:
    """The stories of a JSON-lines file; a row without articles is an error naming its line."""
    rows = []
    for number, data in _json_lines(path):
        where = f"{path}:{number}"
        found = data.get("articles")
        if not isinstance(found, list) or not found:
            raise InputError(where, "needs 'articles', a list of {title, text, source, url}")
        articles = []
        for k, item in enumerate(found):
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise InputError(where, f"article {k + 1} is not an object with a 'text'")
            articles.append(
                Article(
                    title=_string(item.get("title")),
                    text=item["text"],
                    origin=f"{where}#{k + 1}",
                    url=_string(item.get("url")) or None,
                    source=_string(item.get("source")) or None,
                )
            )
        reference, headline = data.get("reference"), data.get("headline")
        rows.append(
            Row(
                str(data.get("cluster_id", number)),
                tuple(articles),
                reference if isinstance(reference, str) else None,
                headline if isinstance(headline, str) else None,
            )
        )
    if not rows:
        raise InputError(str(path), "no rows to evaluate")
    return rows


def evaluate_stories(
    rows: Sequence[Row],
    summarize: StorySummarizer,
    sentences: int = 3,
    predictions: Path | None = None,
) -> dict[str, Any]:
    """ROUGE F1 of the briefs and of the first article's lead against ``reference``, and
    of the headlines and the first article's title against ``headline``, where present."""
    brief_scorer = rouge_scorer.RougeScorer(list(BRIEF_KEYS), use_stemmer=True)
    title_scorer = rouge_scorer.RougeScorer(list(HEADLINE_KEYS), use_stemmer=True)
    briefs: dict[str, list[Any]] = {"briefs": [], "lead": []}
    headlines: dict[str, list[Any]] = {"headlines": [], "first_title": []}
    millis: list[float] = []
    with _writer(predictions) as write:
        for row in rows:
            start = time.process_time()
            brief = summarize(row.articles)
            millis.append((time.process_time() - start) * 1000)
            write(
                {
                    "cluster_id": row.id,
                    "headline": brief.headline,
                    "sentences": list(brief.sentences),
                }
            )
            if row.reference is not None:
                lead = split_sentences(row.articles[0].text)[:sentences]
                briefs["briefs"].append(
                    brief_scorer.score(row.reference, "\n".join(brief.sentences))
                )
                briefs["lead"].append(brief_scorer.score(row.reference, "\n".join(lead)))
            if row.headline is not None:
                headlines["headlines"].append(title_scorer.score(row.headline, brief.headline))
                headlines["first_title"].append(
                    title_scorer.score(row.headline, row.articles[0].title)
                )
    report: dict[str, Any] = {
        "stories": len(rows),
        "articles": sum(len(row.articles) for row in rows),
        "sentences": sentences,
        "cpu_ms_per_story": round(statistics.fmean(millis), 2),
    }
    for systems, keys in ((briefs, BRIEF_KEYS), (headlines, HEADLINE_KEYS)):
        for name, scores in systems.items():
            if scores:
                report[name] = {k: _mean_f1(scores, k) for k in keys}
    return report


def _mean_f1(scores: list[Any], key: str) -> float:
    return round(100 * statistics.fmean(s[key].fmeasure for s in scores), 2)
