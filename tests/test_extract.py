"""HTML extraction on invented pages: main text, fallbacks, metadata, encodings, limits."""

from __future__ import annotations

import html
import json
import time

import trafilatura

from digest.ingest import extract
from digest.ingest.extract import extract_html, extract_trafilatura

STORY = [
    "The harbour board voted on Tuesday to dredge the north channel before the winter storms.",
    "Fishermen had asked for the work for six years, saying boats ran aground at low tide.",
    "The dredging will cost about two million pounds and take eleven weeks, the board said.",
    "Work starts in October, when the last of the summer ferries has stopped running.",
    "A survey last spring found the channel had lost almost a metre of depth since 2015.",
]

PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Harbour board votes to dredge the channel | Coastal Times</title>
<link rel="canonical" href="/news/2026/harbour-dredging">
<meta property="og:title" content="Harbour board votes to dredge the channel">
<meta property="og:image" content="/images/harbour.jpg">
<meta name="author" content="Mara Quill">
<meta property="article:published_time" content="2026-03-04T08:30:00Z">
<meta property="og:site_name" content="Coastal Times">
</head><body>
<header><nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/sport">Sport</a>
| <a href="/weather">Weather</a></nav></header>
<main><article>
<h1>Harbour board votes to dredge the channel</h1>
<p>By Mara Quill</p>
<p>Published 4 March 2026</p>
<figure><img src="/images/harbour.jpg" alt="">
<figcaption>Boats moored at low tide. Photo: Ann Lee/Coastal Times</figcaption></figure>
{"".join(f"<p>{p}</p>" for p in STORY[:3])}
<p>Sign up for our morning newsletter and get the news delivered to your inbox.</p>
{"".join(f"<p>{p}</p>" for p in STORY[3:])}
<p>Share this article</p>
<p>Read more: Ferry timetable changes for the winter</p>
</article></main>
<footer><p>© 2026 Coastal Times. All rights reserved.</p>
<p><a href="/privacy">Privacy policy</a> | <a href="/terms">Terms of use</a>
| <a href="/cookies">Cookies</a></p></footer>
</body></html>"""


def test_page_gives_its_story_without_navigation_footer_signup_or_captions():
    result = extract_html(PAGE.encode(), "https://coastal.example/news/harbour?utm_source=x")
    assert result is not None
    assert result.text.splitlines() == STORY


def test_extracted_metadata_is_absolute_and_complete():
    result = extract_html(PAGE.encode(), "https://coastal.example/news/harbour?utm_source=x")
    assert result is not None
    assert result.url == "https://coastal.example/news/2026/harbour-dredging"
    assert result.image == "https://coastal.example/images/harbour.jpg"
    assert result.author == "Mara Quill"
    assert result.published == "2026-03-04"
    assert result.title == "Harbour board votes to dredge the channel"
    assert result.site == "Coastal Times"


def test_plain_trafilatura_keeps_the_lines_digest_removes():
    """The baseline the eval compares against really is the raw extractor."""
    result = extract_trafilatura(PAGE.encode(), "https://coastal.example/news/harbour")
    assert result is not None
    assert any(line.startswith("Sign up") for line in result.text.splitlines())


def test_repeated_paragraphs_trafilatura_drops_come_back_from_readability():
    # A song's refrain repeats; trafilatura keeps one copy of a long repeated paragraph.
    refrain = (
        "<p>Row the boat across the bay, the tide is turning, row away; the harbour lights"
        " are burning low, and all the boats are bound to go.</p>"
    )
    page = (
        "<html><head><title>The Harbour Song</title></head><body><article>"
        f"<h1>The Harbour Song</h1>{refrain * 3}</article></body></html>"
    ).encode()
    plain = trafilatura.extract(page, favor_precision=True) or ""
    result = extract_html(page)
    assert result is not None
    assert len(result.text.split()) > 1.5 * len(plain.split())  # the case is real
    assert result.method == "readability"
    assert len(result.text.splitlines()) == 3


def test_a_story_printed_twice_on_its_page_is_given_once():
    # The screen copy and the print copy of the story, side by side in one container.
    copy = "".join(f"<p>{p}</p>" for p in STORY[:3])
    page = (
        "<html><head><title>Harbour board votes</title></head><body><div id='story'>"
        f"<div class='screen'>{copy}</div><div class='print'>{copy}</div>"
        "</div></body></html>"
    ).encode()
    result = extract_html(page)
    assert result is not None
    assert result.text.splitlines() == STORY[:3]


def test_page_too_deep_for_the_parser_falls_back_to_its_visible_text():
    paragraphs = "".join(f"<p>{p}</p>" for p in STORY)
    page = (
        "<html><body><nav><a href='/'>Home</a> | <a href='/w'>World</a> | "
        f"<a href='/b'>Business</a></nav>{'<div>' * 2000}{paragraphs}{'</div>' * 2000}"
        "</body></html>"
    ).encode()
    result = extract_html(page)
    assert result is not None
    assert result.method == "visible"
    assert result.text.splitlines() == STORY


def test_windows_1251_page_is_decoded_from_its_declared_charset():
    sentence = "Совет гавани во вторник проголосовал за углубление северного канала."
    page = (
        '<html><head><meta charset="windows-1251"><title>Гавань</title></head><body>'
        f"<article>{''.join(f'<p>{sentence} Абзац {n}.</p>' for n in range(5))}</article>"
        "</body></html>"
    ).encode("windows-1251")
    result = extract_html(page)
    assert result is not None
    assert sentence in result.text


def test_embedded_social_posts_are_not_article_text():
    tweet = (
        '<blockquote class="twitter-tweet"><p>What a night at the harbour!</p>'
        "&mdash; Some Sailor (@sailor) March 3, 2026</blockquote>"
    )
    page = f"<html><body><article>{''.join(f'<p>{p}</p>' for p in STORY)}{tweet}</article>"
    result = extract_html(f"{page}</body></html>".encode())
    assert result is not None
    assert "@sailor" not in result.text and "What a night" not in result.text


def test_page_with_no_text_gives_none():
    assert extract_html(b"<html><body><nav><a href='/'>Home</a></nav></body></html>") is None
    assert extract_html(b"") is None


def test_oversized_page_is_cut_after_its_scripts_go(monkeypatch):
    monkeypatch.setattr(extract, "MAX_PAGE_BYTES", 5_000)
    script = "<script>var x = '" + "y" * 20_000 + "';</script>"
    body = "".join(f"<p>{p}</p>" for p in STORY)
    page = f"<html><head>{script}</head><body><article>{body}</article></body></html>"
    bounded = extract._bounded(page.encode())
    assert len(bounded) <= 5_000
    assert b"<script" not in bounded and STORY[-1].encode() in bounded


def test_twenty_megabyte_page_is_extracted_in_bounded_time():
    paragraph = "<p>" + " ".join(STORY) + "</p>"
    page = f"<html><body><article>{paragraph * 40_000}</article></body></html>".encode()
    assert len(page) > 15_000_000
    start = time.perf_counter()
    result = extract_html(page)
    elapsed = time.perf_counter() - start
    assert result is not None and STORY[0] in result.text
    assert elapsed < 20  # trafilatura alone takes about 30 s here; we take about 1 s


def test_markup_and_ad_addresses_never_reach_the_text():
    ad = '&lt;IFRAME SRC="http://ad.doubleclick.net/adi/harbour;sz=300x250"&gt;&lt;/IFRAME&gt;'
    long_line = " ".join(STORY) + ' <a href="http://ads.example/x">more</a> ' + " ".join(STORY)
    page = (
        "<html><head><title>Harbour</title></head><body><article>"
        f"<p>{STORY[0]}</p><p>{ad}</p><p>{html.escape(long_line)}</p>"
        f"{''.join(f'<p>{p}</p>' for p in STORY[1:])}</article></body></html>"
    )
    result = extract_html(page.encode())
    assert result is not None
    assert "<" not in result.text and "doubleclick" not in result.text.lower()
    assert STORY[0] in result.text.splitlines()  # a long line loses only its markup
    assert any(line.startswith(" ".join(STORY)[:40]) for line in result.text.splitlines()[1:])


def test_a_title_left_open_by_a_broken_closing_tag_is_closed_where_its_text_ends():
    page = (
        '<html><head><title>Harbour board votes</titavaScript" src="http://ads.example/a.js">'
        "</script><script>document.write('<IFRAME SRC=\"http://ad.example/x\">');</script>"
        f"</head><body><article>{''.join(f'<p>{p}</p>' for p in STORY)}</article></body></html>"
    )
    result = extract_html(page.encode())
    assert result is not None
    assert result.title == "Harbour board votes"
    assert result.text.splitlines() == STORY


def test_the_page_date_is_searched_for_only_when_asked():
    url = "https://coastal.example/news/harbour"
    assert extract_html(PAGE.encode(), url, with_date=False).published is None
    assert extract_html(PAGE.encode(), url).published == "2026-03-04"


def test_an_image_not_served_over_https_is_no_image():
    page = PAGE.replace('content="/images/harbour.jpg"', 'content="http://cdn.example/h.jpg"')
    result = extract_html(page.encode(), "https://coastal.example/news/harbour")
    assert result is not None and result.image is None


def test_labels_for_screen_readers_only_are_not_article_text():
    label = '<span class="sr-only">, opens new tab</span>'
    paragraphs = "".join(
        f'<p>{p[:20]}<a href="/x">link{label}</a>{p[20:]}</p>' if n == 0 else f"<p>{p}</p>"
        for n, p in enumerate(STORY)
    )
    page = f"<html><body><article>{paragraphs}</article></body></html>"
    result = extract_html(page.encode())
    assert result is not None
    assert "opens new tab" not in result.text and STORY[1] in result.text


def test_a_page_trafilatura_runs_into_one_paragraph_gives_the_story_in_paragraphs():
    # A table layout: trafilatura reads menus, story and footer as one run of text.
    story = [
        "The river authority opened the new footbridge at Millbank on Saturday morning.",
        "Walkers had crossed by ferry since the old bridge was closed eight years ago.",
        "The span is forty metres long and rests on two piers sunk into the riverbed.",
        "Its steel came from a yard upstream, floated down on barges in the spring.",
        "The ferry will keep running on weekends through the summer, the authority said.",
    ]
    menu = " | ".join(f"<a href='/s{i}'>SECTION {i}</a>" for i in range(12))
    page = f"""<html><head><title>Footbridge opens</title></head><body>
<table><tr><td><table><tr><td>{menu}</td></tr></table></td></tr>
<tr><td><table><tr><td>NEWS CATEGORIES: <a href="/a">NEWS ARCHIVE</a> &gt;&gt;
<a href="/b">REVIEWS</a> &gt;&gt; <a href="/c">EDITORS</a>
<table><tr><td>{"<br><br>".join(story)}</td></tr></table>
<table><tr><td>115 hits · <a href="#">Link to this article</a> · <a href="#">Print article</a>
</td></tr></table></td></tr></table></td></tr>
<tr><td>{menu} © 2012 River News. Terms of Use</td></tr></table></body></html>"""
    result = extract_html(page.encode())
    assert result is not None
    assert result.text.splitlines() == story


def test_a_short_piece_of_a_flattened_page_does_not_replace_it():
    whole = " ".join(f"Sentence number {i} of the one long story runs on here." for i in range(20))
    piece = "\n".join(["A line of it.", "Another line of it.", "A third line of it."])
    assert extract._is_flattened(whole)
    assert not extract._splits(piece, whole)  # far fewer words: a piece, not the story
    assert not extract._splits(piece, "A line of it.\nAnother line of it.")  # not flattened


def with_meta(meta: str) -> bytes:
    return PAGE.replace('<meta property="og:image" content="/images/harbour.jpg">', meta).encode()


def test_og_image_width_and_height_give_the_image_its_size():
    page = with_meta(
        '<meta property="og:image" content="/images/harbour.jpg">'
        '<meta property="og:image:width" content="1200">'
        '<meta property="og:image:height" content="630">'
    )
    result = extract_html(page, "https://coastal.example/news/harbour")
    assert result is not None and result.image_size == (1200, 630)


def test_each_og_image_has_the_sides_that_follow_it():
    # trafilatura takes the last og:image; the first one's sides are not its.
    page = with_meta(
        '<meta property="og:image" content="/images/logo.png">'
        '<meta property="og:image:width" content="200">'
        '<meta property="og:image:height" content="200">'
        '<meta property="og:image" content="/images/harbour.jpg">'
        '<meta property="og:image:width" content="1600">'
        '<meta property="og:image:height" content="900">'
    )
    result = extract_html(page, "https://coastal.example/news/harbour")
    assert result is not None and result.image == "https://coastal.example/images/harbour.jpg"
    assert result.image_size == (1600, 900)


def test_twitter_image_sides_give_its_size():
    page = with_meta(
        '<meta name="twitter:image" content="https://cdn.coastal.example/h.jpg">'
        '<meta name="twitter:image:width" content="1024">'
        '<meta name="twitter:image:height" content="512">'
    )
    result = extract_html(page, "https://coastal.example/news/harbour")
    assert result is not None and result.image == "https://cdn.coastal.example/h.jpg"
    assert result.image_size == (1024, 512)


def test_a_json_ld_image_object_gives_the_og_image_its_size():
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "image": [
            {"@type": "ImageObject", "url": "/images/harbour.jpg", "width": 800, "height": "450"}
        ],
    }
    page = PAGE.replace(
        "</head>", f'<script type="application/ld+json">{json.dumps(ld)}</script></head>'
    ).encode()
    result = extract_html(page, "https://coastal.example/news/harbour")
    assert result is not None and result.image_size == (800, 450)


def test_sides_that_are_no_size_are_no_size():
    for width, height in [("0", "630"), ("wide", "630"), ("1200", ""), ("1200", "99999999")]:
        page = with_meta(
            '<meta property="og:image" content="/images/harbour.jpg">'
            f'<meta property="og:image:width" content="{width}">'
            f'<meta property="og:image:height" content="{height}">'
        )
        result = extract_html(page, "https://coastal.example/news/harbour")
        assert result is not None and result.image is not None
        assert result.image_size is None, (width, height)


def test_a_page_without_declared_sides_has_no_image_size():
    result = extract_html(PAGE.encode(), "https://coastal.example/news/harbour")
    assert result is not None and result.image is not None and result.image_size is None
