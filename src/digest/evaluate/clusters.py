"""Score story grouping against labelled stories: BCubed and pairwise precision/recall/F1.

Rows are JSON lines ``{id, title, text, published, source, url}``, with ``cluster`` (the
gold story) when the file is labelled. All rows go in as one pool, through exactly the
code the digest uses (``group_stories``: near-duplicate merge, then grouping); the label
is read for scoring only.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from digest.errors import InputError
from digest.evaluate.summaries import _writer
from digest.models import Article, Story, parse_datetime
from digest.stories import group_stories

Grouper = Callable[[Sequence[Article]], list[Story]]


@dataclass(frozen=True)
class Row:
    article: Article
    cluster: str | None  # the gold story, when labelled


def load_rows(path: Path) -> list[Row]:
    """The rows of a JSON-lines file of articles; the article's ``ids`` holds the row id."""
    rows: list[Row] = []
    seen: set[str] = set()
    for number, data in _json_lines(path):
        where = f"{path}:{number}"
        try:
            row_id, text = str(data["id"]), data["text"]
            if not isinstance(text, str):
                raise TypeError("'text' must be a string")
        except (KeyError, TypeError) as exc:
            raise InputError(where, "not a JSON object with 'id' and 'text'") from exc
        if row_id in seen:
            raise InputError(where, f"id {row_id!r} is used twice")
        seen.add(row_id)
        article = Article(
            title=_string(data.get("title")),
            text=text,
            origin=row_id,
            url=_string(data.get("url")) or None,
            source=_string(data.get("source")) or None,
            published=parse_datetime(data.get("published")),
            ids=(row_id,),
        )
        label = data.get("cluster")
        rows.append(Row(article, None if label is None else str(label)))
    if not rows:
        raise InputError(str(path), "no rows to evaluate")
    return rows


def _json_lines(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; a line that is no object is an error."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot be read: {exc}") from exc
    found = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}", f"not JSON: {exc.msg}") from exc
        if not isinstance(data, dict):
            raise InputError(f"{path}:{number}", "not a JSON object")
        found.append((number, data))
    return found


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def predict(rows: Sequence[Row], group: Grouper = group_stories) -> tuple[dict[str, str], float]:
    """Each row id's story key, and the CPU seconds the grouping took."""
    start = time.process_time()
    stories = group([row.article for row in rows])
    seconds = time.process_time() - start
    story_of = {row_id: story.key for story in stories for row_id in story.ids}
    return {row.article.origin: story_of[row.article.origin] for row in rows}, seconds


def evaluate_clusters(
    rows: Sequence[Row], group: Grouper = group_stories, predictions: Path | None = None
) -> dict[str, Any]:
    """Stories found, timing, and BCubed and pairwise scores when every row is labelled."""
    predicted, seconds = predict(rows, group)
    with _writer(predictions) as write:
        for row_id, key in predicted.items():
            write({"id": row_id, "cluster": key})
    report: dict[str, Any] = {
        "articles": len(rows),
        "stories": len(set(predicted.values())),
        "cpu_seconds": round(seconds, 3),
    }
    labels = {row.article.origin: row.cluster for row in rows if row.cluster is not None}
    if len(labels) == len(rows):
        gold = {k: v for k, v in labels.items() if v is not None}
        report["gold_stories"] = len(set(gold.values()))
        report["bcubed"] = bcubed(predicted, gold)
        report["pairwise"] = pairwise(predicted, gold)
    return report


def bcubed(predicted: dict[str, str], gold: dict[str, str]) -> dict[str, float]:
    """BCubed precision, recall and F1 (x100): per item, the share of its predicted
    cluster that shares its gold cluster, and the other way round, averaged over items."""
    both = Counter((predicted[i], gold[i]) for i in gold)
    predicted_size = Counter(predicted[i] for i in gold)
    gold_size = Counter(gold.values())
    precision = sum(n * n / predicted_size[p] for (p, _), n in both.items()) / len(gold)
    recall = sum(n * n / gold_size[g] for (_, g), n in both.items()) / len(gold)
    return _prf(precision, recall)


def pairwise(predicted: dict[str, str], gold: dict[str, str]) -> dict[str, float]:
    """Precision, recall and F1 (x100) over pairs of items put in one cluster."""

    def pairs(clusters: dict[str, str]) -> set[tuple[str, str]]:
        by_cluster: dict[str, list[str]] = {}
        for item in sorted(gold):
            by_cluster.setdefault(clusters[item], []).append(item)
        return {p for members in by_cluster.values() for p in combinations(members, 2)}

    ours, theirs = pairs(predicted), pairs(gold)
    right = len(ours & theirs)
    return _prf(right / len(ours) if ours else 1.0, right / len(theirs) if theirs else 1.0)


def _prf(precision: float, recall: float) -> dict[str, float]:
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(100 * precision, 2),
        "recall": round(100 * recall, 2),
        "f1": round(100 * f1, 2),
    }
