"""Whole builds from feeds served on 127.0.0.1: memory across runs, previews, failures."""

import json
import random
import sqlite3
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from digest.config import Config, Source
from digest.errors import AllSourcesFailedError, NoArticlesError
from digest.ingest.fetch import FetchOptions
from digest.runs import build
from digest.runs import run as digest_run
from tests.conftest import run_digest

FAST = FetchOptions(timeout=1.0, max_bytes=1024 * 1024)
NOW = datetime(2024, 5, 10, 12, tzinfo=UTC)
WORDS = (
    "harbour lighthouse slipway quay fishermen council ferry tide net boat crab gull rope "
    "anchor mast sail dock pier beacon storm wave keel rudder hull lantern buoy channel "
    "estuary inlet cove reef shoal current mooring oar cargo crate barrel market auction "
    "chandler sailmaker pilot skipper deckhand galley cabin bunk compass chart sextant"
).split()


def story(n: int) -> str:
    """Invented text about an event of its own for every ``n``: its own names and places
    (invented words), so that neither near-duplicate merging nor story grouping joins two."""
    rng = random.Random(n)
    syllables = "ka lo mer tin vas ol dre pun sik ar bel tor".split()
    names = ["".join(rng.choice(syllables) for _ in range(3)) for _ in range(20)]
    sentences = [
        f"The {rng.choice(WORDS)} "
        + " ".join(rng.choice(names) for _ in range(12))
        + " was discussed again."
        for _ in range(8)
    ]
    return " ".join(sentences)


def write_feed(root: Path, name: str, numbers: list[int], newest: datetime) -> None:
    """An RSS 2.0 feed of full-text items numbered ``numbers``, one hour apart."""
    items = []
    for age, n in enumerate(numbers):
        when = newest - timedelta(hours=age)
        text = story(zlib.crc32(f"{name}{n}".encode()))
        items.append(
            f"<item><title>{name.capitalize()} story {n}</title><guid>{name}-{n}</guid>"
            f"<link>{{{{BASE}}}}/{name}/{n}</link><pubDate>{format_datetime(when)}</pubDate>"
            f"<description>{text} Story {n} ends here.</description></item>"
        )
    (root / f"{name}.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
        + "".join(items)
        + "</channel></rss>"
    )


def config_for(tmp_path: Path, *sources: Source, **settings) -> Config:
    settings.setdefault("fetch_private", True)  # every page is served from 127.0.0.1
    return Config(
        sources=sources, state_dir=tmp_path / "state", out_dir=tmp_path / "out", **settings
    )


def run(config: Config, now: datetime = NOW):
    """A run that sends nothing: it makes the issue and records what it used."""
    return digest_run(config, send=False, now=now, fetch_options=FAST)


def briefs(result):
    return result.issue.digest.briefs


def headlines(result) -> list[str]:
    return [brief.title for brief in briefs(result)]


def test_a_build_reads_every_feed_kind_and_merges_the_syndicated_story(web, tmp_path):
    feeds = ["rss091.xml", "rss10.rdf", "rss20.xml", "atom.xml", "feed.json"]
    config = config_for(tmp_path, *(Source(feed=web.url(f)) for f in feeds))
    result = run(config)
    data = json.loads((tmp_path / "out" / "digest.json").read_text())
    titles = [item["title"] for item in data["items"]]
    # Ten items, six stories: the library and the night trains (RSS 2.0 and Atom), the
    # bench map (RSS 2.0 and JSON Feed) and the school garden (RSS 0.91 and JSON Feed)
    # each ran twice, under other URLs, titles or paragraph orders.
    assert len(titles) == 6, titles
    merged = sorted(" · ".join(b.source_names) for b in briefs(result) if len(b.source_names) > 1)
    assert merged == [
        "Lindholt Weekly · Open Data Desk",
        "The Coastal Courier · Open Data Desk",
        "The Coastal Courier · Regional Wire",
        "The Coastal Courier · Regional Wire",
    ]
    assert result.failed == () and result.sources == 5


def test_a_second_run_adds_nothing_already_used(web, tmp_path):
    write_feed(web.root, "harbour", [0, 1, 2], NOW - timedelta(hours=1))
    config = config_for(tmp_path, Source(feed=web.url("harbour.xml")))
    first = run(config)
    assert len(briefs(first)) == 3
    assert run(config, NOW + timedelta(hours=1)).nothing_new
    write_feed(web.root, "harbour", [3, 0, 1, 2], NOW + timedelta(hours=2))  # one new on top
    third = run(config, NOW + timedelta(hours=3))
    assert headlines(third) == ["Harbour story 3"]
    assert briefs(third)[0].sentences  # the new one is really briefed
    runs = sqlite3.connect(tmp_path / "state" / "state.sqlite3").execute(
        "SELECT status, items FROM runs ORDER BY id"
    )
    assert list(runs) == [("ok", 3), ("empty", 0), ("ok", 1)]


def test_a_new_feed_does_not_flood_the_digest(web, tmp_path):
    write_feed(web.root, "harbour", [0, 1], NOW - timedelta(hours=1))
    config = config_for(tmp_path, Source(feed=web.url("harbour.xml")), new_feed_items=3)
    run(config)
    # Added later, with 40 items, six of them since the last run.
    write_feed(web.root, "archive", list(range(40)), NOW + timedelta(hours=6))
    later = replace(config, sources=(*config.sources, Source(feed=web.url("archive.xml"))))
    second = run(later, NOW + timedelta(hours=2))
    assert headlines(second) == ["Archive story 0", "Archive story 1", "Archive story 2"]
    # Its back catalogue stays out next time too.
    assert run(replace(later, window=timedelta(days=7)), NOW + timedelta(hours=3)).nothing_new


def test_a_feed_added_after_three_runs_starts_with_its_newest_items(web, tmp_path):
    config = config_for(tmp_path, Source(feed=web.url("harbour.xml")), new_feed_items=2)
    for day in range(3):
        write_feed(web.root, "harbour", [day], NOW + timedelta(days=day, hours=-1))
        assert headlines(run(config, NOW + timedelta(days=day))) == [f"Harbour story {day}"]
    # Added now: a weekly whose posts are all older than the last run.
    write_feed(web.root, "weekly", [0, 1, 2, 3], NOW + timedelta(days=1))
    later = replace(config, sources=(*config.sources, Source(feed=web.url("weekly.xml"))))
    fourth = run(later, NOW + timedelta(days=3))
    assert sorted(headlines(fourth)) == ["Weekly story 0", "Weekly story 1"]
    # The rest of its back catalogue never comes.
    assert run(later, NOW + timedelta(days=4)).nothing_new


def test_nothing_new_from_feeds_speaks_of_feeds_not_of_a_content_directory(web, tmp_path):
    now = datetime.now(UTC)  # the commands run today
    write_feed(web.root, "harbour", [0], now - timedelta(hours=3))
    (tmp_path / "digest.toml").write_text(
        f'[digest]\nfetch_private = true\n\n[[sources]]\nfeed = "{web.url("harbour.xml")}"\n'
    )
    assert run_digest("run", "--no-send", cwd=tmp_path).returncode == 0
    result = run_digest("build", cwd=tmp_path)
    assert result.returncode == 5, result.stderr
    assert result.stderr.startswith("digest: error: no new usable article found in http")
    assert "content directory" not in result.stderr
    assert "wait for the feeds to post something new" in result.stderr


def test_a_feed_that_was_down_loses_nothing_when_it_comes_back(web, tmp_path):
    write_feed(web.root, "harbour", [0], NOW - timedelta(hours=1))
    write_feed(web.root, "ferry", [0], NOW - timedelta(hours=1))
    config = config_for(
        tmp_path, Source(feed=web.url("harbour.xml")), Source(feed=web.url("ferry.xml"))
    )
    run(config)
    # The ferry posts at noon, then is down during the next day's run.
    write_feed(web.root, "ferry", [1, 0], NOW + timedelta(hours=6))
    ferry = (web.root / "ferry.xml").read_text()
    (web.root / "ferry.xml").unlink()
    write_feed(web.root, "harbour", [1, 0], NOW + timedelta(hours=23))
    second = run(config, NOW + timedelta(days=1))
    assert headlines(second) == ["Harbour story 1"] and len(second.failed) == 1
    # Back the day after, with its noon post and a post dated a week back, never listed.
    write_feed(web.root, "ferry", [9], NOW - timedelta(days=7))
    back_dated = (web.root / "ferry.xml").read_text().split("<item>")[1].split("</item>")[0]
    (web.root / "ferry.xml").write_text(
        ferry.replace("</channel>", f"<item>{back_dated}</item></channel>")
    )
    third = run(config, NOW + timedelta(days=2))
    assert sorted(headlines(third)) == ["Ferry story 1", "Ferry story 9"]


def test_teaser_links_to_non_public_addresses_are_not_fetched_by_default(web, tmp_path):
    # The feed is the user's choice and is read; the pages its items link to are not.
    config = config_for(tmp_path, Source(feed=web.url("rss091.xml")), fetch_private=False)
    result = run(config)
    assert web.hits("rss091.xml") == 1 and web.hits("pages/sourdough.html") == 0
    assert len(briefs(result)) == 2  # from the feed's teasers
    assert len(result.problems) == 2
    assert all("127.0.0.1 is a non-public address" in p.message for p in result.problems)


def test_a_build_records_nothing_and_the_next_run_uses_the_same_stories(web, tmp_path):
    write_feed(web.root, "harbour", [0, 1], NOW - timedelta(hours=1))
    config = config_for(tmp_path, Source(feed=web.url("harbour.xml")))
    built = [build(config, now=NOW, fetch_options=FAST) for _ in range(2)]
    assert [len(b.issue.digest.briefs) for b in built] == [2, 2]
    assert not (tmp_path / "state").exists()
    assert headlines(run(config)) == [b.title for b in built[0].issue.digest.briefs]
    before = {p.name: p.read_bytes() for p in (tmp_path / "state").iterdir()}
    with pytest.raises(NoArticlesError):
        build(config, now=NOW + timedelta(hours=1), fetch_options=FAST)
    after = {p.name: p.read_bytes() for p in (tmp_path / "state").iterdir()}
    # A read-only reader of a WAL store leaves SQLite's shared-memory index and an empty
    # log behind (only a writer may delete them); the store itself is untouched.
    after.pop("state.sqlite3-shm", None)
    assert after.pop("state.sqlite3-wal", b"") == b""
    assert after == before


def test_conditional_get_is_remembered_between_runs_and_a_304_reuses_the_body(web, tmp_path):
    write_feed(web.root, "harbour", [0, 1, 2], NOW - timedelta(hours=1))
    config = config_for(tmp_path, Source(feed=web.url("harbour.xml")), max_items=1)
    assert headlines(run(config)) == ["Harbour story 0"]
    second = run(config, NOW + timedelta(hours=1))
    feed_requests = [r for r in web.requests if r.path == "/harbour.xml"]
    assert len(feed_requests) == 2 and "If-None-Match" in feed_requests[1].headers
    # The body came from the store: the two stories left over are still there.
    assert headlines(second) == ["Harbour story 1"]


def test_one_failing_source_is_reported_and_the_rest_goes_on(web, tmp_path):
    config = config_for(
        tmp_path, Source(feed=web.url("status/500")), Source(feed=web.url("rss10.rdf"))
    )
    result = run(config)
    assert result.failed == (web.url("status/500"),) and result.sources == 2
    assert [str(p) for p in result.problems] == [
        f"{web.url('status/500')}: HTTP 500 Internal Server Error"
    ]
    assert headlines(result) == ["Old ferry bell rings again after restoration"]


def test_when_every_source_fails_the_build_fails_and_the_state_is_not_advanced(web, tmp_path):
    config = config_for(
        tmp_path,
        Source(feed=web.url("status/404")),
        Source(feed="http://feeds.example.invalid/rss"),
        Source(page=web.url("empty")),
    )
    with pytest.raises(AllSourcesFailedError, match="all 3 sources failed"):
        run(config)
    db = sqlite3.connect(tmp_path / "state" / "state.sqlite3")
    assert list(db.execute("SELECT status FROM runs")) == [("failed",)]
    assert list(db.execute("SELECT count(*) FROM items")) == [(0,)]


def test_cli_warns_in_one_line_per_failing_source_and_summarises(web, tmp_path):
    (tmp_path / "digest.toml").write_text(
        "[digest]\nfetch_private = true\n\n"
        f'[[sources]]\nfeed = "{web.url("status/410")}"\n\n'
        f'[[sources]]\nfeed = "{web.url("rss10.rdf")}"\nname = "Estuary"\n'
    )
    result = run_digest("build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"digest: warning: {web.url('status/410')}: HTTP 410 Gone"
    ]
    assert "1 of 2 sources failed" in result.stdout
    assert not (tmp_path / ".digest-state").exists()  # a build records nothing


def test_cli_exits_6_when_every_source_fails(web, tmp_path):
    (tmp_path / "digest.toml").write_text(
        f'[[sources]]\nfeed = "{web.url("malformed-missing.xml")}"\n\n'
        f'[[sources]]\nfeed = "{web.url("entity-bomb.xml")}"\n'
    )
    result = run_digest("build", cwd=tmp_path)
    assert result.returncode == 6, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3 and lines[-1].startswith("digest: error: all 2 sources failed")
    assert all(line.startswith("digest: warning: http://127.0.0.1:") for line in lines[:2])
    assert "Traceback" not in result.stderr


def test_a_failing_feed_is_reported_once_then_summed_up_and_digest_sources_has_its_error(
    web, tmp_path
):
    now = datetime.now(UTC)  # the command runs today
    write_feed(web.root, "harbour", [0, 1], now - timedelta(hours=3))
    broken = web.url("status/500")
    (tmp_path / "digest.toml").write_text(
        '[digest]\nfetch_private = true\nwindow = "30d"\n\n'
        f'[[sources]]\nfeed = "{broken}"\n\n'
        f'[[sources]]\nfeed = "{web.url("harbour.xml")}"\nname = "Harbour"\n'
    )
    first = run_digest("run", "--no-send", "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["issue"]["stories"] == 2 and report["sent"] is False
    assert report["failed"] == [broken] and report["sources"] == 2
    # A failure already reported is summed up, not repeated, in the next cron mail.
    write_feed(web.root, "harbour", [2, 0, 1], now - timedelta(hours=2))
    second = run_digest("run", "--no-send", cwd=tmp_path)
    assert second.returncode == 0
    lines = second.stderr.splitlines()
    assert (
        "digest: warning: 1 of 2 sources still failing (see `digest sources`; -v shows each)"
        in lines
    )
    assert not any(broken in line for line in lines)
    assert f"{broken}: HTTP 500" in run_digest("run", "--no-send", "-v", cwd=tmp_path).stderr
    listed = run_digest("sources", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    by_source = {row["source"]: row for row in json.loads(listed.stdout)}
    assert by_source[broken]["last_error"] == "HTTP 500 Internal Server Error"
    assert by_source[broken]["failures"] == 3 and by_source[broken]["last_ok"] is None
    harbour = by_source[web.url("harbour.xml")]
    assert harbour["last_error"] is None and harbour["last_ok"] is not None
    assert (harbour["seen"], harbour["used"], harbour["name"]) == (3, 3, "Harbour")
    table = run_digest("sources", cwd=tmp_path).stdout.splitlines()
    assert table[0].split() == ["SOURCE", "LAST", "OK", "SEEN", "USED", "FILTERED", "LAST", "ERROR"]
    assert any(line.startswith(broken) and "(3 runs in a row)" in line for line in table)


def test_build_json_says_what_was_built_and_what_failed(web, tmp_path):
    (tmp_path / "digest.toml").write_text(
        "[digest]\nfetch_private = true\n\n"
        f'[[sources]]\nfeed = "{web.url("status/404")}"\n\n'
        f'[[sources]]\nfeed = "{web.url("rss10.rdf")}"\n'
    )
    result = run_digest("build", "--json", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    report = json.loads(result.stdout)
    assert report["issue"]["stories"] == 1 and len(report["issue"]["id"]) == 32
    assert report["failed"] == [web.url("status/404")]
    assert report["problems"] == [
        {"origin": web.url("status/404"), "message": "HTTP 404 Not Found"}
    ]
    assert {"digest.html", "digest.json", "digest.txt"} <= {Path(f).name for f in report["files"]}


def test_an_opml_list_can_be_a_url(web, tmp_path):
    (tmp_path / "digest.toml").write_text(
        "[digest]\nfetch_private = true\n\n"
        f'[[sources]]\nopml = "{web.url("feeds.opml")}"\n\n'
        f'[[sources]]\nopml = "{web.url("status/404")}"\n'
    )
    result = run_digest("build", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    # Two feeds of the list read, its dead feed and the missing list each one problem.
    assert report["sources"] == 4
    assert sorted(report["failed"]) == [web.url("status/404"), web.url("status/410")]
    assert report["issue"]["stories"] >= 3
