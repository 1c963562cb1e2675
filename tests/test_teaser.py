"""A feed's teaser shown as it is (its page could not be read) ends cleanly, never mid-word."""

import pytest

from digest.config import Source
from digest.ingest.fetch import FetchOptions
from digest.ingest.web import complete_items, end_teaser, read_sources

FAST = FetchOptions(timeout=1.0, max_bytes=1024 * 1024)


@pytest.mark.parametrize(
    ("teaser", "expected"),
    [
        (
            "The council met on Monday. Its members have not always taken t",
            "The council met on Monday.",
        ),
        ("Its members have not always taken t", "Its members have not always taken…"),
        ("The council met on Monday. […]", "The council met on Monday."),
        ("The council met and then, for the…", "The council met and then, for…"),
        ("The council met. Read more", "The council met."),
        ("First one.\n\nThe second is cut in the mid", "First one.\n\nThe second is cut in the…"),
        ("First paragraph.\n\n[...]", "First paragraph."),
        ("A whole sentence stays as it is.", "A whole sentence stays as it is."),
        ('He said "it is done."', 'He said "it is done."'),
    ],
)  # fmt: skip
def test_a_cut_teaser_ends_at_a_sentence_else_a_word_with_an_ellipsis(teaser, expected):
    assert end_teaser(teaser) == expected


RSS = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Harbour News</title><link>{base}</link>
<item><title>Council budget</title><link>{base}gone/budget</link><guid>budget-1</guid>
<description>The council agreed its budget on Monday after a long debate. Supporters
said the plan was fair, though its members have not always taken t</description></item>
</channel></rss>"""


def test_a_teaser_whose_page_is_gone_ends_at_its_last_whole_sentence(web):
    (web.root / "cut.xml").write_text(RSS.format(base=web.url("")))
    result = read_sources([Source(feed=web.url("cut.xml"))], options=FAST)
    articles, problems = complete_items(result.items, FAST)
    assert "HTTP 404" in problems[0].message and "teaser is used" in problems[0].message
    assert articles[0].text == "The council agreed its budget on Monday after a long debate."


def test_a_chinese_teaser_is_a_teaser_and_its_page_is_fetched():
    from digest.ingest.web import _is_teaser

    teaser = "港口城市议会周一决定关闭榆树街大桥，因为检查人员在两根钢梁上发现了裂缝。" * 4
    assert len(teaser) < 200 and _is_teaser(teaser, full=False)
    assert not _is_teaser(teaser * 6, full=False)  # a whole article in the feed
