"""The rendered email: golden files for the whole output, and its promises one by one."""

import itertools
import json
import os
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from digest.config import Config, Source
from digest.errors import DigestError
from digest.models import Brief, Digest
from digest.outputs import load_issue
from digest.render import render_email
from digest.runs import build
from tests.conftest import GOLDEN

ISSUE_DATE = date(2026, 3, 3)


def check_golden(name: str, actual: str, update: bool) -> None:
    path = GOLDEN / name
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs from the golden file; run `make golden` if intended"


def test_sample_digest_matches_the_golden_files(tmp_path, articles_dir, update_golden):
    config = Config(title="The Test Digest", sources=(Source(articles_dir, name="Fixtures"),))
    result = build(config, today=ISSUE_DATE, out_dir=tmp_path)
    page = result.files[3]  # the issue's own page, named by its stories' hash
    assert page.parent.name == "web" and page.name.startswith("2026-03-03-")
    golden = {
        "digest.html": "digest.html",
        "digest.txt": "digest.txt",
        "digest.json": "digest.json",
        f"web/{page.name}": "web/issue.html",
        "web/index.html": "web/index.html",
    }
    for name, golden_name in golden.items():
        # digest.json names the files the issue uses; where the checkout is varies.
        actual = (tmp_path / name).read_text(encoding="utf-8")
        check_golden(golden_name, actual.replace(str(articles_dir), "ARTICLES"), update_golden)


def brief(n: int, **changes) -> Brief:
    values = dict(
        title=f"Title {n}",
        headline=f"Headline number {n}",
        sentences=(f"First sentence of story {n}.", f"Second sentence of story {n}."),
        url=f"https://example.org/story/{n}",
        source=f"Source {n}",
        published=datetime(2026, 3, n, tzinfo=UTC),
    )
    values.update(changes)
    return Brief(**values)


def digest_of(*briefs: Brief) -> Digest:
    return Digest(title="Weekly", date=ISSUE_DATE, briefs=briefs, intro="Hello, readers.")


def test_each_brief_has_a_card_with_linked_headline_sentences_and_source():
    email = render_email(digest_of(brief(1), brief(2)))
    for n in (1, 2):
        assert re.search(
            rf'<a href="https://example.org/story/{n}" style="[^"]+">Headline number {n}</a>',
            email.html,
        )
        assert f"First sentence of story {n}. Second sentence of story {n}." in email.html
        assert f"Source {n}" in email.html
    assert "Weekly" in email.html and "Tuesday, 3 March 2026" in email.html
    assert "Hello, readers." in email.html
    assert email.subject == "Weekly · Tuesday, 3 March 2026"


def test_headline_without_url_is_plain_text():
    email = render_email(digest_of(brief(1, url=None)))
    assert "Headline number 1</" in email.html
    assert "<a href" not in email.html.split("Headline number 1")[0].rsplit("<div", 1)[-1]


def test_preheader_lists_the_first_headlines():
    email = render_email(digest_of(brief(1), brief(2)))
    assert "Headline number 1 · Headline number 2" in email.html


def test_html_is_responsive_and_has_a_title_and_language():
    html = render_email(digest_of(brief(1))).html
    assert '<html lang="en"' in html
    assert "<title>Weekly · Tuesday, 3 March 2026</title>" in html
    assert "@media" in html and "max-width:600px" in html.replace(" ", "")


def test_text_from_articles_is_escaped_in_html():
    nasty = brief(
        1,
        headline='Tom & Jerry <script>alert("x")</script>',
        sentences=("A <b>bold</b> claim & more here.",),
    )
    html = render_email(digest_of(nasty)).html
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert "Tom &amp; Jerry &lt;script&gt;" in html


def test_url_with_line_break_stays_one_line_in_the_attribute():
    html = render_email(digest_of(brief(1, url="https://example.org/a\nb"))).html
    assert 'href="https://example.org/ab"' in html and "\\n" not in html


def test_plain_text_carries_every_item_and_link():
    email = render_email(digest_of(brief(1), brief(2, url=None)))
    assert "1. Headline number 1" in email.text and "2. Headline number 2" in email.text
    assert "https://example.org/story/1" in email.text
    assert "<" not in email.text


def test_user_template_overrides_and_extends_the_builtin(tmp_path: Path):
    (tmp_path / "digest.txt.j2").write_text(
        '{% extends "builtin/digest.txt.j2" %}{% block footer %}Custom footer{% endblock %}'
    )
    (tmp_path / "card.mjml.j2").write_text(
        '<mj-text css-class="mine">{{ brief.headline | upper }}</mj-text>'
    )
    email = render_email(digest_of(brief(1)), templates_dir=tmp_path)
    assert "HEADLINE NUMBER 1" in email.html
    assert email.text.rstrip().endswith("Custom footer")
    assert "1. Headline number 1" in email.text
    assert "Weekly" in email.html  # the rest of the built-in layout is still there


def test_broken_user_template_is_a_clear_error(tmp_path: Path):
    from digest.render import TemplateError

    (tmp_path / "digest.mjml.j2").write_text("<mjml>{% if %}</mjml>")
    with pytest.raises(TemplateError, match=r"digest.mjml.j2:1"):
        render_email(digest_of(brief(1)), templates_dir=tmp_path)


def test_briefs_are_grouped_into_sections_in_configured_order():
    briefs = (
        brief(1, section="Sport"),
        brief(2),
        brief(3, section="World"),
        brief(4, section="Local"),
        brief(5, section="World"),
    )
    digest = replace(digest_of(*briefs), sections=("World", "Local"))
    email = render_email(digest)
    order = [email.html.index(f">Headline number {n}</a>") for n in (3, 5, 4, 1, 2)]
    assert order == sorted(order)
    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", email.html)
    assert headings == ["In this issue", "World", "Local", "Sport", "More stories"]
    text = email.text.split("\n\n\n", 1)[1]  # after the "In this issue" list
    assert text.index("WORLD") < text.index("1. Headline number 3") < text.index("LOCAL")
    assert "\n5. Headline number 2" in text and text.index("MORE STORIES") < text.index(
        "\n5. Headline number 2"
    )


def test_a_digest_without_sections_has_no_section_heading():
    email = render_email(digest_of(brief(1), brief(2)))
    assert 'class="section"' not in email.html and "More stories" not in email.text


class Outline(HTMLParser):
    """The headings of a page, in order: (level, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[int, str]] = []
        self._level = 0

    def handle_starttag(self, tag, attrs):
        if re.fullmatch(r"h[1-6]", tag):
            self._level = int(tag[1])
            self.headings.append((self._level, ""))

    def handle_endtag(self, tag):
        if re.fullmatch(r"h[1-6]", tag):
            self._level = 0

    def handle_data(self, data):
        if self._level:
            level, text = self.headings[-1]
            self.headings[-1] = (level, text + data)


@pytest.mark.parametrize("count", [1, 2, 3, 7, 40])
@pytest.mark.parametrize("sections", [(), ("World",), ("World", "Local", None)])
def test_headings_go_down_one_level_at_a_time_in_every_shape_of_issue(count, sections):
    named = tuple(s for s in sections if s)
    briefs = [
        brief(n % 28 + 1, headline=f"Story {n}", section=sections[n % len(sections)])
        for n in range(count)
    ] if sections else [brief(n % 28 + 1, headline=f"Story {n}") for n in range(count)]  # fmt: skip
    email = render_email(replace(digest_of(*briefs), sections=named))
    for html in (email.html, email.web_html):
        outline = Outline()
        outline.feed(html)
        levels = [level for level, _ in outline.headings]
        assert levels[0] == 1 and levels.count(1) == 1
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
        stories = {level for level, text in outline.headings if text.startswith("Story ")}
        # Under a section's h2 when any story has a section, else straight under the h1.
        assert stories == ({3} if any(b.section for b in briefs) else {2})
        assert len([text for _, text in outline.headings if text.startswith("Story ")]) == count


def test_card_shows_every_source_and_the_reading_time_when_configured():
    digest = digest_of(brief(1, words=1000, sources=("Outlet A", "Outlet B")))
    email = render_email(digest, reading_time=True)
    assert "Outlet A, Outlet B · 5 min read · 1 Mar 2026" in email.html
    assert "Outlet A, Outlet B · 5 min read · 1 Mar 2026" in email.text


def test_reading_time_is_left_out_by_default():
    email = render_email(digest_of(brief(1, words=1000), brief(2, words=200)))
    assert "min read" not in email.html and "min read" not in email.text
    assert "Source 1 · 1 Mar 2026" in email.html and "Source 1 · 1 Mar 2026" in email.text


def test_in_this_issue_lists_every_headline_linking_to_its_story():
    briefs = (brief(1, section="World"), brief(2), brief(3, section="World"), brief(4))
    email = render_email(digest_of(*briefs))
    links = re.findall(r'<li[^>]*><a href="#(story-\d+)"[^>]*>([^<]+)</a></li>', email.html)
    # Numbered in the order the stories appear: the section first.
    assert links == [
        ("story-1", "Headline number 1"),
        ("story-2", "Headline number 3"),
        ("story-3", "Headline number 2"),
        ("story-4", "Headline number 4"),
    ]
    for anchor, headline in links:
        assert re.search(
            rf'<h3 [^>]*id="{anchor}"[^>]*>(<a name="{anchor}"></a>)?(<a [^>]+>)?{headline}<',
            email.html,
        )
    contents = email.text.split("In this issue:\n", 1)[1].split("\n\n", 1)[0]
    assert contents.splitlines() == [
        " 1. Headline number 1",
        " 2. Headline number 3",
        " 3. Headline number 2",
        " 4. Headline number 4",
    ]
    assert "\n3. Headline number 2\n" in email.text  # the story carries the same number


def test_every_contents_entry_has_a_name_target_for_gmail_outlook_and_yahoo():
    # Those clients drop or ignore id="..." and only follow "#x" to an <a name="x">.
    briefs = (brief(1, section="World"), brief(2), brief(3, url=None), brief(4, update=True))
    html = render_email(digest_of(*briefs)).html
    targets = re.findall(r'<li[^>]*><a href="#([^"]+)"', html)
    assert len(targets) == 4
    for target in targets:
        assert html.count(f'<a name="{target}"></a>') == 1, target
        assert html.count(f'id="{target}"') == 1, target  # browsers land on the heading


def test_a_short_issue_has_no_contents_list():
    email = render_email(digest_of(brief(1), brief(2)))
    assert "In this issue" not in email.html and "In this issue" not in email.text


def test_the_top_story_has_a_bigger_headline_and_a_full_width_image():
    email = render_email(
        digest_of(
            brief(1, image="https://img.example.org/1.jpg", image_size=(1200, 675)),
            brief(2, image="https://img.example.org/2.jpg", image_size=(1200, 675)),
        )
    )
    sizes = re.findall(r'<h2 id="story-\d+" style="[^"]*font-size:(\d+)px', email.html)
    assert sizes == ["26", "21"]
    images = re.findall(r'<img [^>]*src="([^"]+)"[^>]*width="(\d+)"', email.html)
    assert images == [
        ("https://img.example.org/1.jpg", "536"),
        ("https://img.example.org/2.jpg", "180"),
    ]


def test_each_story_is_one_link_and_its_image_is_decorative():
    # A screen reader meets the headline once: the image beside it is not a second link
    # to the same page, and its alt text is not the page title read out again.
    briefs = [
        brief(
            n,
            image=f"https://img.example.org/{n}.jpg",
            image_size=(800, 600),
            title=f"Headline number {n} | AP News",
        )
        for n in (1, 2, 3)
    ]
    html = render_email(digest_of(*briefs)).html
    for n in (1, 2, 3):
        assert html.count(f'href="https://example.org/story/{n}"') == 1
        assert html.count(f'href="#story-{n}"') == 1
    images = re.findall(r"<img [^>]*>", html)
    assert len(images) == 3 and all('alt=""' in image for image in images)
    assert "AP News" not in html


def test_lead_image_needs_https():
    email = render_email(
        digest_of(
            brief(
                1,
                image="https://img.example.org/a.jpg",
                image_size=(1600, 900),
                title='The "big" <day>',
            ),
            brief(2, image="http://img.example.org/b.jpg", image_size=(1600, 900)),
            brief(3, image="/relative.jpg", image_size=(1600, 900)),
        )
    )
    images = re.findall(r"<img [^>]*>", email.html)
    assert len(images) == 1  # the top story's; the others have none to show anyway
    assert 'src="https://img.example.org/a.jpg"' in images[0]
    assert 'width="536"' in images[0]


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))


def shown_images(html: str) -> dict[str, tuple[int, int, str]]:
    """Each <img>'s src -> its width and height attributes and its style."""
    parser = _Images()
    parser.feed(html)
    return {
        str(i["src"]): (int(str(i["width"])), int(str(i["height"])), str(i["style"]))
        for i in parser.images
    }


SIZES = {1: (1200, 675), 2: (640, 960), 3: (150, 100), 4: (4000, 3000), 5: (300, 250)}


def test_every_image_has_its_width_and_height_in_its_own_shape():
    briefs = [
        brief(n, image=f"https://img.example.org/{n}.jpg", image_size=SIZES[n]) for n in SIZES
    ]
    email = render_email(digest_of(*briefs))
    for html in (email.html, email.web_html or ""):
        images = shown_images(html)
        assert len(images) == len(SIZES)
        for n, (intrinsic_width, intrinsic_height) in SIZES.items():
            width, height, style = images[f"https://img.example.org/{n}.jpg"]
            column = 536 if n == 1 else 180
            # Scaled to its slot, never past its own width: a small image is not blown up.
            assert width == min(column, intrinsic_width)
            assert abs(width / height - intrinsic_width / intrinsic_height) < 0.01 * width / height
            assert abs(height - width * intrinsic_height / intrinsic_width) <= 0.5
            # Narrower on a phone, in the same shape: the height follows the width.
            assert f"max-width:{width}px" in style
            assert "width:100%" in style and "height:auto" in style


def test_an_image_of_unknown_size_is_shown_at_its_slots_width():
    email = render_email(
        digest_of(
            brief(1, image="https://img.example.org/1.jpg"),
            brief(2, image="https://img.example.org/2.jpg", image_size=(800, 450)),
        )
    )
    parser = _Images()
    parser.feed(email.html)
    unknown, known = parser.images
    # A reader misses a picture more than a jump: it is shown, its height left to the client.
    assert unknown["src"] == "https://img.example.org/1.jpg" and "height" not in unknown
    assert unknown["width"] == "536" and "max-width:536px" in str(unknown["style"])
    assert (known["width"], known["height"]) == ("180", "101")


def test_digest_json_gives_each_image_its_size(tmp_path, articles_dir):
    config = Config(title="Sizes", sources=(Source(articles_dir, name="Fixtures"),))
    build(config, today=ISSUE_DATE, out_dir=tmp_path)
    items = json.loads((tmp_path / "digest.json").read_text(encoding="utf-8"))["items"]
    ferry = next(item for item in items if item["image"])
    assert ferry["image_size"] == {"width": 1200, "height": 800}
    assert all(item["image_size"] is None for item in items if not item["image"])


def test_a_digest_json_from_before_image_sizes_still_loads(tmp_path, articles_dir):
    config = Config(title="Sizes", sources=(Source(articles_dir, name="Fixtures"),))
    build(config, today=ISSUE_DATE, out_dir=tmp_path)
    path = tmp_path / "digest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for item in data["items"]:
        del item["image_size"]
    path.write_text(json.dumps(data), encoding="utf-8")
    issue = load_issue(tmp_path)
    assert issue.stories == len(data["items"])


def test_links_that_are_not_http_never_become_links():
    email = render_email(digest_of(brief(1, url="javascript:alert(1)"), brief(2, url="/rel")))
    assert "javascript:" not in email.html and 'href="/rel"' not in email.html
    assert "javascript:" not in email.text


def test_view_in_browser_link_at_the_top_and_footer_with_unsubscribe_and_address():
    digest = replace(
        digest_of(brief(1)),
        web_url="https://news.example.org/2026-03-03.html",
        unsubscribe_url="https://news.example.org/unsubscribe?list=1&x=2",
        sender="Weekly Ltd",
        postal_address="1 Quay Street\n  Harbor City",
    )
    email = render_email(digest)
    top = email.html.index("View in browser")
    assert top < email.html.index(">Headline number 1</a>")
    assert 'href="https://news.example.org/unsubscribe?list=1&amp;x=2"' in email.html
    assert "Weekly Ltd" in email.html and "1 Quay Street, Harbor City" in email.html
    assert email.text.startswith("View in browser: https://news.example.org/2026-03-03.html")
    assert "Unsubscribe: https://news.example.org/unsubscribe?list=1&x=2" in email.text
    assert "1 Quay Street, Harbor City" in email.text
    assert email.web_html is not None and "View in browser" not in email.web_html
    # The web page is not a letter to a subscriber: its own footer leads to the archive.
    assert "You are receiving" not in email.web_html and "Unsubscribe" not in email.web_html
    assert 'href="index.html"' in email.web_html and 'class="archive-nav"' in email.web_html


def test_without_web_url_there_is_no_view_in_browser_link():
    email = render_email(digest_of(brief(1)))
    assert "View in browser" not in email.html and "View in browser" not in email.text


def test_essential_styles_are_on_the_elements_not_only_in_style_blocks():
    html = render_email(digest_of(brief(1))).html
    body = re.sub(r"<style.*?</style>", "", html, flags=re.S)
    for tag in re.findall(r"<a href[^>]*>", body):
        assert "color:" in tag, tag
    assert re.search(r'<h2 [^>]*style="[^"]*font-size:26px', body)  # the top story
    assert re.search(r'<div style="[^"]*font-size:16px[^"]*color:#1b1f24', body)


def test_forty_stories_with_images_fit_under_gmail_clip_as_sent():
    from digest.lint import CLIP_BYTES, sent_size

    long = ("A sentence of about twenty words that stands in for a real brief in the email. ",) * 3
    briefs = [
        brief(n % 28 + 1, headline=f"A long headline for story {n} " * 3, sentences=long,
              image=f"https://img.example.org/{n}.jpg", words=900, section=f"S{n % 3}")
        for n in range(40)
    ]  # fmt: skip
    html = render_email(digest_of(*briefs)).html
    assert sent_size(html) < CLIP_BYTES


def test_build_fills_reading_time_section_order_language_and_web_version(tmp_path, articles_dir):
    config = Config(
        title="Wochenblatt",
        language="german",
        web_url="https://example.org/{date}.html",
        sections=("Lokal",),
        sources=(Source(articles_dir),),
    )
    result = build(config, today=ISSUE_DATE, out_dir=tmp_path)
    assert all(b.words and b.words > 20 for b in result.issue.digest.briefs)
    assert result.issue.digest.sections == ("Lokal",)
    assert result.issue.digest.web_url == "https://example.org/2026-03-03.html"
    assert '<html lang="de"' in result.issue.html
    page = result.files[3]
    web = page.read_text()
    assert "View in browser" not in web and "<title>Wochenblatt" in web
    # {date} keeps working: the day's address sends the browser on to the issue's page.
    day = (tmp_path / "web" / "2026-03-03.html").read_text()
    assert f'url={page.name}"' in day
    assert result.findings == ()


def test_slug_placeholder_gives_each_issue_its_own_address(tmp_path, articles_dir):
    config = Config(web_url="https://example.org/news/{slug}.html", sources=(Source(articles_dir),))
    result = build(config, today=ISSUE_DATE, out_dir=tmp_path)
    page = result.files[3]
    assert result.issue.digest.web_url == f"https://example.org/news/{page.name}"
    assert f"View in browser: https://example.org/news/{page.name}" in result.issue.text
    assert page.name.startswith("2026-03-03-") and page.exists()


def test_a_template_added_or_edited_between_renders_is_used(tmp_path: Path):
    assert "Weekly" in render_email(digest_of(brief(1)), templates_dir=tmp_path).text
    override = tmp_path / "digest.txt.j2"
    override.write_text("first {{ digest.title }}")
    assert render_email(digest_of(brief(1)), templates_dir=tmp_path).text == "first Weekly\n"
    override.write_text("second {{ digest.title }}")
    stat = override.stat()
    os.utime(override, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert render_email(digest_of(brief(1)), templates_dir=tmp_path).text == "second Weekly\n"


def test_the_configured_subject_is_the_html_title_too(tmp_path, articles_dir):
    from digest.config import SendConfig

    config = Config(
        title="Weekly",
        sources=(Source(articles_dir),),
        send=SendConfig(subject="{title} no. {iso_date} ({count} stories)"),
    )
    result = build(config, today=ISSUE_DATE, out_dir=tmp_path)
    assert result.issue.subject == "Weekly no. 2026-03-03 (3 stories)"
    assert "<title>Weekly no. 2026-03-03 (3 stories)</title>" in result.issue.html


def test_a_failed_write_leaves_the_last_digest_whole(tmp_path, articles_dir):
    config = Config(title="The Test Digest", sources=(Source(articles_dir),))
    build(config, today=ISSUE_DATE, out_dir=tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.glob("digest.*")}
    (tmp_path / "web" / "2026-03-04.html").mkdir()  # next issue's web version cannot land
    with pytest.raises(DigestError, match="cannot write the digest"):
        build(config, today=date(2026, 3, 4), out_dir=tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.glob("digest.*")} == before
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_reading_time_setting_shows_minutes_in_a_built_issue(tmp_path, articles_dir):
    from digest.config import parse_config
    from digest.errors import ConfigError

    assert parse_config({"digest": {"reading_time": True}}, base=tmp_path).reading_time
    assert not parse_config({}, base=tmp_path).reading_time
    with pytest.raises(ConfigError, match=r"digest\.reading_time must be true or false"):
        parse_config({"digest": {"reading_time": "yes"}}, base=tmp_path)
    config = Config(reading_time=True, sources=(Source(articles_dir),))
    result = build(config, today=ISSUE_DATE, out_dir=tmp_path)
    assert "1 min read" in result.issue.text and "1 min read" in result.issue.html


def test_preheader_is_padded_and_hidden_in_every_client():
    html = render_email(digest_of(brief(1), brief(2))).html
    body = html.split("<body", 1)[1]
    preheader = "Headline number 1 · Headline number 2"
    filler = "((?:&#847;&zwnj;&nbsp;)+)"
    hidden = re.search(rf'<div style="([^"]+)">{preheader}{filler}</div>', body)
    assert hidden and body.index(hidden.group(0)) < body.index(">Weekly</h1>")  # first text
    for declaration in ("display:none", "max-height:0", "overflow:hidden", "mso-hide:all"):
        assert declaration in hidden.group(1)
    shown = len(preheader) + hidden.group(2).count("&nbsp;")
    assert shown == 200
    assert "mso-hide" not in render_email(digest_of(brief(1))).web_html  # no inbox there


def test_head_has_the_habits_of_careful_email_templates():
    html = render_email(digest_of(brief(1), brief(2))).html
    head = html.split("</head>", 1)[0]
    assert '<meta name="x-apple-disable-message-reformatting"' in head
    assert "telephone=no" in head and "date=no" in head and "address=no" in head
    assert '<meta name="color-scheme" content="light dark"' in head
    assert '<meta name="supported-color-schemes" content="light dark"' in head
    assert re.search(r"color-scheme:\s*light dark", head)
    styles = re.findall(r"<style[^>]*>(.*?)</style>", head, re.S)
    # Gmail drops a whole <style> over an attribute selector: it stays on its own.
    detectors = [s for s in styles if "[x-apple-data-detectors]" in s]
    assert len(detectors) == 1 and detectors[0].count("{") == 1
    assert any("u + #body a" in s and "#MessageViewBody a" in s for s in styles)
    assert '<body id="body"' in html
    assert re.search(r"<!--\[if mso\]><style>[^<]*li\{margin-left", head)
    phone = re.search(r"@media \(max-width: 479px\) \{(.*?)\n      \}", head, re.S).group(1)
    assert re.search(r"\.p \{ padding-left: 1[6-9]px !important; padding-right: 1[6-9]px", phone)
