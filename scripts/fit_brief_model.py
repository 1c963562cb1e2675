"""Fit the brief model's weights (summarize.WEIGHTS) and report cross-validated ROUGE.

    python scripts/fit_brief_model.py [../shared/eval/summaries/cnndm-validation-500.jsonl]

Each sentence's target is its ROUGE-2 F1 against the human summary; the weights are a
ridge regression over summarize.sentence_features() of the sentences that may stand in a
brief. Two-fold cross-validation (fit on one half, score briefs on the other) gives the
scores to expect on unseen articles; the weights printed last are fitted on all rows.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

import numpy as np
from rouge_score import rouge_scorer

from digest.summarize import FEATURES, is_candidate, select_sentences, sentence_features
from digest.text import split_sentences

DEFAULT_DATA = Path(__file__).parents[1].parent / "shared/eval/summaries/cnndm-validation-500.jsonl"
RIDGE = 1.0
SCORER = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)


def prepare(row: dict) -> dict:
    sentences = split_sentences(row["article"])
    features = sentence_features(sentences)
    targets = [SCORER.score(row["reference"], s)["rouge2"].fmeasure for s in sentences]
    return {
        "sentences": sentences,
        "features": features,
        "targets": targets,
        "ref": row["reference"],
    }


def fit(rows: list[dict]) -> np.ndarray:
    x, y = [], []
    for row in rows:
        for sentence, features, target in zip(
            row["sentences"], row["features"], row["targets"], strict=True
        ):
            if is_candidate(sentence):
                x.append(features)
                y.append(target)
    a, b = np.array(x), np.array(y)
    return np.linalg.solve(a.T @ a + RIDGE * np.eye(a.shape[1]), a.T @ b)


def score(rows: list[dict], weights: np.ndarray) -> list[float]:
    results = []
    for row in rows:
        chosen = select_sentences(row["sentences"], weights=tuple(weights))
        results.append(SCORER.score(row["ref"], "\n".join(chosen)))
    return [
        round(100 * statistics.fmean(r[key].fmeasure for r in results), 2)
        for key in ("rouge1", "rouge2", "rougeLsum")
    ]


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA
    rows = [prepare(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]
    first, second = rows[0::2], rows[1::2]
    folds = [score(second, fit(first)), score(first, fit(second))]
    cross = [round((a + b) / 2, 2) for a, b in zip(*folds, strict=True)]
    print(f"2-fold cross-validated R-1 / R-2 / R-Lsum: {cross}")
    weights = fit(rows)
    print(f"fitted on all {len(rows)} rows: {score(rows, weights)}")
    print("WEIGHTS = (" + ", ".join(f"{w:.4f}" for w in weights) + ")")
    print("FEATURES =", FEATURES)


if __name__ == "__main__":
    main()
