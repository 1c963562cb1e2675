"""Fit the brief model's weights (summarize.WEIGHTS) and report held-out ROUGE against Lead-3.

    python scripts/fit_brief_model.py [DATA.jsonl ...]

By default the data are ../shared/eval/summaries/cnndm-validation-500.jsonl (CNN) and
dailymail-dev-123.jsonl (Daily Mail). Each sentence's target is its ROUGE-2 F1 against the
human summary; the weights are a ridge regression over summarize.sentence_features() of
the sentences that may stand in a brief. Two-fold cross-validation (fit on the even rows of
every file, score briefs on the odd ones, and the other way round) gives each file's
scores on articles the fit has not seen, beside Lead-3's; the weights printed last are
fitted on all rows.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

import numpy as np
from rouge_score import rouge_scorer

from digest.summarize import (
    FEATURES,
    drop_captions,
    is_candidate,
    select_sentences,
    sentence_features,
)
from digest.text import split_sentences

DATA = Path(__file__).parents[1].parent / "shared/eval/summaries"
DEFAULT_FILES = [DATA / "cnndm-validation-500.jsonl", DATA / "dailymail-dev-123.jsonl"]
RIDGE = 1.0
KEYS = ("rouge1", "rouge2", "rougeLsum")
SCORER = rouge_scorer.RougeScorer(list(KEYS), use_stemmer=True)


def prepare(row: dict) -> dict:
    sentences = [drop_captions(s) for s in split_sentences(row["article"])]
    return {
        "sentences": sentences,
        "features": sentence_features(sentences),
        "targets": [SCORER.score(row["reference"], s)["rouge2"].fmeasure for s in sentences],
        "ref": row["reference"],
        "lead3": SCORER.score(row["reference"], "\n".join(split_sentences(row["article"])[:3])),
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


def score(rows: list[dict], weights: np.ndarray) -> tuple[list[float], list[float]]:
    """Mean ROUGE F1 of the briefs, and of Lead-3, on ``rows``."""
    results = []
    for row in rows:
        chosen = select_sentences(row["sentences"], weights=tuple(weights))
        results.append(SCORER.score(row["ref"], "\n".join(chosen)))

    def mean(scores: list, key: str) -> float:
        return round(100 * statistics.fmean(s[key].fmeasure for s in scores), 2)

    return [mean(results, k) for k in KEYS], [mean([r["lead3"] for r in rows], k) for k in KEYS]


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or DEFAULT_FILES
    sets = {
        path.name: [prepare(json.loads(line)) for line in path.read_text("utf-8").splitlines()]
        for path in paths
    }
    even = fit([row for rows in sets.values() for row in rows[0::2]])
    odd = fit([row for rows in sets.values() for row in rows[1::2]])
    print("held out (fit on the other half)       R-1    R-2  R-Lsum   Lead-3 R-1  R-2")
    for name, rows in sets.items():
        for half, weights, held in (("odd", even, rows[1::2]), ("even", odd, rows[0::2])):
            ours, lead = score(held, weights)
            print(
                f"{name:>28} {half:>4}  {ours[0]:6.2f} {ours[1]:6.2f} {ours[2]:6.2f}"
                f"   {lead[0]:6.2f} {lead[1]:6.2f}"
            )
    weights = fit([row for rows in sets.values() for row in rows])
    for name, rows in sets.items():
        ours, lead = score(rows, weights)
        print(f"fitted on all rows, {name}: {ours} (Lead-3 {lead})")
    print("WEIGHTS = (" + ", ".join(f"{w:.4f}" for w in weights) + ")")
    print("FEATURES =", FEATURES)


if __name__ == "__main__":
    main()
