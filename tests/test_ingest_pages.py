"""Messy pages read from a real HTTP server on 127.0.0.1: titles, markup, encodings, images."""

import re
from datetime import UTC, datetime

import pytest

from digest.config import Config, Source
from digest.ingest.fetch import FetchOptions
from digest.ingest.web import read_sources
from digest.runs import build

FAST = FetchOptions(timeout=1.0, max_bytes=1024 * 1024)
MARKUP = re.compile(r"<|>|iframe|javascript|doubleclick|document\.write|titavaScript", re.I)


def page(web, path: str):
    """The one article read from the page at ``path``."""
    result = read_sources([Source(page=web.url(path))], options=FAST)
    assert result.problems == (), result.problems
    (item,) = result.items
    return item.article


def assert_clean(article) -> None:
    assert not MARKUP.search(article.title), article.title
    assert not MARKUP.search(article.text), article.text
    assert "â€" not in article.title + article.text and "Ã" not in article.title + article.text


def test_a_broken_title_gives_the_story_title_and_no_markup_or_ad_text(web):
    article = page(web, "pages/broken-title.html")
    assert article.title == "Ferry fares to rise in the spring"
    assert article.text.startswith("The island ferry company said on Monday")
    assert "thirty-four pounds" in article.text
    assert_clean(article)


def test_a_page_titled_only_with_the_site_name_takes_its_headline_from_the_lead(web):
    article = page(web, "pages/site-name-title.html")
    assert "Northport Evening Post" not in article.title
    assert article.title.startswith("Volunteers planted three hundred oak saplings")
    assert article.text.startswith("Volunteers planted")
    assert_clean(article)


def test_a_breadcrumb_title_loses_the_site_and_its_sections(web):
    article = page(web, "pages/breadcrumb-title.html")
    assert article.title == "Rowing club wins the estuary regatta for a third year"
    assert "Sport" not in article.text.split("\n")[0]
    assert_clean(article)


def test_an_undeclared_windows_1251_page_is_detected_from_its_bytes(web):
    # Served as text/html with no charset, and no <meta> charset in the page either.
    article = page(web, "as/text~html/pages/lighthouse-cp1251.html")
    assert article.title == "Маяк на северном мысе снова открыт для посетителей"
    assert "Реставраторы заменили деревянную лестницу" in article.text
    assert_clean(article)


def test_a_double_encoded_page_is_repaired(web):
    article = page(web, "pages/double-encoded.html")
    assert article.title == "Waters’ edge café reopens after the floods"
    assert "Róisín Kerr" in article.text and "the town’s builders" in article.text
    assert_clean(article)


def test_a_japanese_article_keeps_its_title_and_sentences(web):
    article = page(web, "pages/japanese-article.html")
    assert article.title == "漁港の朝市が三年ぶりに再開"
    paragraphs = article.text.split("\n\n")
    assert len(paragraphs) == 4 and paragraphs[0].startswith("北港の漁港で")
    assert "ホーム" not in article.text
    assert_clean(article)


def test_og_image_survives_the_charset_meta_and_reaches_the_email(web, tmp_path):
    article = page(web, "pages/quay-lights.html")
    assert article.image == "https://images.northport-post.example/quay-lights.jpg"
    assert article.image_size == (1600, 1067)  # og:image:width and og:image:height
    assert article.published is not None and article.published.date().isoformat() == "2024-05-03"
    config = Config(
        sources=(Source(page=web.url("pages/quay-lights.html")),),
        state_dir=tmp_path / "state",
        out_dir=tmp_path / "out",
        fetch_private=True,
    )
    build(config, now=datetime(2024, 5, 4, 8, tzinfo=UTC), fetch_options=FAST)
    email = (tmp_path / "out" / "digest.html").read_text()
    image = re.search(
        r'<img[^>]*src="https://images\.northport-post\.example/quay-lights\.jpg"[^>]*>', email
    )
    assert image is not None
    # Decorative beside its headline: the page title is not read out again as alt text.
    assert 'alt=""' in image.group(0)
    # The declared size, scaled to the column: nothing moves when the image loads.
    assert 'width="536" height="357"' in image.group(0)
    assert ">Quay lights switched back on after storm repairs</a>" in email


@pytest.mark.parametrize("need_date", [True, False])
def test_the_page_date_is_read_only_when_asked(web, need_date):
    from digest.ingest.fetch import Request, fetch_all
    from digest.ingest.web import page_article

    (response,) = fetch_all([Request(web.url("pages/quay-lights.html"))], FAST)
    article = page_article(response, need_date=need_date)
    assert article is not None
    published = article.published.date().isoformat() if article.published else None
    assert published == ("2024-05-03" if need_date else None)
