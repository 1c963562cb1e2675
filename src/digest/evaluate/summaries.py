"""Score briefs and headlines against human references with ROUGE.

Rows are JSON lines with ``id`` and ``article`` and either ``reference`` (the human
summary, one sentence a line) for briefs or ``headline`` for headlines. ROUGE F1 comes
from the rouge-score package with stemming, as published results use; Lead-N baselines
are computed on the same rows with the same sentence splitter as the briefs.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rouge_score import rouge_scorer

from digest.errors import InputError
from digest.models import Article, Brief
from digest.text import split_sentences

Summarizer = Callable[[Article], Brief]


@dataclass(frozen=True)
class Row:
    id: str
    article: str
    reference: str


def load_rows(path: Path, field: str, limit: int | None = None) -> list[Row]:
    """The first ``limit`` rows of a JSON-lines file that have ``article`` and ``field``."""
    rows: list[Row] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot be read: {exc}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            article, reference = data["article"], data[field]
            if not isinstance(article, str) or not isinstance(reference, str):
                raise TypeError(f"'article' and '{field}' must be strings")
            rows.append(Row(str(data.get("id", number)), article, reference))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(
                f"{path}:{number}", f"not a JSON object with 'article' and '{field}'"
            ) from exc
        if limit is not None and len(rows) >= limit:
            break
    if not rows:
        raise InputError(str(path), "no rows to evaluate")
    return rows


def _mean_f1(scores: Iterable[dict[str, Any]], key: str) -> float:
    values = [s[key].fmeasure for s in scores]
    return round(100 * statistics.fmean(values), 2)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def evaluate_summaries(
    rows: list[Row], summarize: Summarizer, predictions: Path | None = None
) -> dict[str, Any]:
    """ROUGE-1/2/Lsum F1 of the briefs and of Lead-2 and Lead-3, and the time per article."""
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    keys = ("rouge1", "rouge2", "rougeLsum")
    systems: dict[str, list[dict[str, Any]]] = {"digest": [], "lead2": [], "lead3": []}
    millis: list[float] = []
    with _writer(predictions) as write:
        for row in rows:
            article = Article(title="", text=row.article, origin=row.id)
            start = time.perf_counter()
            brief = summarize(article)
            millis.append((time.perf_counter() - start) * 1000)
            write({"id": row.id, "headline": brief.headline, "sentences": list(brief.sentences)})
            sentences = split_sentences(row.article)
            candidates = {
                "digest": list(brief.sentences),
                "lead2": sentences[:2],
                "lead3": sentences[:3],
            }
            for name, chosen in candidates.items():
                systems[name].append(scorer.score(row.reference, "\n".join(chosen)))
    report: dict[str, Any] = {"rows": len(rows)}
    for name, scores in systems.items():
        report[name] = {key: _mean_f1(scores, key) for key in keys}
    report["ms_per_article"] = {
        "median": round(statistics.median(millis), 2),
        "p95": round(_percentile(millis, 0.95), 2),
        "max": round(max(millis), 2),
    }
    return report


def evaluate_headlines(
    rows: list[Row], make_headline: Callable[[str], str], predictions: Path | None = None
) -> dict[str, Any]:
    """ROUGE-1/2/L F1 of headlines made from the article text, and of its first ten words."""
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    keys = ("rouge1", "rouge2", "rougeL")
    ours, first_words, lengths = [], [], []
    millis: list[float] = []
    with _writer(predictions) as write:
        for row in rows:
            start = time.perf_counter()
            headline = make_headline(row.article)
            millis.append((time.perf_counter() - start) * 1000)
            write({"id": row.id, "headline": headline})
            lengths.append(len(headline))
            ours.append(scorer.score(row.reference, headline))
            first_words.append(scorer.score(row.reference, " ".join(row.article.split()[:10])))
    return {
        "rows": len(rows),
        "digest": {key: _mean_f1(ours, key) for key in keys},
        "first10words": {key: _mean_f1(first_words, key) for key in keys},
        "mean_characters": round(statistics.fmean(lengths), 1),
        "ms_per_article": {"median": round(statistics.median(millis), 2)},
    }


class _writer:
    """Write JSON lines to ``path`` if given; otherwise swallow them."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.file: Any = None

    def __enter__(self) -> Callable[[dict[str, Any]], None]:
        if self.path is not None:
            try:
                self.file = self.path.open("w", encoding="utf-8")
            except OSError as exc:
                raise InputError(str(self.path), f"cannot be written: {exc.strerror}") from exc
        return self.write

    def write(self, record: dict[str, Any]) -> None:
        if self.file is not None:
            self.file.write(json.dumps(record, ensure_ascii=False) + "\n")

    def __exit__(self, *exc: object) -> None:
        if self.file is not None:
            self.file.close()
