"""Cleaning rules, on lines written the ways different sites write them."""

import pytest

from digest.ingest.clean import classify_block, clean_blocks, clean_text
from tests.conftest import SEED

BOILERPLATE = {
    "navigation": [
        "Skip to content",
        "Skip to navigationSkip to content",
        "Home | World | Business | Tech | Sport",
        "News › Politics › Elections",
        "Menu",
    ],
    "share": [
        "Share this article",
        "Share on Facebook",
        "Facebook Twitter Email",
        "Follow us on Instagram",
    ],
    "advertisement": [
        "Advertisement",
        "ADVERTISEMENT",
        "Story continues below advertisement",
        "Sponsored content",
    ],
    "credit": [
        "AP Photo/Carolyn Kaster",
        "Photograph: Jane Doe/Reuters",
        "Photo: Tim Brand for The Herald",
        "Image source, Getty Images",
        "(Reuters)",
        "Credit: Lu Chen/Shutterstock",
        "John Smith/AFP via Getty Images",
    ],
    "caption": [
        "FILE - In this March 3, 2019 file photo, the mayor speaks to reporters in City Hall.",
        "In this undated photo provided by the museum, a restorer cleans the painting.",
        "Image caption, Firefighters at the scene on Tuesday",
    ],
    "dateline": [
        "Published Last updated This article is more than 2 years old.",
        "Updated 25 November 2026 09:12 GMT",
        "Published: 3 March 2026",
        "This story is more than 5 years old",
        "By Lena Marsh",
        "By Tom Reyes and Ann Lee, Political Correspondents",
        "March 3, 2026",
        "4 min read",
    ],
    "signup": [
        "📬 Kick off each morning with coffee and the Daily Brief (BYO coffee).",
        "Sign up for our weekly newsletter.",
        "Get the Morning Post newsletter delivered to your inbox.",
        "Enter your email address to receive our briefing.",
    ],
    "legal": [
        "By providing your email, you agree to the Quartz Privacy Policy.",
        "© 2026 Northgate Post. All rights reserved.",
        "Copyright 2025 The Example Times",
        "Read our privacy policy and terms of use",
    ],
    "related": [
        "Read more: How one orchard cut its water use",
        "Related: The budget in charts",
        "Related stories",
        "Most read",
    ],
    "comments": ["12 comments", "Leave a comment"],
}

ARTICLE_TEXT = [
    "The council voted 7 to 2 on Tuesday to build the new lanes.",
    "Reuters reported that the deal was signed on Monday.",
    "She said the newsletter she founded in 2019 now has 4,000 readers.",
    "Photographs from the archive show the street in 1920, when trams still ran.",
    "Subscriptions to the service rose 12% in the third quarter, the company said.",
    "Published in 1851, the novel sold poorly at first.",
    "By the end of the year, the factory had doubled its output.",
    "Home prices rose again in March.",
]


@pytest.mark.parametrize(
    ("kind", "line"), [(kind, line) for kind, lines in BOILERPLATE.items() for line in lines]
)
def test_boilerplate_line_is_recognised(kind, line):
    assert classify_block(line) == kind


@pytest.mark.parametrize("line", ARTICLE_TEXT)
def test_article_sentence_is_kept(line):
    assert classify_block(line) is None


def test_short_picture_text_above_a_credit_is_a_caption():
    blocks = [
        "The mayor speaks at the opening of the new bridge",
        "Jane Doe/Reuters",
        "The bridge took four years to build and cost £40m.",
    ]
    assert clean_blocks(blocks) == ["The bridge took four years to build and cost £40m."]


def test_article_paragraph_above_a_credit_is_kept():
    blocks = [
        "The bridge took four years to build. It cost £40m, twice the first estimate.",
        "Photograph: Jane Doe/Reuters",
        "It opens to traffic on Monday.",
    ]
    assert clean_blocks(blocks) == [blocks[0], blocks[2]]


def test_header_above_the_dateline_is_dropped():
    text = "\n".join(
        [
            "A short and witty standfirst.",
            "Published 3 March 2026",
            "The first real paragraph of the story is here.",
        ]
    )
    assert clean_text(text) == "The first real paragraph of the story is here."


def test_a_late_updated_line_does_not_remove_the_story_above_it():
    paragraphs = [f"Paragraph {n} of the story has some words in it." for n in range(10)]
    text = "\n".join([*paragraphs, "Updated 3 March 2026"])
    assert clean_text(text).split("\n\n") == paragraphs


@pytest.mark.skipif(not SEED.exists(), reason="needs ../shared/seeds")
def test_seed_page_loses_all_its_boilerplate():
    lines = SEED.read_text(encoding="utf-8").splitlines()
    cleaned = clean_text("\n".join(lines[3:]))  # after the title
    for gone in ("Skip to", "AP Photo", "FILE-", "Published", "Daily Brief", "Privacy", "awkward"):
        assert gone not in cleaned
    assert cleaned.startswith("As Russia ramps up its military involvement")
    assert cleaned.endswith("ahead of a climb-down.")


# Lines as extractors leave them on news pages, and look-alike sentences from stories.
MORE_BOILERPLATE = {
    "related": [
        "Related video: Crowds gather for the harbour festival",
        "More from The Coastal Times",
        "Read more",
        "Most popular",
        "Related post:",
        "Posted in: Harbour news",
        "Tagged with:",
        "Tags: harbour, ferries, council",
        "View all posts by Becky",
        "Labels: harbour, ferries, Northport council",
        "Tags: Northport Harbour, Coastal Ferries, Northport Town Council, Port Authority,"
        " Harbour Festival, Winter Timetable, Dredging, Fishing Fleet, Lighthouse Trust",
        "Ann Lee Tags: Harbour board, dredging, Northport",
    ],
    "dateline": ["Published: March 2nd, 2026 | Tags: harbour, ferries"],
    "comments": [
        "Join our commenting forum",
        "• 9 Comments",
        "12 Responses to “Harbour board votes to dredge”",
        "This entry was posted on Monday, March 2nd at 9:14 am and is filed under News.",
        "You can leave a response, or trackback from your own site.",
        "No comments yet.",
        "TrackBack URL for this entry:",
        "on Monday, March 2nd, 2026 at 9:14 am and is filed under Harbour, Ferries.",
        "RSS feed for comments on this post. TrackBack URI",
    ],
    "credit": ["(Jane Doe/Northport Harbour Board) Instagram: @janedoephoto"],
    "navigation": ["‹ Back to Story", "Back to top"],
    "separator": ["___", "* * *"],
    "legal": [
        "Read our cookie policy",
        "Privacy policy",
        "We use cookies to count visits and to show you relevant offers from our partners; "
        "see our cookie policy and privacy notice for the details.",
    ],
    "signup": [
        "📩 Get our weekly briefing in your inbox",
        "To receive these posts by e-mail, sign up for the Harbour Notes newsletter.",
        "Harbour Notes Newsletter",
        "Stay up to date with the Coastal Daily newsletter",
    ],
    "share": ["Follow us Facebook", "Follow @harbourdesk and @coastaltimes on Twitter."],
    "caption": [
        "Fishing boats wait on the quay for the tide to turn at dawn in Northport, March 3,"
        " 2026. (Jane Doe/AFP/Getty Images)"
    ],
}

MORE_ARTICLE_TEXT = [
    "Users who never agreed to the terms of service are tracked all the same, she said.",
    "🌟 Ann Lee fixed the crash that hit the settings page on older phones.",
    "File-by-file patching keeps the download small.",
    'console.log(req.url); // "http://example.com/index.html"',
    "Population density is 18.2/km2 (47.1/sq mi) in the district.",
    "More from the interview, which ran for two hours, will be published on Friday.",
    "Back to the story of the harbour, which began with a wooden pier in 1850.",
    "No comments were made at the meeting, the clerk said.",
    "Inspections | Each boat has its own, and the board keeps them | Since 1990",
    "The case was filed under a law passed in 1990, and is filed under seal.",
    "(Jane Doe, the harbour master, spoke first.)",
    "If you sell prints yourself, you may want to read the terms and conditions the"
    " printer links to at the foot of its order page before you sign anything.",
]


@pytest.mark.parametrize(
    ("kind", "line"), [(kind, line) for kind, lines in MORE_BOILERPLATE.items() for line in lines]
)
def test_more_boilerplate_lines_are_recognised(kind, line):
    assert classify_block(line) == kind


@pytest.mark.parametrize("line", MORE_ARTICLE_TEXT)
def test_more_article_sentences_are_kept(line):
    assert classify_block(line) is None


STORY = [f"Paragraph {n} of the story about the harbour has a few words in it." for n in range(6)]


def test_a_byline_closing_a_short_story_does_not_remove_the_story():
    blocks = [
        "ISLAMABAD, March 4 - The election commission ruled on Monday that the party is not"
        " eligible for extra seats, another blow to its prospects.",
        "The decision is another setback to the party, whose candidates won the most seats.",
        "Reporting by Ann Lee; Editing by Tom Reyes",
    ]
    assert clean_blocks(blocks) == blocks[:2]


def test_author_note_at_the_end_is_dropped_but_not_in_the_story():
    note = "Jane Doe is a senior reporter for The Coastal Times. Follow her on Twitter @janedoe."
    inside = "Jane Doe is a reporter who was at the harbour for The Coastal Times that night."
    assert clean_blocks([*STORY, note]) == STORY
    assert clean_blocks([inside, *STORY]) == [inside, *STORY]
    illustrator = "Ann Lee is an Illustrator at Coastal Designs. She draws the harbour's boats."
    assert clean_blocks([*STORY, illustrator]) == STORY


def test_teasers_after_a_late_related_heading_are_dropped():
    teasers = [
        "More from The Coastal Times",
        "Ferry timetable changes for the winter",
        "The council says the changes will save money without cutting services.",
    ]
    assert clean_blocks([*STORY, *teasers]) == STORY


def test_long_paragraph_after_a_related_heading_ends_the_teasers():
    long_paragraph = " ".join(STORY)  # over forty words: the story again, not a teaser
    story = [f"{block} Part {part}." for part in range(3) for block in STORY]
    blocks = [*story, "Related stories", "A short teaser headline", long_paragraph]
    assert clean_blocks(blocks) == [*story, long_paragraph]


def test_readers_comments_below_a_comments_heading_are_dropped():
    comments = ["3 Comments", "Great piece, thanks for writing it up so clearly.", "Agreed!"]
    assert clean_blocks([*STORY, *comments]) == STORY
    # Above the story the heading is a link to the comments: only it goes.
    assert clean_blocks(["3 Comments", *STORY]) == STORY
    # A link to the comments below the story ends nothing.
    assert clean_blocks([*STORY[:3], "Leave a comment", *STORY[3:]]) == STORY


def test_early_related_heading_removes_only_itself():
    blocks = [STORY[0], "Related stories", *STORY[1:]]
    assert clean_blocks(blocks) == STORY
