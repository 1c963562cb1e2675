"""The archive in out/web: a page per issue, the index, the Atom feed, previous/next links."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import feedparser
import pytest

from digest.config import Config, Source
from digest.errors import DigestError
from digest.runs import build, run

DAY = date(2026, 3, 3)


def story(folder: Path, name: str, title: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(
        f"---\ntitle: {title}\nurl: https://example.org/{name}\n---\n\n"
        f"The {name} story has a first sentence that says what happened in the town. "
        f"Its second sentence adds a detail that the reader of {name} will want to know.\n",
        encoding="utf-8",
    )


def config_for(tmp_path: Path, **changes) -> Config:
    values = dict(
        title="Harbour Weekly",
        sources=(Source(tmp_path / "content"),),
        out_dir=tmp_path / "out",
        state_dir=tmp_path / "state",
        web_url="https://news.example.org/archive/{slug}.html",
    )
    values.update(changes)
    return Config(**values)


def manifest(out: Path) -> list[dict]:
    return json.loads((out / "web" / "issues.json").read_text())["issues"]


def page_of(result) -> Path:
    return next(p for p in result.files if re.fullmatch(r"\d{4}-\d\d-\d\d-\w{8}\.html", p.name))


def test_two_issues_on_one_day_each_keep_their_own_page(tmp_path):
    config = config_for(tmp_path)
    story(tmp_path / "content", "ferry", "The ferry gets a late sailing")
    first = run(config, DAY, send=False).issue
    story(tmp_path / "content", "market", "The market hall reopens")
    second = run(config, DAY, send=False).issue
    assert first and second and first.digest and second.digest

    urls = [first.digest.web_url, second.digest.web_url]
    assert urls[0] != urls[1]
    pages = [tmp_path / "out" / "web" / url.rsplit("/", 1)[1] for url in urls]
    assert "The ferry gets a late sailing" in pages[0].read_text()
    assert "The market hall reopens" in pages[1].read_text()
    assert "The ferry gets a late sailing" not in pages[1].read_text()
    # Each email's "View in browser" link is its own page's address.
    assert f'href="{urls[0]}"' in first.html and f"View in browser: {urls[1]}" in second.text

    entries = manifest(tmp_path / "out")
    assert [e["slug"] + ".html" for e in entries] == [p.name for p in pages]
    index = (tmp_path / "out" / "web" / "index.html").read_text()
    assert index.index(f'href="{pages[1].name}"') < index.index(f'href="{pages[0].name}"')
    day = (tmp_path / "out" / "web" / "2026-03-03.html").read_text()
    assert f"url={pages[1].name}" in day  # {date} addresses show the day's latest issue


def test_building_the_same_issue_again_changes_nothing(tmp_path):
    config = config_for(tmp_path)
    story(tmp_path / "content", "ferry", "The ferry gets a late sailing")
    build(config, DAY)
    web = tmp_path / "out" / "web"
    before = {p.name: p.read_bytes() for p in web.iterdir()}
    for _ in range(4):
        build(config, DAY)
    assert {p.name: p.read_bytes() for p in web.iterdir()} == before
    assert len(manifest(tmp_path / "out")) == 1


def test_a_changed_template_updates_the_issue_page_in_place(tmp_path):
    config = config_for(tmp_path, templates_dir=tmp_path / "templates")
    story(tmp_path / "content", "ferry", "The ferry gets a late sailing")
    page = page_of(build(config, DAY))
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "digest.mjml.j2").write_text(
        '{% extends "builtin/digest.mjml.j2" %}{% block header %}<mj-section><mj-column>'
        "<mj-text>New masthead</mj-text></mj-column></mj-section>{% endblock %}"
    )
    assert page_of(build(config, DAY)) == page  # the same stories: the same page
    assert "New masthead" in page.read_text()
    assert len(manifest(tmp_path / "out")) == 1


def test_previous_and_next_links_join_the_issues_in_order(tmp_path):
    config = config_for(tmp_path)
    pages = []
    for day, name in ((1, "ferry"), (2, "market"), (3, "school")):
        story(tmp_path / "content", name, f"The {name} story of the week")
        pages.append(page_of(build(config, date(2026, 3, day))))

    def nav(page: Path) -> dict[str, str]:
        block = re.search(r'<nav class="archive-nav".*?</nav>', page.read_text(), re.S)
        assert block, page.name
        return dict(re.findall(r'<a href="([^"]+)" rel="(\w+)"', block.group()))

    assert nav(pages[0]) == {"index.html": "index", pages[1].name: "next"}
    assert nav(pages[1]) == {pages[0].name: "prev", "index.html": "index", pages[2].name: "next"}
    assert nav(pages[2]) == {pages[1].name: "prev", "index.html": "index"}


def test_the_atom_feed_is_valid_and_has_every_issue(tmp_path):
    config = config_for(tmp_path)
    story(tmp_path / "content", "ferry", "The ferry gets a late sailing")
    first = build(config, DAY).issue
    story(tmp_path / "content", "market", "The market hall reopens")
    second = build(config, DAY).issue

    feed = feedparser.parse((tmp_path / "out" / "web" / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Harbour Weekly"
    assert feed.feed.link == "https://news.example.org/archive/index.html"
    assert [e.link for e in feed.entries] == [second.digest.web_url, first.digest.web_url]
    for entry in feed.entries:
        assert entry.id.startswith("urn:uuid:") and entry.title == second.subject
        assert entry.updated_parsed and entry.published_parsed
    assert "The market hall reopens" in feed.entries[0].summary
    assert 'href="https://example.org/market"' in feed.entries[0].content[0].value
    assert len({e.id for e in feed.entries}) == 2


def test_without_web_url_the_archive_links_are_relative(tmp_path):
    config = config_for(tmp_path, web_url=None)
    story(tmp_path / "content", "ferry", "The ferry gets a late sailing")
    result = build(config, DAY)
    assert "View in browser" not in result.issue.text
    feed = feedparser.parse((tmp_path / "out" / "web" / "feed.xml").read_bytes())
    assert not feed.bozo
    assert feed.entries[0].link == page_of(result).name


def test_a_broken_manifest_is_kept_aside_and_the_issue_still_written(tmp_path, caplog):
    config = config_for(tmp_path)
    story(tmp_path / "content", "ferry", "The ferry gets a late sailing")
    (tmp_path / "out" / "web").mkdir(parents=True)
    (tmp_path / "out" / "web" / "issues.json").write_text("{not json")
    page = page_of(build(config, DAY))
    assert page.exists() and len(manifest(tmp_path / "out")) == 1
    assert (tmp_path / "out" / "web" / "issues.json.broken").read_text() == "{not json"
    assert "issues.json: not an archive manifest" in caplog.text


def test_a_failed_write_leaves_the_archive_as_it_was(tmp_path):
    config = config_for(tmp_path)
    story(tmp_path / "content", "ferry", "The ferry gets a late sailing")
    build(config, DAY)
    web = tmp_path / "out" / "web"
    before = {p.name: p.read_bytes() for p in web.iterdir()}
    story(tmp_path / "content", "market", "The market hall reopens")
    (web / "2026-03-04.html").mkdir()  # the next day's address cannot be written
    with pytest.raises(DigestError, match="cannot write the digest"):
        build(config, date(2026, 3, 4))
    after = {p.name: p.read_bytes() for p in web.iterdir() if p.is_file()}
    assert after == before
    assert not list(web.glob(".*.tmp"))
