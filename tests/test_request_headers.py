"""Request headers from the configuration: [headers] for every fetch, a source's own in their
place; checked when the configuration loads, seen by a real HTTP server."""

import pytest

from digest.config import load_config
from digest.errors import ConfigError
from digest.ingest.fetch import FetchOptions
from digest.ingest.web import complete_items, read_sources

FAST = FetchOptions(timeout=2.0)


def config(tmp_path, text: str):
    path = tmp_path / "digest.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env={})


def seen(web, path: str) -> dict[str, str]:
    """The headers the server got for ``path``, by lower-case name (HTTP ignores case)."""
    headers = next(r.headers for r in web.requests if r.path == "/" + path)
    return {name.lower(): value for name, value in headers.items()}


def test_a_sources_headers_reach_its_feed_and_its_teasers_pages_over_the_defaults(web, tmp_path):
    loaded = config(
        tmp_path,
        '[headers]\n"User-Agent" = "Mozilla/5.0 (compatible; digest)"\n"Accept-Language" = "en"\n'
        f'[[sources]]\nfeed = "{web.url("rss091.xml")}"\n'
        'headers = {"user-agent" = "Weekly/1.0 (+https://news.example.org)", '
        '"Accept" = "application/rss+xml"}\n'
        f'[[sources]]\nfeed = "{web.url("rss20.xml")}"\n',
    )
    result = read_sources(loaded.sources, options=FAST)
    assert result.problems == ()
    own, shared = seen(web, "rss091.xml"), seen(web, "rss20.xml")
    assert own["user-agent"] == "Weekly/1.0 (+https://news.example.org)"
    assert own["accept"] == "application/rss+xml" and own["accept-language"] == "en"
    assert shared["user-agent"] == "Mozilla/5.0 (compatible; digest)"
    assert shared["accept-language"] == "en"
    assert shared.get("accept") != "application/rss+xml"
    teasers = [item for item in result.items if item.teaser]
    assert teasers
    complete_items(teasers, FAST)
    page = seen(web, "pages/sourdough.html")
    assert page["user-agent"] == "Weekly/1.0 (+https://news.example.org)"


def test_without_headers_digest_says_who_it_is(web, tmp_path):
    loaded = config(tmp_path, f'[[sources]]\nfeed = "{web.url("rss20.xml")}"\n')
    read_sources(loaded.sources, options=FAST)
    assert seen(web, "rss20.xml")["user-agent"].startswith("digest/")


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ('headers = {"User-Agent" = "a\\r\\nX-Evil: 1"}', "must be one line of printable ASCII"),
        ('headers = {"Accept" = "text/html\\n"}', "must be one line of printable ASCII"),
        ('headers = {"X-Bad\\r\\nName" = "1"}', "is not a valid HTTP header name"),
        ('headers = {"Accept-Encoding" = "br"}', "is set by digest itself"),
        ('headers = {"Authorization" = "Basic eA=="}', "is set by digest itself"),
        ('headers = {"Accept" = 3}', "must be one line of printable ASCII"),
        ('headers = "User-Agent: x"', "headers must be a table"),
    ],
)
def test_a_bad_header_is_a_configuration_error_naming_the_source(tmp_path, table, said):
    with pytest.raises(ConfigError) as caught:
        source = '[[sources]]\nfeed = "https://example.org/rss.xml"\nname = "Courier"\n'
        config(tmp_path, f"{source}{table}\n")
    message = str(caught.value)
    assert said in message and "source 1 (Courier)" in message and "\n" not in message
    assert caught.value.exit_code == 3


def test_a_bad_shared_header_names_the_headers_table(tmp_path):
    with pytest.raises(ConfigError, match=r"\[headers\]: header 'User-Agent' must be one line"):
        config(tmp_path, '[headers]\n"User-Agent" = "x\\ny"\n')
