"""The issue a reader gets from a mix of feeds served on 127.0.0.1: nothing that blocks
it, no fused stories, clean headlines, outlets counted once."""

import json
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from digest.config import Config, Source
from digest.ingest.fetch import FetchOptions
from digest.models import Article
from digest.pipeline import make_issue
from digest.runs import build
from tests.test_build_web import config_for, story
from tests.test_stories import BUDGET, FERRY

FAST = FetchOptions(timeout=1.0, max_bytes=1024 * 1024)
NOW = datetime(2024, 5, 10, 12, tzinfo=UTC)
# What may never reach an issue: C0 controls but tab and line feed, DEL, C1, lone
# surrogates, noncharacters, bidi controls, zero-width space, word joiner, BOM.
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    "\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)


def outputs(out: Path) -> str:
    return "".join(
        (out / name).read_text(encoding="utf-8")
        for name in ("digest.html", "digest.txt", "digest.json")
    )


def test_control_characters_in_any_feed_field_are_removed_and_the_issue_is_built(web, tmp_path):
    when = format_datetime(NOW - timedelta(hours=2))
    # RSS: a character reference to U+0001 in a title, and the feed's own title.
    (web.root / "charref.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour&#1; Times</title>'
        f"<item><title>Charref &#1; title story</title><guid>c-1</guid><pubDate>{when}</pubDate>"
        f"<link>{{{{BASE}}}}/c/1</link><description>{story(1)}</description></item>"
        "</channel></rss>",
        encoding="utf-8",
    )
    # JSON Feed: NUL and ESC in the title and text, a bidi override and a zero-width space.
    item = {
        "id": "j-1",
        "url": web.url("j/1"),
        "title": "Hello \u0000 world \u001b[31m of \u202eferries\u202c",
        "content_text": story(2).replace(" was ", " was\u0000 \u001b\u200b"),
        "date_published": (NOW - timedelta(hours=3)).isoformat(),
        "authors": [{"name": "Desk\u0008 \ufffe"}],
    }
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Json \ud800", "items": [item]}
    (web.root / "controls.json").write_text(json.dumps(feed), encoding="utf-8")
    config = config_for(
        tmp_path, Source(feed=web.url("charref.xml")), Source(feed=web.url("controls.json"))
    )
    result = build(config, now=NOW, fetch_options=FAST)
    headlines = sorted(brief.headline for brief in result.issue.digest.briefs)
    assert headlines == ["Charref title story", "Hello world [31m of ferries"]
    written = outputs(tmp_path / "out")
    assert "ferries" in written and not UNSAFE.search(written)


def test_a_story_that_cannot_be_rendered_is_left_out_and_named(tmp_path):
    # Past ingest nothing carries a control character; a store written by an older
    # version, or a caller of the library, still may: the story goes, not the issue.
    good = Article("Ferry timetable changes for winter", story(3), "a.md", ids=("a",))
    bad = Article("Lighthouse \x01 keeper retires", story(4), "b.md", ids=("b",))
    issue = make_issue(Config(sources=()), [good, bad], NOW.date())
    assert [b.title for b in issue.digest.briefs] == [good.title]
    (dropped,) = issue.dropped
    assert dropped.origin == "b.md" and "Lighthouse" in dropped.message
    assert "cannot be rendered" in dropped.message


def write_feed(root: Path, name: str, items: list[tuple[str, str]]) -> None:
    """An RSS feed of full-text items, newest first, an hour apart."""
    entries = "".join(
        f"<item><title>{title}</title><guid>{name}-{n}</guid>"
        f"<link>https://{name}.example.org/{n}</link>"
        f"<pubDate>{format_datetime(NOW - timedelta(hours=n + 1))}</pubDate>"
        f"<content:encoded><![CDATA[{''.join(f'<p>{p}</p>' for p in text.split('|'))}]]>"
        "</content:encoded></item>"
        for n, (title, text) in enumerate(items)
    )
    (root / f"{name}.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>The {name.capitalize()}</title>{entries}</channel></rss>",
        encoding="utf-8",
    )


def feed_source(web, name: str, items: list[tuple[str, str]]) -> Source:
    write_feed(web.root, name, items)
    return Source(feed=web.url(f"{name}.xml"))


def test_two_stories_of_one_town_that_name_each_other_in_related_boxes_stay_apart(web, tmp_path):
    (_, ferry_title, ferry_text), (_, budget_title, budget_text) = FERRY[0], BUDGET
    ferry = feed_source(
        web, "gazette", [(ferry_title, f"{ferry_text}|Related stories|{budget_title}")]
    )
    budget = feed_source(
        web, "courier", [(budget_title, f"{budget_text}|Related stories|{ferry_title}")]
    )
    result = build(config_for(tmp_path, ferry, budget), now=NOW, fetch_options=FAST)
    briefs = result.issue.digest.briefs
    assert sorted(b.title for b in briefs) == sorted([ferry_title, budget_title])
    assert all(b.links == () for b in briefs)


def test_an_outlet_that_ran_a_story_twice_is_listed_once(web, tmp_path):
    (_, first_title, first_text), (_, follow_title, follow_text) = FERRY[0], FERRY[1]
    (_, radio_title, radio_text) = FERRY[2]
    sources = [
        feed_source(web, "gazette", [(follow_title, follow_text), (first_title, first_text)]),
        feed_source(web, "radio", [(radio_title, radio_text)]),
    ]
    result = build(config_for(tmp_path, *sources), now=NOW, fetch_options=FAST)
    (brief,) = result.issue.digest.briefs
    assert sorted(name for name, _ in brief.links) == ["The Gazette", "The Radio"]
    text = (tmp_path / "out" / "digest.txt").read_text(encoding="utf-8")
    assert "2 outlets:" in text and text.count("gazette.example.org") == 1
