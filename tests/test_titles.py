"""Choosing the story's title among the titles a page offers."""

import lxml.html
import pytest

from digest.ingest.titles import (
    Candidates,
    choose_title,
    clean_title,
    is_chrome,
    lead_title,
    strip_chrome,
    title_candidates,
)


@pytest.mark.parametrize(
    ("title", "story"),
    [
        ("Covic turns up heat on Schwarzer - Football - Sport", "Covic turns up heat on Schwarzer"),
        ("Harbour board votes to dredge | UK Latest", "Harbour board votes to dredge"),
        ("Ferry fares rise for islanders_English_Xinhua", "Ferry fares rise for islanders"),
        (
            "Daily Star: Simply The Best 7 Days A Week :: Celeb News :: Stars slam arts grant cuts",
            "Stars slam arts grant cuts",
        ),
        ("Coastal Times :: Sport :: Rowing club wins the regatta", "Rowing club wins the regatta"),
        ("港町に新しい図書館が開館｜北港新聞", "港町に新しい図書館が開館"),
        ("The tide turns: a harbour town rebuilds", "The tide turns: a harbour town rebuilds"),
        (
            "How we built it - a ferry timetable in a week",
            "How we built it - a ferry timetable in a week",
        ),
    ],
)
def test_site_sections_and_breadcrumbs_are_stripped(title, story):
    assert strip_chrome(title, ("dailystar", "北港新聞")) == story


@pytest.mark.parametrize(
    ("title", "sites"),
    [
        ("TV3 > News > National News > Story", ("tv3",)),
        ("Related News", ()),
        ("SFGate: World Views", ("sfgate",)),
        ("Winona Daily News", ("winonadailynews",)),
        ("Home", ()),
    ],
)
def test_a_title_that_is_only_the_site_or_its_sections_is_no_title(title, sites):
    assert is_chrome(title, sites) or strip_chrome(title, sites) is None
    assert choose_title(Candidates(titles=(title,), headings=(), sites=sites)) is None


def test_the_run_two_candidates_agree_on_is_the_title():
    candidates = Candidates(
        titles=("Quay lights back on - Harbour - Northport Post",),
        headings=("Quay lights back on",),
        sites=(),
    )
    assert choose_title(candidates) == "Quay lights back on"


def test_the_article_first_line_settles_a_title_with_an_author_in_it():
    candidates = Candidates(titles=("On the quay - Jo Bloggs Smith Jones",), headings=(), sites=())
    text = "On the quay\nThe lamps were lit again on Friday."
    assert choose_title(candidates, text) == "On the quay"


def test_markup_and_script_in_a_title_are_refused():
    assert clean_title('Ferry fares</titavaScript" src="x.js"></script>') is None
    assert clean_title("<IFRAME SRC=http://ad.example/x>") is None
    assert clean_title("var s = document.createElement('script'); function(a) {") is None
    assert clean_title("  Ferry   fares &amp; timetables ") == "Ferry fares & timetables"


def test_candidates_come_from_metadata_json_ld_the_title_and_the_main_heading():
    page = lxml.html.fromstring(
        """<html><head><title>Ferry fares rise | Northport Post</title>
        <meta property="og:title" content="Ferry fares rise">
        <meta property="og:site_name" content="Northport Post">
        <script type="application/ld+json">{"@type": "NewsArticle",
         "headline": "Ferry fares to rise",
         "publisher": {"@type": "Organization", "name": "Northport Post"}}</script>
        </head><body><header><h1>Northport Post</h1></header>
        <article><h1>Ferry fares rise</h1><p>Text.</p></article></body></html>"""
    )
    candidates = title_candidates(page, "https://www.northport-post.example/news/1")
    assert candidates.titles == (
        "Ferry fares to rise",
        "Ferry fares rise",
        "Ferry fares rise | Northport Post",
    )
    assert candidates.headings == ("Ferry fares rise",)
    assert "Northport Post" in candidates.sites and "www.northport-post.example" in candidates.sites
    assert choose_title(candidates) == "Ferry fares to rise"


def test_a_long_lead_gives_a_title_cut_at_a_word():
    lead = "Volunteers planted three hundred oak saplings on the hill above the harbour one Sunday"
    lead += " in March"
    title = lead_title(lead)
    assert title.endswith("…") and len(title) <= 91 and lead.startswith(title[:-1])
