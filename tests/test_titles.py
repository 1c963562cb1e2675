"""Choosing the story's title among the titles a page offers."""

from pathlib import Path

import lxml.html
import pytest

from digest.config import Source
from digest.ingest.extract import extract_html
from digest.ingest.titles import (
    Candidates,
    choose_title,
    clean_title,
    is_chrome,
    lead_title,
    strip_chrome,
    title_candidates,
)
from digest.ingest.web import read_sources


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
        ("Dredging begins @ Harbour Notes_Blue Sky :: 北港新聞 ::", "Dredging begins"),
        ("Daily Star : Stars slam arts grant cuts", "Stars slam arts grant cuts"),
        (
            "Daily Star: Ferry fares rise: what it means for islanders",
            "Ferry fares rise: what it means for islanders",
        ),
        ("The tide turns: a harbour town rebuilds", "The tide turns: a harbour town rebuilds"),
        (
            "How we built it - a ferry timetable in a week",
            "How we built it - a ferry timetable in a week",
        ),
    ],
)
def test_site_sections_and_breadcrumbs_are_stripped(title, story):
    assert strip_chrome(title, ("dailystar", "北港新聞", "harbournotesbluesky")) == story


@pytest.mark.parametrize(
    ("title", "sites"),
    [
        ("TV3 > News > National News > Story", ("tv3",)),
        ("Related News", ()),
        ("SFGate: World Views", ("sfgate",)),
        ("Winona Daily News", ("winonadailynews",)),
        ("Home", ()),
        ("北港 NORTHPOST", ("northpost",)),
        ("Harbour Notes", ("harbournotesbeta",)),
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


def test_a_candidate_no_other_bears_out_and_unlike_them_is_passed_over():
    # A JSON-LD "headline" that is the page's category, where <title> and <h1> agree.
    candidates = Candidates(
        titles=("Harbour list article", "List of ferries in Northport - Harbour Wiki"),
        headings=("List of ferries in Northport",),
        sites=(),
    )
    assert choose_title(candidates) == "List of ferries in Northport"
    # Two wordings of one headline: the more trusted one stands.
    candidates = Candidates(
        titles=("Ferry fares to rise in March", "Ferry fares rise - Northport Post"),
        headings=("Ferry fares rise",),
        sites=(),
    )
    assert choose_title(candidates) == "Ferry fares to rise in March"


def test_a_story_about_the_site_that_begins_with_its_name_is_no_chrome():
    sites = ("northport",)
    assert is_chrome("Northport Official Site", sites)
    title = "Northport Ferries Add Winter Sailings for Islanders - March 4 - Northport Site"
    assert strip_chrome(title, sites) == "Northport Ferries Add Winter Sailings for Islanders"


def test_of_two_agreeing_runs_as_long_the_earlier_is_the_title():
    candidates = Candidates(
        titles=("Ferries: The Winter Timetable — harbour guide for Northport",),
        headings=("harbour guide for Northport", "Ferries: The Winter Timetable"),
        sites=(),
    )
    assert choose_title(candidates) == "Ferries: The Winter Timetable"


@pytest.mark.parametrize(
    "masthead",
    [
        '<div id="header"><h1>Harbour Notes</h1></div>',
        '<h1 class="blog-title">Harbour Notes</h1>',
        '<h1><a href="https://harbournotes.example/">Harbour Notes</a></h1>',
    ],
)
def test_a_blogs_name_in_its_masthead_is_no_title(masthead):
    page = lxml.html.fromstring(
        f"""<html><head><title>Dredging begins « Harbour Notes</title></head><body>
        {masthead}<div class="post"><h2>Dredging begins</h2><p>Text.</p></div></body></html>"""
    )
    candidates = title_candidates(page)
    assert candidates.headings == ()
    assert "Harbour Notes" in candidates.sites
    assert choose_title(candidates) == "Dredging begins"


def test_a_post_heading_linking_to_its_own_address_is_the_title():
    page = lxml.html.fromstring(
        """<html><head><title>Dredging begins | Harbour Notes</title></head><body>
        <div class="post"><h1><a href="https://harbournotes.example/?p=123">Dredging begins</a>
        </h1><p>Text.</p></div></body></html>"""
    )
    assert title_candidates(page).headings == ("Dredging begins",)


def test_a_post_heading_inside_a_page_wide_header_is_the_title():
    story = "<p>The dredger arrived on Monday and the work on the north channel began.</p>" * 10
    page = lxml.html.fromstring(
        f"""<html><head><title>Dredging begins | Harbour Notes</title></head><body>
        <div id="header"><div class="post"><h1>Dredging begins</h1>{story}</div></div>
        </body></html>"""
    )
    assert title_candidates(page).headings == ("Dredging begins",)


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


BLOG_POST = Path(__file__).parent / "fixtures" / "web" / "pages" / "blog-post-site-title.html"


def test_a_blog_post_titled_with_the_blogs_name_takes_its_post_heading():
    # <title>, og:title and the page's <h1> are all the blog's name; the canonical
    # address's host names the blog, the post's heading is an <h2> in the article.
    extracted = extract_html(BLOG_POST.read_bytes())
    assert extracted is not None
    assert extracted.title == "The dredger arrives a week early"
    assert extracted.text.startswith("The dredger came round the breakwater")


def test_a_blog_post_read_from_a_server_is_headed_by_its_post_not_the_blog(web):
    result = read_sources([Source(page=web.url("pages/blog-post-site-title.html"))])
    assert result.problems == ()
    (item,) = result.items
    assert item.article.title == "The dredger arrives a week early"
    assert "Harbour Notes" not in item.article.title


def _blog(head: str, body: str) -> str:
    story = "<p>The dredger came round the breakwater on Monday morning, early.</p>" * 6
    return f"<html><head>{head}</head><body>{body}{story}</body></html>"


def test_a_blogs_name_before_its_post_heading_in_the_title_is_cut():
    # "Blog: Post", the blog's name in a plain <h1>, the post's in an <h3>.
    page = _blog(
        "<title>Harbour Notes: The dredger arrives a week early</title>",
        "<h1>Harbour Notes</h1><h2>November 4, 2026</h2><h3>The dredger arrives a week early</h3>",
    )
    assert extract_html(page.encode()).title == "The dredger arrives a week early"


def test_a_post_heading_linking_to_the_page_itself_beats_a_title_that_is_the_blogs_name():
    page = _blog(
        "<title>Harbour Notes</title>"
        '<link rel="canonical" href="https://notes.example/2026/11/dredger/">',
        '<h1><a href="https://notes.example/"></a></h1>'
        '<div class="post"><h2><a href="/2026/11/dredger/" rel="bookmark">'
        "The dredger arrives a week early</a></h2>",
    )
    assert extract_html(page.encode()).title == "The dredger arrives a week early"


def test_a_headline_holding_the_sites_name_keeps_it():
    page = _blog(
        "<title>Harbour Notes turns ten: a decade on the north quay | Harbour Notes</title>"
        '<meta property="og:site_name" content="Harbour Notes">'
        '<meta name="application-name" content="Harbour Notes">',
        "<header><h1>Harbour Notes</h1></header>"
        "<article><h1>Harbour Notes turns ten: a decade on the north quay</h1>"
        "<h2>Harbour Notes turns ten</h2>",
    )
    title = extract_html(page.encode(), "https://harbournotes.example/2026/11/ten/").title
    assert title == "Harbour Notes turns ten: a decade on the north quay"


def test_an_application_name_that_is_the_pages_title_is_no_site_name():
    page = lxml.html.fromstring(
        """<html><head><title>Ferry fares rise in March</title>
        <meta name="application-name" content="Ferry fares rise in March"></head>
        <body><p>Text.</p></body></html>"""
    )
    candidates = title_candidates(page)
    assert "Ferry fares rise in March" not in candidates.sites
    assert choose_title(candidates) == "Ferry fares rise in March"


def test_a_date_heading_is_no_title():
    assert is_chrome("November 4, 2026") and is_chrome("Tue 3rd Mar")
    assert not is_chrome("March of the ferries")
    candidates = Candidates(
        titles=("Harbour Notes",),
        headings=(),
        sites=("harbournotes",),
        subheads=("November 4, 2026", "The dredger arrives"),
    )
    text = "November 4, 2026\nThe dredger arrives\nThe dredger came round the breakwater."
    assert choose_title(candidates, text) == "The dredger arrives"
