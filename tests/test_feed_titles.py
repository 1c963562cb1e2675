"""Feed items' titles lose the outlet's and sections' names the feed added to them.

Feeds served by a real HTTP server on 127.0.0.1 (tests/web_server.py); the rules'
edges on plain strings below.
"""

import pytest

from digest.config import Source
from digest.ingest.feed_titles import ItemTitle, clean_feed_titles, feed_sites
from digest.ingest.fetch import FetchOptions
from digest.ingest.web import complete_items, read_sources

FAST = FetchOptions(timeout=1.0, max_bytes=1024 * 1024)


def feed_titles(web, path: str) -> list[str]:
    result = read_sources([Source(feed=web.url(path))], options=FAST)
    assert result.problems == ()
    return [item.article.title for item in result.items]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "titles-publisher.xml",  # "Title - Publisher", the channel named the publisher
            [
                "Harbour wall repairs finish a month early",
                "Lifeboat crew rescue two kayakers off the point",
                "School choir wins county prize",
            ],
        ),
        (
            "titles-aggregator.xml",  # each item's publisher named by its <source>
            [
                "Ferry fares frozen for the winter",
                "Quay lights switched back on after storm repairs",
            ],
        ),
        (
            "titles-pipe.xml",  # "Title | Section | Outlet", the section the <category>
            [
                "Council approves new cycle lanes",
                "Rowing club wins the estuary regatta",
                "Fish market reopens after the floods",
            ],
        ),
        (
            "titles-colon.xml",  # "Outlet: Title", the title's own colon kept
            [
                "Night buses return to the old town",
                "Bakery wins a prize for its sourdough",
                "Mayor: I will not resign over the bridge",
            ],
        ),
        (
            "titles-breadcrumb.xml",  # "Section » Title"
            [
                "Councillors vote to keep the library open",
                "Millbrook film festival doubles in size",
                "Bypass plan goes to a public inquiry",
            ],
        ),
        (
            "titles-repeated.xml",  # no channel title, no category: the shared ends tell
            [
                "Storm closes the coast road",
                "Bench map wins a civic award",
                "Snow expected on the moor by Friday",
            ],
        ),
    ],
)
def test_feed_item_titles_lose_the_outlets_and_sections_names(web, path, expected):
    assert feed_titles(web, path) == expected


def test_a_real_title_with_a_colon_keeps_it(web):
    assert feed_titles(web, "titles-real-colons.xml") == [
        "Mayor: I will not resign",
        "Review: a new Hamlet at the Corn Exchange",
        "Volunteers plant a thousand trees on the moor",
        "Canal path reopens after the landslip",
    ]


def test_a_single_item_with_no_evidence_keeps_its_title(web):
    # "Harbour Times" is no name of this feed's, and one item repeats nothing.
    assert feed_titles(web, "titles-single.xml") == [
        "Harbour Times: Council approves new cycle lanes"
    ]


def test_a_title_that_is_only_chrome_gives_way_to_the_pages(web):
    result = read_sources([Source(feed=web.url("titles-pages.xml"))], options=FAST)
    titles = [item.article.title for item in result.items]
    assert "The Coastal Courier" not in titles  # the teaser's lead until the page is read
    articles, problems = complete_items(result.items, FAST)
    assert problems == []
    assert [a.title for a in articles] == [
        "Night trains return to the valley line",  # the page's: the feed's was the outlet
        "Old ferry bell rings again after restoration",  # the feed's and the page's agree
        "Harbour cafe named best on the coast",  # the feed's own, though the page differs
        # The page's is shorter, but nothing it knows says ": officials" is chrome.
        "Quay lights switched back on after storm repairs: officials",
    ]


def test_the_pages_title_wins_where_it_knows_chrome_the_feed_did_not(web):
    # The feed does not name the outlet; the page's og:site_name does.
    assert feed_titles(web, "titles-page-knows.xml") == [
        "Northport Evening Post: Quay lights switched back on after storm repairs"
    ]
    result = read_sources([Source(feed=web.url("titles-page-knows.xml"))], options=FAST)
    articles, _ = complete_items(result.items, FAST)
    assert [a.title for a in articles] == ["Quay lights switched back on after storm repairs"]


SITES = feed_sites("Harbour Times", ["https://harbour-times.example/rss"])


def clean(*titles: str, sites=SITES) -> list[str | None]:
    return clean_feed_titles([ItemTitle(t) for t in titles], sites)


def test_a_colon_shared_by_a_few_items_is_a_speaker_not_a_label():
    assert clean(
        "Trump: I will not resign",
        "Trump: the wall will be built",
        "Storm hits the coast",
        "Mayor resigns after long row",
    )[:2] == ["Trump: I will not resign", "Trump: the wall will be built"]


def test_a_colon_most_items_open_with_is_the_feeds_label():
    assert clean(
        "HT: Storm hits the coast",
        "HT: Budget passes at last",
        "HT: Mayor resigns after a long row",
        "Trump: I will not resign",
        sites=(),
    ) == [
        "Storm hits the coast",
        "Budget passes at last",
        "Mayor resigns after a long row",
        "Trump: I will not resign",
    ]


def test_review_labels_stay_even_when_every_item_has_one():
    titles = ("Review: Hamlet at the Globe", "Review: Cats at the Palladium", "Review: Macbeth")
    assert clean(*titles) == list(titles)


def test_an_outlet_named_like_a_label_is_still_the_outlets_name():
    # "Review" alone is a label a headline keeps; "National Review" is the outlet.
    assert clean(
        "National Review: Republican wins Texas House runoff",
        "Review: Hamlet at the Globe",
        sites=("National Review",),
    ) == ["Republican wins Texas House runoff", "Review: Hamlet at the Globe"]


def test_the_outlets_name_with_a_subtitle_after_it_goes_whole():
    # "Outlet: " first, so that it does not take "Story" along as one segment.
    assert clean("Harbour Times: Getting lean with ad design | IAB") == [
        "Getting lean with ad design | IAB"
    ]


def test_a_shared_segment_is_not_cut_where_little_would_be_left():
    assert clean("Brexit - what it means for you", "Trade - what it means for you", sites=()) == [
        "Brexit - what it means for you",
        "Trade - what it means for you",
    ]


def test_a_repost_is_no_evidence_of_repetition():
    assert (
        clean("Storm hits the coast | Tidewater", "Storm hits the coast | Tidewater")
        == ["Storm hits the coast | Tidewater"] * 2
    )


def test_only_the_outlets_name_or_a_section_is_no_title():
    assert clean("Harbour Times", "Politics", "Harbour Times wins a press award") == [
        None,
        None,
        "Harbour Times wins a press award",
    ]


def test_the_section_from_the_category_goes_even_in_a_single_item():
    assert clean_feed_titles(
        [ItemTitle("Tides » Spring tide floods the quay", ("Tides",))], ()
    ) == ["Spring tide floods the quay"]


def test_a_channel_title_with_a_section_names_the_outlet():
    assert "The Harbour Times" in feed_sites("The Harbour Times - Latest")
    assert "Quay Post" in feed_sites("Quay Post: Top stories")


def test_a_story_about_the_outlet_or_a_numbered_one_is_a_title():
    assert clean(
        "Politics » Harbour Times wins a press award", "Story 3 - Harbour Times", "Top 10"
    ) == ["Harbour Times wins a press award", "Story 3", "Top 10"]
