"""Stories: one story per event across outlets, ranking, one brief per story, evaluation.

Every article here is made up for these tests (towns, outlets and events).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.evaluate.clusters import bcubed, pairwise
from digest.models import Article, Story
from digest.stories import group_stories, rank_stories
from digest.summarize import summarize_story
from tests.conftest import run_digest as run

MORNING = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)

FERRY = [
    (
        "Harbourton Gazette",
        "Harbourton ferry Saltwind runs aground on Gull Rock, 40 passengers rescued",
        "The Harbourton ferry Saltwind ran aground on Gull Rock early on Tuesday with 40 "
        "passengers aboard. Lifeboat crews from Harbourton and Millbridge took every passenger "
        "ashore within two hours. The coastguard said nobody was badly hurt. The operator, "
        "Bluewater Lines, has suspended the Harbourton crossing while divers inspect the hull.",
    ),
    (
        "Millbridge Evening Post",
        "Forty rescued after Saltwind ferry hits Gull Rock off Harbourton",
        "Forty passengers were rescued on Tuesday after the ferry Saltwind hit Gull Rock off "
        "Harbourton in thick fog. Millbridge lifeboat volunteers said the rescue took under two "
        "hours. Bluewater Lines said the crossing would stay suspended until divers had "
        "inspected the hull. Passengers praised the crew for keeping everyone calm.",
    ),
    (
        "Coastal Radio News",
        "Saltwind aground: Bluewater Lines suspends Harbourton crossing",
        "Bluewater Lines suspended its Harbourton crossing after the Saltwind ferry ran aground "
        "on Gull Rock. All 40 passengers were brought ashore by lifeboat crews, the coastguard "
        "said. Fog had covered the bay since dawn. An inquiry into why the Saltwind left "
        "the channel will begin next week.",
    ),
]

# Same topic as FERRY (a ferry in trouble on this coast), a different event.
OTHER_FERRY = (
    "Kingsferry Herald",
    "Kingsferry ferry Morning Star loses engine power, towed to Eastvale",
    "The Kingsferry ferry Morning Star lost engine power near Eastvale on Tuesday and was "
    "towed into port by a tug. Its 120 passengers stayed aboard and reached Eastvale four "
    "hours late. Northway Ferries blamed a fuel pump and said the Kingsferry timetable "
    "would run as normal from Wednesday.",
)

BUDGET = (
    "Harbourton Gazette",
    "Council approves Harbourton library budget with late opening hours",
    "Harbourton council approved next year's library budget on Tuesday evening. The "
    "central library will open until nine on weekdays from April. Councillors voted 31 to "
    "4 in favour after a debate about the cost of heating the old building.",
)


def article(outlet: str, title: str, text: str, hours: float = 0.0, **extra: object) -> Article:
    """An article from ``outlet``, published ``hours`` after the morning of the events."""
    slug = title.lower().replace(" ", "-")[:40]
    return Article(
        title=title,
        text=text,
        origin=f"https://{outlet.lower().replace(' ', '')}.example/{slug}",
        url=f"https://{outlet.lower().replace(' ', '')}.example/{slug}",
        source=outlet,
        published=MORNING + timedelta(hours=hours),
        **extra,  # type: ignore[arg-type]
    )


def ferry_story() -> list[Article]:
    return [article(*item, hours=k) for k, item in enumerate(FERRY)]


def test_three_outlets_on_one_event_become_one_story():
    stories = group_stories([*ferry_story(), article(*BUDGET)])
    assert len(stories) == 2
    ferry = next(s for s in stories if len(s.articles) > 1)
    assert ferry.outlets == 3
    assert set(ferry.sources) == {outlet for outlet, _, _ in FERRY}


def test_two_events_on_one_topic_stay_apart():
    stories = group_stories([*ferry_story(), article(*OTHER_FERRY, hours=1)])
    sizes = sorted(len(s.articles) for s in stories)
    assert sizes == [1, 3]
    alone = next(s for s in stories if len(s.articles) == 1)
    assert alone.sources == ("Kingsferry Herald",)


def test_the_same_event_days_apart_is_two_stories():
    early, *rest = ferry_story()
    later = [Article(**{**a.__dict__, "published": a.published + timedelta(days=7)}) for a in rest]
    assert sorted(len(s.articles) for s in group_stories([early, *later])) == [1, 2]
    undated = [Article(**{**a.__dict__, "published": None}) for a in [early, *later]]
    assert [len(s.articles) for s in group_stories(undated)] == [3]


def test_wire_copies_count_once():
    _, title, text = FERRY[0]
    copies = [article(name, title, text) for name in ("Wire One", "Wire Two", "Wire Three")]
    stories = group_stories([*copies, article(*FERRY[1])])
    assert len(stories) == 1
    story = stories[0]
    assert len(story.articles) == 2 and story.outlets == 2
    assert {"Wire One", "Wire Two", "Wire Three", FERRY[1][0]} <= set(story.sources)


def test_story_key_is_the_same_in_every_run_and_order():
    articles = [*ferry_story(), article(*BUDGET)]
    keys = {s.key for s in group_stories(articles)}
    assert keys == {s.key for s in group_stories(list(reversed(articles)))}
    assert len(keys) == 2


def test_rank_by_coverage_puts_more_outlets_first_and_fades_with_age():
    now = MORNING + timedelta(hours=12)
    ferry = Story("ferry", tuple(ferry_story()))  # three outlets, 10-12 hours old
    budget = Story("budget", (article(*BUDGET, hours=11),))  # one outlet, an hour old
    old = Story("old", tuple(article(*f, hours=-96) for f in FERRY))  # three outlets, 4 days
    assert [s.key for s in rank_stories([budget, old, ferry], now)] == ["ferry", "budget", "old"]
    newest = rank_stories([ferry, old, budget], now, by="newest")
    assert [s.key for s in newest] == ["budget", "ferry", "old"]
    with pytest.raises(ValueError, match="unknown story ranking"):
        rank_stories([ferry], now, by="loudest")


def test_story_brief_takes_whole_sentences_from_several_articles_without_repeats():
    articles = ferry_story()
    brief = summarize_story(articles, sentences=3)
    texts = [a.text for a in articles]
    assert 2 <= len(brief.sentences) <= 3
    assert all(any(s in t for t in texts) for s in brief.sentences)  # whole, from one article
    assert len({next(k for k, t in enumerate(texts) if s in t) for s in brief.sentences}) >= 2
    assert sum("40" in s or "Forty" in s for s in brief.sentences) <= 1  # said once
    assert set(brief.sources) == {outlet for outlet, _, _ in FERRY}
    assert "Saltwind" in brief.headline and brief.headline in {a.title for a in articles}


def test_story_brief_of_one_article_is_still_a_brief():
    brief = summarize_story([article(*BUDGET)], sentences=2)
    assert len(brief.sentences) == 2 and brief.sources == ("Harbourton Gazette",)


def test_a_story_brief_image_comes_with_its_own_size():
    articles = ferry_story()
    brief = summarize_story(articles, sentences=2)
    central = next(a for a in articles if a.title == brief.title)
    # The central article has no image: another outlet's, with that outlet's size.
    sized = [
        replace(a, image=f"https://img.example/{n}.jpg", image_size=(1000 + n, 500))
        if a is not central
        else a
        for n, a in enumerate(articles)
    ]
    brief = summarize_story(sized, sentences=2)
    n = next(n for n, a in enumerate(sized) if a.image == brief.image)
    assert brief.image_size == (1000 + n, 500)
    # Its own image, without a size: no other picture's size is borrowed.
    sized = [replace(a, image="https://img.example/c.jpg") if a is central else a for a in sized]
    brief = summarize_story(sized, sentences=2)
    assert (brief.image, brief.image_size) == ("https://img.example/c.jpg", None)


# --- evaluation ------------------------------------------------------------------


def test_bcubed_and_pairwise_scores():
    gold = {"a": "1", "b": "1", "c": "2"}
    assert bcubed(gold, gold) == {"precision": 100.0, "recall": 100.0, "f1": 100.0}
    lumped = {"a": "x", "b": "x", "c": "x"}
    # a and b: 2/3 of their cluster is right; c: 1/3. Recall is whole.
    assert bcubed(lumped, gold)["precision"] == pytest.approx(100 * 5 / 9, abs=0.01)
    assert bcubed(lumped, gold)["recall"] == 100.0
    assert pairwise(lumped, gold)["precision"] == pytest.approx(100 / 3, abs=0.01)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def cluster_rows() -> list[dict]:
    events = [("ferry", item) for item in FERRY] + [("kings", OTHER_FERRY), ("budget", BUDGET)]
    return [
        {
            "id": f"r{k}",
            "title": title,
            "text": text,
            "published": MORNING.isoformat(),
            "source": outlet,
            "url": None,
            "cluster": label,
        }
        for k, (label, (outlet, title, text)) in enumerate(events)
    ]


def test_eval_clusters_prints_bcubed_and_pairwise(tmp_path):
    data = write_jsonl(tmp_path / "clusters.jsonl", cluster_rows())
    result = run("eval", "clusters", str(data))
    assert result.returncode == 0, result.stderr
    assert "5 articles -> 3 stories (3 labelled)" in result.stdout
    assert "bcubed" in result.stdout and "pairwise" in result.stdout

    out = tmp_path / "pred.jsonl"
    result = run("eval", "clusters", str(data), "--json", "--predictions", str(out))
    report = json.loads(result.stdout)
    assert report["bcubed"] == {"precision": 100.0, "recall": 100.0, "f1": 100.0}
    predicted = [json.loads(line) for line in out.read_text().splitlines()]
    assert [p["id"] for p in predicted] == ["r0", "r1", "r2", "r3", "r4"]
    assert len({p["cluster"] for p in predicted[:3]}) == 1 != len({p["cluster"] for p in predicted})


def test_eval_clusters_without_labels_only_groups(tmp_path):
    rows = [{k: v for k, v in row.items() if k != "cluster"} for row in cluster_rows()]
    result = run("eval", "clusters", str(write_jsonl(tmp_path / "c.jsonl", rows)), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["stories"] == 3 and "bcubed" not in report


def test_eval_stories_prints_brief_and_headline_rouge(tmp_path):
    rows = [
        {
            "cluster_id": "ferry",
            "articles": [
                {"title": title, "text": text, "source": outlet, "url": None}
                for outlet, title, text in FERRY
            ],
            "reference": "The Saltwind ferry ran aground on Gull Rock off Harbourton. All 40 "
            "passengers were rescued by lifeboat crews. Bluewater Lines suspended the crossing.",
            "headline": "Saltwind ferry runs aground off Harbourton",
        }
    ]
    data = write_jsonl(tmp_path / "stories.jsonl", rows)
    out = tmp_path / "pred.jsonl"
    result = run("eval", "stories", str(data), "--sentences", "2", "--predictions", str(out))
    assert result.returncode == 0, result.stderr
    for label in ("briefs", "first lead-2", "headlines", "first title"):
        assert label in result.stdout
    predicted = json.loads(out.read_text())
    assert predicted["cluster_id"] == "ferry" and len(predicted["sentences"]) == 2

    report = json.loads(run("eval", "stories", str(data), "--json").stdout)
    assert 0 < report["briefs"]["rouge1"] <= 100 and 0 < report["headlines"]["rouge1"] <= 100


def test_eval_rows_without_articles_are_a_one_line_error(tmp_path):
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"cluster_id": "x", "articles": []}])
    result = run("eval", "stories", str(bad))
    assert result.returncode != 0
    assert "bad.jsonl:1" in result.stderr and "Traceback" not in result.stderr
    bad = write_jsonl(tmp_path / "bad2.jsonl", [{"title": "no id"}])
    result = run("eval", "clusters", str(bad))
    assert "bad2.jsonl:1" in result.stderr and "Traceback" not in result.stderr


def test_articles_that_share_only_common_words_are_not_one_story():
    # Two articles alone: too few to weigh words against each other, so "story",
    # "sentence" and "today" would make them look alike; they share no name or number.
    first = Article(
        "The first story of the week",
        "The first story has a sentence that says what happened in the town today.",
        "a",
    )
    second = Article(
        "A second story arrives",
        "The second story has a sentence that tells the reader something new today.",
        "b",
    )
    assert len(group_stories([first, second])) == 2
    named = Article(
        "Harbor City closes a second bridge",
        "Harbor City closed the Mill Road bridge today, a second story of cracks.",
        "c",
    )
    also = Article(
        "Harbor City shuts Mill Road bridge",
        "Engineers in Harbor City shut the Mill Road bridge today after finding cracks.",
        "d",
    )
    assert len(group_stories([named, also])) == 1


def test_grouping_a_few_articles_at_a_time_gives_the_stories_of_one_block(monkeypatch):
    from digest import stories

    pool = [
        article(*BUDGET, hours=2),
        *ferry_story(),
        article(*OTHER_FERRY, hours=1),
        Article("港口渡轮搁浅", "渡轮在礁石上搁浅，四十名乘客获救。", "zh"),  # no capitals, undated
    ]
    monkeypatch.setattr(stories, "BLOCK_FLOATS", 1 << 30)  # every article in one block
    whole = group_stories(pool)  # a pool this small compares every term densely
    monkeypatch.setattr(stories, "BLOCK_FLOATS", 1)  # one article a block
    monkeypatch.setattr(stories, "COMMON_SHARE", 0.5)  # and every term pair by pair
    assert group_stories(pool) == whole
    assert [len(s.articles) for s in whole] == [1, 3, 1, 1]  # ferry: linked across blocks


def test_minhash_of_a_long_text_is_the_least_hash_over_all_its_shingles():
    import numpy as np

    from digest.ingest import dedup

    text = " ".join(f"word{n}" for n in range(3 * dedup.CHUNK + 17))
    x = dedup.shingles(text)
    assert len(x) > 3 * dedup.CHUNK
    everything = (dedup._A[:, None] * x[None, :] + dedup._B[:, None]) >> np.uint64(32)
    assert np.array_equal(dedup.signature(text), everything.min(axis=1))
