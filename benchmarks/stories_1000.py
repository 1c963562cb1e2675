"""Grouping 1,000 articles into stories, then one brief per story: CPU and wall time.

    python benchmarks/stories_1000.py [--long] [DATA.jsonl ...]

Articles come from the cluster sets in ../shared/eval/clusters/ (read at run time, never
copied), or from a generator of made-up events when they are absent. ``--long`` makes each
article about 600 words (its own text repeated), like full pages rather than feed
excerpts. Targets: grouping <= 3 s, grouping plus briefs <= 5 s.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from digest.models import Article, Brief, Story, parse_datetime
from digest.stories import group_stories, rank_stories
from digest.summarize import summarize_story

SHARED = Path(__file__).parents[1].parent / "shared/eval/clusters"
DEFAULT_DATA = [SHARED / "allsides-dev.jsonl", SHARED / "ecbplus-dev.jsonl"]
COUNT = 1000


def articles_from(paths: list[Path]) -> list[Article]:
    rows = [
        json.loads(line)
        for path in paths
        if path.exists()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [
        Article(
            title=row.get("title") or "",
            text=row["text"],
            origin=str(row["id"]),
            url=row.get("url"),
            source=row.get("source"),
            published=parse_datetime(row.get("published")),
        )
        for row in rows[:COUNT]
    ]


def generated(count: int = COUNT) -> list[Article]:
    """Made-up events over three weeks, each told by 1-4 outlets in their own words.

    Events share a small topic vocabulary (the hard part) and have names of their own.
    """
    rng = random.Random(7)
    topics = "council budget river flood school strike bridge election hospital fire".split()
    verbs = "approved rejected delayed announced opened closed investigated".split()
    filler = "officials residents said the plan would cost more than expected this year".split()
    syllables = "ka lo mi ren tor vas el un dri po sa ne".split()
    start = datetime(2026, 11, 1, tzinfo=UTC)
    found: list[Article] = []
    event = 0
    while len(found) < count:
        names = ["".join(rng.sample(syllables, 3)).capitalize() for _ in range(3)]
        topic, verb = rng.choice(topics), rng.choice(verbs)
        when = start + timedelta(hours=rng.randint(0, 24 * 20))
        for outlet in range(rng.randint(1, 4)):
            body = " ".join(
                f"{rng.choice(names)} {topic} {verb}: {' '.join(rng.sample(filler, 6))}, "
                f"{rng.choice(names)} said."
                for _ in range(8)
            )
            found.append(
                Article(
                    title=f"{names[0]} {topic} {verb} in {names[1]}",
                    text=body,
                    origin=f"event-{event}-{outlet}",
                    source=f"Outlet {outlet}",
                    published=when + timedelta(hours=rng.randint(0, 6)),
                )
            )
        event += 1
    return found[:count]


def lengthen(articles: list[Article], words: int = 600) -> list[Article]:
    """Each article's text repeated, a paragraph each time, until it has ``words`` words."""
    return [
        replace(a, text="\n\n".join([a.text] * max(1, -(-words // len(a.text.split())))))
        for a in articles
    ]


def brief_all(stories: list[Story]) -> list[Brief]:
    return [summarize_story(s.articles) for s in stories]


def timed(run):  # type: ignore[no-untyped-def]
    cpu, wall = time.process_time(), time.perf_counter()
    result = run()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--long"]
    paths = [Path(a) for a in args] or DEFAULT_DATA
    articles = articles_from(paths)
    origin = "the cluster sets"
    if len(articles) < COUNT:
        articles, origin = generated(), "generated events"
    if "--long" in sys.argv:
        articles, origin = lengthen(articles), origin + ", lengthened to ~600 words"
    words = statistics.mean(len(a.text.split()) for a in articles)
    print(f"{len(articles)} articles from {origin}, {words:.0f} words on average")
    runs = []
    for _ in range(3):
        stories, group_cpu, group_wall = timed(lambda: group_stories(articles))
        ranked = rank_stories(stories, datetime.now(UTC))
        _, brief_cpu, brief_wall = timed(partial(brief_all, ranked))
        runs.append((group_cpu, group_wall, brief_cpu, brief_wall))
    group_cpu, group_wall, brief_cpu, brief_wall = (
        statistics.median(r) for r in zip(*runs, strict=True)
    )
    print(
        f"{len(stories)} stories, {sum(len(s.articles) > 1 for s in stories)} of several articles"
    )
    print(f"grouping:          {group_cpu:5.2f} s CPU, {group_wall:5.2f} s wall   (target <= 3 s)")
    print(f"story briefs:      {brief_cpu:5.2f} s CPU, {brief_wall:5.2f} s wall")
    total_cpu, total_wall = group_cpu + brief_cpu, group_wall + brief_wall
    print(f"grouping + briefs: {total_cpu:5.2f} s CPU, {total_wall:5.2f} s wall   (target <= 5 s)")
    print("(median of 3 runs)")


if __name__ == "__main__":
    main()
