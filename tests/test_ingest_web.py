"""Feeds and pages read from a real HTTP server on 127.0.0.1 (tests/web_server.py)."""

import json

import pytest

from digest.config import Source
from digest.filters import make_filters, parse_rule
from digest.ingest.feeds import FeedError, html_blocks, parse_feed
from digest.ingest.fetch import FetchOptions
from digest.ingest.web import complete_items, newest_per_source, read_sources

FAST = FetchOptions(timeout=1.0, max_bytes=1024 * 1024)


def read(web, *sources: Source):
    return read_sources(sources, options=FAST)


def titles(result) -> list[str]:
    return [item.article.title for item in result.items]


@pytest.mark.parametrize(
    ("path", "title", "count"),
    [
        ("rss091.xml", "Bakery cooperative shares its sourdough starter with the whole town", 2),
        ("rss10.rdf", "Old ferry bell rings again after restoration", 1),
        ("rss20.xml", "Harbour town opens a library that floods twice a day", 3),
        ("atom.xml", "Wrenmouth library opens in a boat shed the tide reaches", 2),
        ("feed.json", "Volunteers map every bench in Eastmoor", 2),
    ],
)
def test_every_feed_kind_gives_its_items(web, path, title, count):
    result = read(web, Source(feed=web.url(path)))
    assert result.problems == () and result.ok == (web.url(path),)
    assert len(result.items) == count and title in titles(result)


def test_feed_items_carry_metadata_and_ids(web):
    result = read(web, Source(feed=web.url("rss20.xml"), name="Courier", section="Coast"))
    article = result.items[0].article
    assert article.source == "Courier" and article.section == "Coast"
    assert article.published and article.published.isoformat() == "2024-05-02T08:00:00+00:00"
    # Tracking parameters and the fragment are gone from the link, the real one stays.
    assert article.url == web.url("pages/tidal-library.html?id=7")
    assert article.ids == (f"guid:{web.url('rss20.xml')} courier-tidal-library",)
    assert article.text.count("\n\n") == 4  # five paragraphs


def test_a_feed_without_guids_identifies_items_by_canonical_url(web):
    result = read(web, Source(feed=web.url("rss091.xml")))
    assert result.items[0].article.ids == ("url:" + web.url("pages/sourdough.html"),)


def test_json_feed_drops_tracking_parameters(web):
    result = read(web, Source(feed=web.url("feed.json")))
    assert [i.article.url for i in result.items] == [
        web.url("json/bench-map"),
        web.url("json/school-garden"),
    ]
    assert result.items[0].article.author == "Json Desk"


def test_item_links_with_other_schemes_are_dropped(web):
    result = read(web, Source(feed=web.url("atom.xml")))
    timetable = next(i for i in result.items if i.article.title == "Night trains: the timetable")
    assert timetable.article.url is None and "javascript" not in timetable.article.origin
    assert not timetable.teaser  # nothing to fetch


def test_teasers_are_completed_from_their_pages_and_cleaned(web):
    result = read(web, Source(feed=web.url("rss091.xml")))
    assert all(item.teaser for item in result.items)
    assert all(len(item.article.text.split()) < 40 for item in result.items)
    articles, problems = complete_items(result.items, FAST)
    assert problems == []
    assert [len(a.text.split()) > 120 for a in articles] == [True, True]
    assert "Copyright" not in articles[0].text and "Home" not in articles[0].text
    assert web.hits("pages/sourdough.html") == 1


def test_page_text_is_cleaned_of_boilerplate_lines(web):
    result = read(
        web,
        Source(page=web.url("pages/tidal-library.html")),
        Source(page=web.url("pages/bench-map.html")),
    )
    assert result.problems == ()
    texts = [item.article.text for item in result.items]
    assert "Sign up for our newsletter" not in texts[0]
    assert "Share this article" not in texts[1]
    assert "forty volunteers" in texts[1]
    # The page's canonical link, without tracking parameters, is its identity.
    assert result.items[0].article.ids == ("url:" + web.url("pages/tidal-library.html"),)


def test_a_teaser_whose_page_fails_keeps_the_teaser_and_says_why(web):
    (web.root / "rss091.xml").write_text(
        (web.root / "rss091.xml").read_text("latin-1").replace("pages/sourdough", "gone"),
        "latin-1",
    )
    result = read(web, Source(feed=web.url("rss091.xml")))
    articles, problems = complete_items(result.items, FAST)
    assert len(articles) == 2
    assert len(problems) == 1 and "HTTP 404" in problems[0].message
    assert "teaser" in problems[0].message


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("feed-cp1251.xml", "Городская библиотека открыла читальный зал у реки"),
        ("feed-latin1.xml", "Le café du port rouvre ses portes après l'été"),
        # The server claims UTF-8 for a latin-1 feed: a wrong charset.
        ("as/text~xml;charset=utf-8/feed-latin1.xml", "Le café du port rouvre ses portes après"),
        # And calls it HTML with no charset at all.
        ("as/text~html/feed-latin1.xml", "Le café du port rouvre ses portes après"),
    ],
)
def test_feed_encodings_are_found(web, path, expected):
    result = read(web, Source(feed=web.url(path)))
    assert result.failed == ()
    assert titles(result)[0].startswith(expected)


@pytest.mark.parametrize(
    ("path", "expected", "word"),
    [
        ("pages/library-cp1251.html", "Городская библиотека", "читальный"),
        ("pages/library-sjis.html", "港町に新しい図書館が開館", "図書館"),
        ("pages/cafe-latin1.html", "Le café du port rouvre ses portes après l'été", "crêpes"),
        ("as/text~html;charset=utf-8/pages/cafe-latin1.html", "Le café du port", "châtaigne"),
    ],
)
def test_page_encodings_are_found(web, path, expected, word):
    result = read(web, Source(page=web.url(path)))
    assert result.problems == ()
    article = result.items[0].article
    assert article.title.startswith(expected) and word in article.text


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("status/404", "HTTP 404"),
        ("status/410", "HTTP 410"),
        ("status/500", "HTTP 500"),
        ("slow", "timed out"),
        ("bomb", "larger than 1 MB"),
        ("entity-bomb.xml", "declares XML entities"),
        ("not-a-feed.html", "not a well-formed feed"),
        ("empty", "empty response"),
        ("pages/tidal-library.html", "not a well-formed feed"),
    ],
)
def test_a_failing_feed_is_one_problem_and_the_others_go_on(web, path, reason):
    result = read(web, Source(feed=web.url(path)), Source(feed=web.url("rss20.xml")))
    assert result.failed == (web.url(path),)
    assert len(result.problems) == 1 and reason in result.problems[0].message
    assert result.ok == (web.url("rss20.xml"),) and len(result.items) == 3


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("pages/photo.png", "not an HTML page (image/png)"),
        ("empty", "empty page"),
        ("pages/nav-only.html", "no article text"),
        ("status/404", "HTTP 404"),
    ],
)
def test_a_failing_page_is_one_problem(web, path, reason):
    result = read(web, Source(page=web.url(path)), Source(page=web.url("pages/sourdough.html")))
    assert len(result.problems) == 1 and reason in result.problems[0].message
    assert len(result.items) == 1


def test_an_unknown_host_is_one_problem():
    result = read_sources([Source(feed="http://feeds.example.invalid/rss")], options=FAST)
    assert result.failed == ("http://feeds.example.invalid/rss",) and len(result.problems) == 1


def test_malformed_xml_is_read_leniently_and_reported(web):
    result = read(web, Source(feed=web.url("malformed.xml")))
    assert result.ok == (web.url("malformed.xml"),)
    assert len(result.problems) == 1 and "malformed XML" in result.problems[0].message


def test_an_opml_file_lists_feeds_and_a_dead_one_fails_alone(web, tmp_path):
    opml = tmp_path / "feeds.opml"
    opml.write_text((web.root / "feeds.opml").read_text().replace("{{BASE}}", web.base))
    result = read(web, Source(opml=opml, section="Coast"))
    assert set(result.ok) == {web.url("rss20.xml"), web.url("rss10.rdf")}
    assert result.failed == (web.url("status/410"),)
    assert len(result.items) == 4 and all(i.article.section == "Coast" for i in result.items)
    assert {i.article.source for i in result.items} == {"The Coastal Courier", "Estuary Notes"}


def test_a_broken_opml_file_is_one_problem(tmp_path):
    opml = tmp_path / "feeds.opml"
    opml.write_text("<opml><body><outline xmlUrl='x'")
    result = read_sources([Source(opml=opml)], options=FAST)
    assert result.failed == (str(opml),) and "not well-formed" in result.problems[0].message


def test_include_exclude_and_max_items_per_source(web):
    filters = make_filters(map(parse_rule, ["library", "trains"]), [parse_rule("tide")])
    source = Source(feed=web.url("rss20.xml"), filters=filters)
    result = read(web, source)
    assert titles(result) == ["Night trains return to the valley line"]
    limited = read(web, Source(feed=web.url("rss20.xml"), max_items=2))
    kept = [i.article.title for i in newest_per_source(limited.items)]
    assert kept == [
        "Volunteers map every bench in Eastmoor",
        "Night trains return to the valley line",
    ]


def test_json_feed_nested_too_deep_is_a_feed_error():
    with pytest.raises(FeedError, match="nested too deeply"):
        parse_feed(b"[" * 100_000 + b"]" * 100_000, "application/feed+json")


def test_json_that_is_not_a_json_feed_is_refused():
    with pytest.raises(FeedError, match="not a JSON Feed"):
        parse_feed(json.dumps({"items": []}).encode(), "application/json")


def test_feed_titles_lose_their_line_breaks():
    feed = parse_feed(
        b'<rss version="2.0"><channel><title>T</title><item><title>One\r\ntwo</title>'
        b"<guid>1</guid></item></channel></rss>"
    )
    assert feed.entries[0].title == "One two"


def json_feed(*items: dict) -> str:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": list(items)})


def test_json_feed_fields_of_the_wrong_type_are_ignored_not_fatal():
    item = {"id": "x", "title": "Kept", "content_text": "Text.", "authors": 5, "url": 7}
    older = {"id": "y", "title": "Also kept", "content_text": "Text.", "author": "Ann", "image": []}
    feed = parse_feed(json_feed(item, older).encode(), "application/feed+json")
    assert [(e.title, e.author, e.link, e.image) for e in feed.entries] == [
        ("Kept", None, None, None),
        ("Also kept", None, None, None),
    ]


def test_a_bogus_html_declaration_is_dropped_as_a_browser_does():
    # html.parser raises AssertionError on this; browsers read it as a comment.
    assert html_blocks("<p>One</p><![foo[ x ]]><p>Two</p>") == ["One", "Two"]
    assert html_blocks("<p>One <![ cut") == ["One"]


def test_a_malformed_item_link_loses_the_link_not_the_feed(web):
    item = {"id": "x", "title": "Odd", "content_text": "Text of it.", "url": "http://[oops/"}
    (web.root / "odd.json").write_text(json_feed(item))
    result = read(web, Source(feed=web.url("odd.json")))
    assert result.failed == () and result.problems == ()
    (odd,) = result.items
    assert odd.article.title == "Odd" and odd.article.url is None


def test_an_unexpected_error_in_one_feed_is_one_problem_and_the_others_go_on(
    web, caplog, monkeypatch
):
    # A bug no check foresees, planted in the parser for one feed only.
    import digest.ingest.web as web_module

    def parse(body, content_type, charset):
        if b"odd-feed" in body:
            raise ValueError("planted bug")
        return parse_feed(body, content_type, charset)

    monkeypatch.setattr(web_module, "parse_feed", parse)
    (web.root / "odd.json").write_text(json_feed({"id": "odd-feed", "content_text": "x"}))
    with caplog.at_level("DEBUG", logger="digest.ingest.web"):
        result = read(web, Source(feed=web.url("odd.json")), Source(feed=web.url("rss20.xml")))
    assert result.failed == (web.url("odd.json"),) and len(result.problems) == 1
    message = result.problems[0].message
    assert "ValueError" in message and "planted bug" in message and "\n" not in message
    assert result.ok == (web.url("rss20.xml"),) and len(result.items) == 3
    assert "Traceback" not in message and caplog.records[0].exc_info is not None


def test_a_malformed_canonical_link_is_ignored_and_the_page_kept(web):
    page = (web.root / "pages" / "sourdough.html").read_text()
    odd = page.replace("<head>", '<head><link rel="canonical" href="http://[oops/">', 1)
    assert odd != page
    (web.root / "pages" / "sourdough.html").write_text(odd)
    result = read(web, Source(feed=web.url("rss091.xml")))
    articles, problems = complete_items(result.items, FAST)
    assert len(articles) == 2 and problems == []
    page_article = next(a for a in articles if "sourdough" in (a.url or ""))
    assert page_article.url == web.url("pages/sourdough.html")


def test_an_unexpected_error_on_a_teasers_page_keeps_the_teaser(web, monkeypatch):
    import digest.ingest.web as web_module

    def extract(page, url=None, **options):
        raise ValueError("planted bug")

    monkeypatch.setattr(web_module, "extract_html", extract)
    result = read(web, Source(feed=web.url("rss091.xml")))
    articles, problems = complete_items(result.items, FAST)
    assert len(articles) == len(result.items)  # every teaser kept
    assert problems and all("ValueError" in p.message for p in problems)
    assert all("teaser is used" in p.message for p in problems)


def test_a_page_linked_from_two_feeds_keeps_one_copy_of_its_text(web):
    (web.root / "copy.xml").write_bytes((web.root / "rss091.xml").read_bytes())
    result = read(web, Source(feed=web.url("rss091.xml")), Source(feed=web.url("copy.xml")))
    articles, problems = complete_items(result.items, FAST)
    assert problems == [] and len(articles) == 4
    first, second = (a for a in articles if "sourdough" in (a.url or ""))
    assert len(first.text.split()) > 120 and web.hits("pages/sourdough.html") == 2
    assert first.text is second.text  # held once, however many feeds link to it


MEDIA_FEED = """<?xml version="1.0"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>Courier</title>
<item><title>Sized</title><link>https://courier.example/a</link><guid>a</guid>
<description>The harbour board voted to dredge the channel before the storms.</description>
<media:content url="https://img.courier.example/a.jpg" medium="image" width="1024" height="576"/>
</item>
<item><title>Thumbnail</title><link>https://courier.example/b</link><guid>b</guid>
<description>Night trains return to the valley line after almost thirty years away.</description>
<media:thumbnail url="https://img.courier.example/b.jpg" width="240" height="160"/></item>
<item><title>Unsized</title><link>https://courier.example/c</link><guid>c</guid>
<description>Volunteers map every bench in the town, noting which ones face the sun.</description>
<enclosure url="https://img.courier.example/c.jpg" type="image/jpeg" length="1000"/></item>
</channel></rss>"""


def test_feed_media_sizes_come_with_their_images(web):
    (web.root / "media.xml").write_text(MEDIA_FEED)
    result = read(web, Source(feed=web.url("media.xml")))
    found = {i.article.title: (i.article.image, i.article.image_size) for i in result.items}
    assert found == {
        "Sized": ("https://img.courier.example/a.jpg", (1024, 576)),
        "Thumbnail": ("https://img.courier.example/b.jpg", (240, 160)),
        "Unsized": ("https://img.courier.example/c.jpg", None),  # an enclosure has no sides
    }


def test_an_untrusted_https_certificate_hints_at_ssl_cert_file(tmp_path, monkeypatch):
    import shutil
    import ssl

    from tests.conftest import FIXTURES
    from tests.smtp_server import make_certificate
    from tests.web_server import start

    cert, key = make_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    shutil.copytree(FIXTURES / "web", tmp_path / "root")
    state, server = start(tmp_path / "root", tls=context)
    try:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        refused = read(state, Source(feed=state.url("rss10.rdf")))
        (problem,) = refused.problems
        assert "certificate is not trusted" in problem.message
        assert "point SSL_CERT_FILE at its certificate" in problem.message
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # as a .env would set it
        trusted = read(state, Source(feed=state.url("rss10.rdf")))
        assert trusted.problems == () and len(trusted.items) == 1
    finally:
        server.shutdown()
        server.server_close()
