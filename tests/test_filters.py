"""Include and exclude filters, per source and in [filters], read from a real HTTP server."""

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from digest.config import Config, parse_config
from digest.errors import ConfigError
from digest.filters import parse_rule
from digest.ingest import collect_articles
from digest.ingest.fetch import FetchOptions
from digest.ingest.web import read_sources
from digest.models import Article
from tests.conftest import run_digest

FAST = FetchOptions(timeout=1.0, max_bytes=1024 * 1024)

# (title, author, text): what each rule below must tell apart.
ITEMS = [
    ("Harbour council approves a new sea wall", "Agnes Pollard", "The port pays for the wall."),
    ("Sponsored: the best boats of the year", "Ad Desk", "Boats, boats and more boats for sale."),
    ("Rust 1.80 released for the tide gauges", "Tomas Kell", "The gauge software moves on."),
    ("Night ferry returns to the island", "Agnes Pollard", "The service is sponsored by a town."),
]  # fmt: skip


def write_feed(root: Path, name: str, base: str) -> str:
    """An RSS feed of ``ITEMS``, an hour apart and recent, with dc:creator authors."""
    now = datetime.now(UTC)
    entries = "".join(
        f"<item><title>{title}</title><guid>{name}-{n}</guid><link>{base}/{name}/{n}</link>"
        f"<dc:creator>{author}</dc:creator>"
        f"<pubDate>{format_datetime(now - timedelta(hours=n + 1))}</pubDate>"
        f"<description>{text}</description></item>"
        for n, (title, author, text) in enumerate(ITEMS)
    )
    (root / f"{name}.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>{name}</title>{entries}</channel></rss>"
    )
    return f"{base}/{name}.xml"


def config_of(toml: str, tmp_path: Path) -> Config:
    import tomllib

    return parse_config(tomllib.loads(toml), base=tmp_path)


def kept(config: Config) -> list[str]:
    result = read_sources(config.sources, options=FAST)
    assert not result.problems
    return [item.article.title for item in result.items]


def test_include_keeps_only_the_items_that_mention_a_word_or_phrase(web, tmp_path):
    feed = write_feed(web.root, "coast", web.base)
    config = config_of(f'[[sources]]\nfeed = "{feed}"\ninclude = ["sea wall", "FERRY"]\n', tmp_path)
    assert kept(config) == [ITEMS[0][0], ITEMS[3][0]]


def test_exclude_matches_whole_words_in_the_title_and_the_text(web, tmp_path):
    feed = write_feed(web.root, "coast", web.base)
    # "boat" is not "boats"; "sponsored" is in one title and in another item's text.
    config = config_of(f'[[sources]]\nfeed = "{feed}"\nexclude = ["boat", "sponsored"]\n', tmp_path)
    assert kept(config) == [ITEMS[0][0], ITEMS[2][0]]


def test_a_regular_expression_between_slashes_is_searched_ignoring_case(web, tmp_path):
    feed = write_feed(web.root, "coast", web.base)
    config = config_of(
        f'[[sources]]\nfeed = "{feed}"\nexclude = ["/boats?/", \'/^rust \\d+\\.\\d+/\']\n',
        tmp_path,
    )
    assert kept(config) == [ITEMS[0][0], ITEMS[3][0]]


def test_a_field_prefix_looks_only_at_the_title_text_or_author(web, tmp_path):
    feed = write_feed(web.root, "coast", web.base)
    title_only = config_of(f'[[sources]]\nfeed = "{feed}"\nexclude = "title:sponsored"\n', tmp_path)
    assert ITEMS[3][0] in kept(title_only) and ITEMS[1][0] not in kept(title_only)
    author = config_of(
        f'[[sources]]\nfeed = "{feed}"\ninclude = "author: agnes pollard"\n', tmp_path
    )
    assert kept(author) == [ITEMS[0][0], ITEMS[3][0]]
    text = config_of(f'[[sources]]\nfeed = "{feed}"\nexclude = "text:/^the /"\n', tmp_path)
    assert kept(text) == [ITEMS[1][0]]


def test_filters_table_applies_to_every_source_and_each_source_adds_its_own(web, tmp_path, write):
    coast = write_feed(web.root, "coast", web.base)
    island = write_feed(web.root, "island", web.base)
    write("content/wall.md", "# Sea wall opens\n\nThe sea wall opened today, sponsored by none.\n")
    write("content/fair.md", "# Boat fair\n\nBoats were shown at the fair today in the town.\n")
    config = config_of(
        '[filters]\nexclude = ["title:sponsored"]\ninclude = ["/wall|ferry|rust|boat/"]\n'
        f'[[sources]]\nfeed = "{coast}"\n'
        f'[[sources]]\nfeed = "{island}"\ninclude = ["island"]\nexclude = ["author:tomas kell"]\n'
        '[[sources]]\npath = "content"\n',
        tmp_path,
    )
    result = read_sources(config.sources, options=FAST)
    by_feed: dict[str, list[str]] = {}
    for item in result.items:
        by_feed.setdefault(item.location, []).append(item.article.title)
    assert by_feed[coast] == [ITEMS[0][0], ITEMS[2][0], ITEMS[3][0]]
    assert by_feed[island] == [ITEMS[3][0]]  # both include lists must match
    # How many items each rule removed, per source: each item counts for its first rule.
    removed = {(url, rule): count for url, rule, count in result.filtered}
    assert removed == {(coast, "exclude title:sponsored"): 1, (island, "include island"): 3}
    local = collect_articles(s for s in config.sources if s.path)
    assert sorted(a.title for a in local.articles) == ["Boat fair", "Sea wall opens"]
    assert local.filtered == ()


def test_local_files_are_filtered_too(tmp_path, write):
    write("content/wall.md", "# Sea wall opens\n\nThe sea wall opened on the coast today.\n")
    write("content/ad.md", "# Sponsored: boats\n\nBuy a boat today from our friendly yard.\n")
    config = config_of(
        '[filters]\nexclude = ["title:sponsored"]\n[[sources]]\npath = "content"\n', tmp_path
    )
    result = collect_articles(config.sources)
    assert [a.title for a in result.articles] == ["Sea wall opens"]
    assert result.filtered == ((str(tmp_path / "content"), "exclude title:sponsored", 1),)


def test_filters_table_applies_to_the_default_content_directory(tmp_path):
    config = config_of('[filters]\nexclude = ["x"]\n', tmp_path)
    assert [r.written for r in config.sources[0].filters.exclude] == ["x"]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[[sources]]\nfeed = "https://a.test/rss"\nname = "Alpha"\nexclude = ["/(unclosed/"]\n',
         r"source 1 \(Alpha\): exclude '/\(unclosed/': not a valid regular expression"),
        ('[[sources]]\nfeed = "https://a.test/rss"\ninclude = ["title:/[z-a]/"]\n',
         r"source 1 \(https://a.test/rss\): include 'title:/\[z-a\]/': not a valid regular"),
        ('[filters]\nexclude = ["//"]\n', r"\[filters\]: exclude '//': an empty regular"),
        ('[filters]\nexclude = ["author:"]\n', r"exclude 'author:': nothing to match"),
        ('[filters]\nexcude = ["x"]\n', r"unknown setting 'excude' \(did you mean 'exclude'\?\)"),
        ('filters = ["x"]\n', r"\[filters\] must be a table"),
    ],
)  # fmt: skip
def test_a_bad_rule_is_a_config_error_naming_the_source_and_the_pattern(tmp_path, toml, message):
    with pytest.raises(ConfigError, match=message):
        config_of(toml, tmp_path)


def test_a_bad_pattern_exits_3_with_a_hint(tmp_path):
    (tmp_path / "digest.toml").write_text(
        '[[sources]]\nfeed = "https://a.test/rss"\nname = "Alpha"\nexclude = ["/a(b/"]\n'
    )
    result = run_digest("sources", cwd=tmp_path)
    assert result.returncode == 3
    assert "source 1 (Alpha): exclude '/a(b/': not a valid regular expression" in result.stderr
    assert "/pattern/" in result.stderr and "Traceback" not in result.stderr


def test_a_rule_written_plainly_is_escaped_not_read_as_an_expression():
    rule = parse_rule("C++ (beta)")
    assert rule.matches(Article("Ships C++ (beta) today", "", "x"))
    assert not rule.matches(Article("Ships C (beta) today", "", "x"))


def test_digest_sources_shows_what_each_rule_removed_in_the_last_run(web, tmp_path):
    feed = write_feed(web.root, "coast", web.base)
    (tmp_path / "digest.toml").write_text(
        '[digest]\nfetch_private = true\nwindow = "30d"\n'
        '[filters]\nexclude = ["title:sponsored"]\n'
        f'[[sources]]\nfeed = "{feed}"\nexclude = ["/^rust/"]\n'
    )
    result = run_digest("run", "--no-send", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = run_digest("sources", "--json", cwd=tmp_path)
    (row,) = json.loads(listed.stdout)
    assert row["filtered"] == {"exclude title:sponsored": 1, "exclude /^rust/": 1}
    table = run_digest("sources", cwd=tmp_path).stdout.splitlines()
    assert table[0].split()[:6] == ["SOURCE", "LAST", "OK", "SEEN", "USED", "FILTERED"]
    assert table[1].startswith(feed) and table[1].split()[-1] == "2"
    assert table[2:] == [
        "        1 removed by exclude /^rust/",
        "        1 removed by exclude title:sponsored",
    ]
