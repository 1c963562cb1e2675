"""How long a brief takes, against article length, beside stock sumy LexRank.

    python benchmarks/summarize_speed.py [DATA.jsonl]

Articles of 50 to 600 sentences are made by joining the data set's articles (by default
../shared/eval/summaries/cnndm-validation-500.jsonl), or generated sentences when it is
absent. Single-threaded CPU time, the median of several runs.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path

from digest.models import Article
from digest.summarize import stock_sentences, summarize
from digest.text import split_sentences

DEFAULT_DATA = Path(__file__).parents[1].parent / "shared/eval/summaries/cnndm-validation-500.jsonl"


def sentences_from(path: Path) -> list[str]:
    if path.exists():
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        return [s for row in rows for s in split_sentences(row["article"])]
    rng = random.Random(7)
    vocabulary = "council budget river mayor voted million school plan city energy prices".split()
    return [
        " ".join(rng.choice(vocabulary) for _ in range(rng.randint(8, 30))).capitalize() + "."
        for _ in range(5000)
    ]


def median_ms(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()  # CPU time: fair on a busy machine
        run()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA
    pool = sentences_from(path)
    print(f"{'sentences':>10}{'digest ms':>12}{'LexRank ms':>12}")
    for n in (50, 100, 200, 300, 600):
        text = " ".join(pool[:n])
        article = Article(title="", text=text, origin="bench")
        summarize(article)  # warm the stemmer cache as a long run would
        ours = median_ms(lambda article=article: summarize(article), 7)
        lexrank = median_ms(lambda text=text: stock_sentences(text, 3, algorithm="lexrank"), 3)
        print(f"{n:>10}{ours:>12.1f}{lexrank:>12.1f}")


if __name__ == "__main__":
    main()
