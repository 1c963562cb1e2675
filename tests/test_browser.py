"""The email and the preview in a real headless Chromium: what a reader sees on screen."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from digest.models import Brief, Digest
from digest.render import render_email

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).parents[1]

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("Chromium is not installed (.ci/run installs it)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        # Playwright gives each launch a fresh temporary profile (--user-data-dir).
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        browser.close()


def open_page(browser, width: int, scheme: str = "light"):
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    # Nothing leaves the machine: lead images on https hosts are refused at once.
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("file:", "http://127.0.0.1", "data:", "about:"))
            else route.abort()
        ),
    )
    return page


# Landscape, portrait and one narrower than its slot: each must keep its place as it loads.
IMAGE_SIZES = {1: (1200, 675), 3: (600, 800), 5: (120, 90)}
LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherung"


def sample_digest() -> Digest:
    sections = ["World", "Local", None]
    briefs = tuple(
        Brief(
            title=f"Story {n}",
            headline=f"Headline {n}: the council votes on a {LONG_WORD if n == 3 else 'new'} plan",
            sentences=(f"The first sentence of story {n} says what happened.", "Then more."),
            url=f"https://example.org/{n}",
            source=f"Outlet {n}",
            published=datetime(2026, 3, 1, tzinfo=UTC),
            image=f"https://images.example.org/{n}.jpg" if n % 2 else None,
            image_size=IMAGE_SIZES[n] if n % 2 else None,
            section=sections[n % 3],
            words=300 * n,
        )
        for n in range(1, 7)
    )
    return Digest(
        title="The Browser Weekly",
        date=date(2026, 3, 3),
        briefs=briefs,
        intro="Six stories this week.",
        sections=("Local", "World"),
        web_url="https://example.org/web/2026-03-03.html",
        unsubscribe_url="https://example.org/unsubscribe",
        sender="The Browser Weekly",
        postal_address="1 Test Street\nTest Town",
    )


@pytest.fixture(scope="module")
def email_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("email") / "digest.html"
    path.write_text(render_email(sample_digest()).html, encoding="utf-8")
    return path


HEADLINES = [brief.headline for brief in sample_digest().briefs]


def luminance(css_color: str) -> float:
    """Relative brightness (0 black .. 1 white) of an rgb()/rgba() value."""
    r, g, b = (int(float(v)) for v in css_color[css_color.index("(") + 1 : -1].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.parametrize("width", [375, 1200])
def test_every_headline_is_visible_and_nothing_scrolls_sideways(browser, email_file, width):
    page = open_page(browser, width)
    page.goto(email_file.as_uri())
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page is {scroll_width}px wide at {width}px"
    for headline in HEADLINES:
        heading = page.locator("h3", has_text=headline)
        assert heading.is_visible(), headline
        box = heading.bounding_box()
        assert box and box["width"] > 100 and box["x"] >= 0 and box["x"] + box["width"] <= width
    page.close()


def test_desktop_layout_is_one_centred_column_of_600px(browser, email_file):
    page = open_page(browser, 1200)
    page.goto(email_file.as_uri())
    box = page.locator("h1").bounding_box()
    assert box and 300 < box["x"] < 360  # (1200 - 600) / 2 plus the 32 px padding
    page.close()


def test_a_phone_gets_18px_side_padding_and_a_wider_column(browser, email_file):
    page = open_page(browser, 375)
    page.goto(email_file.as_uri())
    for locator in (page.locator("h1"), page.locator("h3").first, page.locator(".contents ol")):
        box = locator.bounding_box()
        assert box and 16 <= box["x"] <= 20 and box["width"] >= 375 - 2 * 20
    page.close()


def test_sections_appear_in_configured_order_with_unnamed_last(browser, email_file):
    page = open_page(browser, 1200)
    page.goto(email_file.as_uri())
    assert page.locator(".section h2").all_inner_texts() == ["LOCAL", "WORLD", "MORE STORIES"]
    page.close()


def card_colours(page) -> tuple[str, str]:
    return page.evaluate(
        """() => {
            const heading = document.querySelector('h3 a[href]');
            let box = heading;
            while (getComputedStyle(box).backgroundColor === 'rgba(0, 0, 0, 0)') {
                box = box.parentElement;
            }
            return [getComputedStyle(box).backgroundColor, getComputedStyle(heading).color];
        }"""
    )


@pytest.mark.parametrize("width", [375, 1200])
def test_dark_mode_turns_cards_dark_and_text_light(browser, email_file, width):
    light, dark = open_page(browser, width, "light"), open_page(browser, width, "dark")
    for page in (light, dark):
        page.goto(email_file.as_uri())
    light_background, light_text = card_colours(light)
    dark_background, dark_text = card_colours(dark)
    assert luminance(light_background) > 0.9 and luminance(light_text) < 0.3
    assert luminance(dark_background) < 0.2 and luminance(dark_text) > 0.8
    assert dark.evaluate("getComputedStyle(document.body).backgroundColor") != (
        light.evaluate("getComputedStyle(document.body).backgroundColor")
    )
    light.close()
    dark.close()


def test_styling_survives_a_client_that_strips_style_blocks(browser, email_file):
    page = open_page(browser, 1200)
    page.goto(email_file.as_uri())
    page.evaluate("document.querySelectorAll('style').forEach(s => s.remove())")
    top, heading = page.locator("h3 a[href]").nth(0), page.locator("h3 a[href]").nth(1)
    assert heading.evaluate("a => getComputedStyle(a).textDecorationLine") == "none"
    assert top.evaluate("a => getComputedStyle(a).fontSize") == "26px"  # the top story
    assert heading.evaluate("a => getComputedStyle(a).fontSize") == "21px"
    summary = page.get_by_text("The first sentence of story 1").first
    assert summary.evaluate("e => getComputedStyle(e).fontSize") == "16px"
    assert page.locator("h1").evaluate("e => getComputedStyle(e).fontSize") == "30px"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1200
    page.close()


@pytest.mark.parametrize("width", [375, 1200])
def test_a_blocked_image_stays_within_the_column_and_is_no_link(browser, email_file, width):
    page = open_page(browser, width)
    page.goto(email_file.as_uri())
    images = page.locator("img")
    assert images.count() >= 1
    for n in range(images.count()):
        image = images.nth(n)
        assert image.get_attribute("alt") == ""  # decorative: the headline names the story
        assert image.evaluate("e => e.closest('a')") is None
        box = image.bounding_box()
        assert box is None or (box["x"] >= 0 and box["x"] + box["width"] <= width)
    page.close()


def placeholder(size: tuple[int, int]) -> str:
    """An image of ``size`` pixels: what the page or feed said the image is."""
    width, height = size
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
        f'<rect width="{width}" height="{height}" fill="#888"/></svg>'
    )


def layout(page) -> list[float]:
    """The document's height and where each headline starts."""
    return page.evaluate(
        "[document.documentElement.scrollHeight,"
        " ...[...document.querySelectorAll('h2[id], h3[id]')].map(h => h.offsetTop)]"
    )


@pytest.mark.parametrize("width", [375, 600])
def test_nothing_moves_when_the_images_load(browser, email_file, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    held = []  # the image requests, answered only once the page is laid out without them
    page.route(
        "https://images.example.org/**",
        lambda route: held.append(route),
    )
    page.goto(email_file.as_uri(), wait_until="domcontentloaded")
    deadline = time.monotonic() + 10
    while len(held) < len(IMAGE_SIZES) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert len(held) == len(IMAGE_SIZES)
    assert page.evaluate("[...document.images].every(i => !i.complete)")
    before = layout(page)
    for route in held:
        n = int(route.request.url.rsplit("/", 1)[1].split(".")[0])
        route.fulfill(body=placeholder(IMAGE_SIZES[n]), content_type="image/svg+xml")
    page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert layout(page) == before
    # Shown in their own shape, never stretched, never wider than they are.
    for image in page.evaluate(
        "[...document.images].map(i => [i.naturalWidth, i.naturalHeight,"
        " i.getBoundingClientRect().width, i.getBoundingClientRect().height])"
    ):
        natural_width, natural_height, shown_width, shown_height = image
        assert shown_width <= natural_width
        assert abs(shown_width / shown_height - natural_width / natural_height) < 0.02
    page.close()


def test_in_this_issue_links_lead_to_their_stories(browser, email_file):
    page = open_page(browser, 375)
    page.goto(email_file.as_uri())
    links = page.locator(".contents a")
    assert links.count() == len(HEADLINES)
    shown = []
    for i in range(links.count()):
        link = links.nth(i)
        target = link.get_attribute("href")
        assert target and target.startswith("#story-")
        link.click()
        page.wait_for_function(f"location.hash === '{target}'")
        heading = page.locator(target)
        assert heading.evaluate("e => e.tagName") == "H3"
        assert heading.inner_text() == link.inner_text()  # the story the list names
        box = heading.bounding_box()
        assert box and -2 <= box["y"] < 900  # scrolled into view
        shown.append(heading.inner_text())
        page.evaluate("window.scrollTo(0, 0)")
    assert sorted(shown) == sorted(HEADLINES)
    page.close()


# --- the preview server, as a user runs it ------------------------------------------------


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A running `digest preview` on a port of its own; yields its address and its folder."""
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "first.md").write_text(
        "---\ntitle: The first story of the preview\nurl: https://example.org/first\n---\n\n"
        "The first story has a sentence that says what happened in the town today. "
        "It has a second sentence with more detail about it.\n"
    )
    (tmp_path / "templates").mkdir()
    write_footer(tmp_path, "Footer version one")
    (tmp_path / "digest.toml").write_text(
        '[digest]\ntitle = "Preview Weekly"\ntemplates_dir = "templates"\n\n'
        '[[sources]]\npath = "content"\n'
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "digest", "preview", "--port", "0", "--config", "digest.toml"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, "the preview did not start within 60 s"
        line = process.stdout.readline()
        assert line.startswith("Previewing at http://127.0.0.1:"), line + process.stderr.read()
        yield line.split()[2], tmp_path
    finally:
        process.terminate()
        process.wait(timeout=10)


def write_footer(folder: Path, footer: str) -> None:
    template = folder / "templates" / "digest.mjml.j2"
    before = template.stat().st_mtime_ns if template.exists() else 0
    template.write_text(
        '{% extends "builtin/digest.mjml.j2" %}{% block footer %}<mj-section><mj-column>'
        f'<mj-text css-class="footer">{footer}</mj-text></mj-column></mj-section>'
        "{% endblock %}"
    )
    if template.stat().st_mtime_ns == before:  # coarse clocks: make the change visible
        os.utime(template, ns=(before + 1_000_000, before + 1_000_000))


def frame_text(page, frame_id: str) -> str:
    return page.frame_locator(f"#{frame_id}").locator("body").inner_text()


def wait_for_text(page, frame_id: str, text: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if text in frame_text(page, frame_id):
                return
        except sync_api.Error:
            pass  # the frame is reloading
        time.sleep(0.1)
    raise AssertionError(f"{text!r} did not appear in #{frame_id} within {seconds}s")


def test_preview_shows_mobile_desktop_and_text_side_by_side(browser, preview):
    address, _ = preview
    page = open_page(browser, 1440)  # a laptop: all three fit, none off screen
    page.goto(address)
    wait_for_text(page, "mobile", "The first story of the preview")
    wait_for_text(page, "desktop", "Footer version one")
    boxes = {
        name: page.locator(f"#{name}").bounding_box() for name in ("mobile", "desktop", "text")
    }
    assert boxes["mobile"]["width"] == pytest.approx(377, abs=2)
    assert boxes["desktop"]["width"] >= 600  # above the email's mobile breakpoint
    assert all(box["x"] + box["width"] <= 1440 for box in boxes.values())
    mobile = page.frame_locator("#mobile").locator("html")
    assert mobile.evaluate("() => document.documentElement.scrollWidth") <= 375
    page.wait_for_function("document.getElementById('text').textContent.includes('1. The first')")
    assert "https://example.org/first" in page.locator("#text").inner_text()
    # The text part as sent: monospace, its own line breaks only, never re-wrapped.
    text = page.locator("#text")
    assert text.evaluate("e => getComputedStyle(e).whiteSpace") == "pre"
    assert "monospace" in text.evaluate("e => getComputedStyle(e).fontFamily")
    sent = page.evaluate("fetch('/digest.txt').then(r => r.text())")
    assert text.evaluate("e => e.textContent") == sent

    page.get_by_role("button", name="Plain text").click()
    assert page.locator("#text").is_visible() and not page.locator("#mobile").is_visible()
    page.get_by_role("button", name="Mobile 375").click()
    assert page.locator("#mobile").is_visible() and not page.locator("#desktop").is_visible()
    page.get_by_role("button", name="Desktop 1200").click()
    assert page.locator("#desktop").bounding_box()["width"] == pytest.approx(1202, abs=2)
    page.close()


def test_preview_dark_mode_switch_darkens_the_email(browser, preview):
    address, _ = preview
    page = open_page(browser, 1900)  # the browser itself stays in light mode
    page.goto(address)
    wait_for_text(page, "mobile", "The first story of the preview")
    page.get_by_label("Dark mode").check()
    # The frame's own location, not its src attribute: the old document stays loaded
    # (and "complete") until the dark one replaces it.
    page.wait_for_function(
        "document.getElementById('mobile').contentWindow.location.href.includes('scheme=dark')"
        " && document.getElementById('mobile').contentDocument.readyState === 'complete'"
    )
    wait_for_text(page, "mobile", "The first story of the preview")
    frame = page.frame_locator("#mobile")
    background = frame.locator("[id^='story-'] a[href]").evaluate(
        """a => { let box = a;
                  while (getComputedStyle(box).backgroundColor === 'rgba(0, 0, 0, 0)')
                      box = box.parentElement;
                  return getComputedStyle(box).backgroundColor; }"""
    )
    assert luminance(background) < 0.2
    page.close()


def test_preview_reloads_the_open_page_when_a_template_or_article_changes(browser, preview):
    address, folder = preview
    page = open_page(browser, 1900)
    page.goto(address)
    wait_for_text(page, "desktop", "Footer version one")
    first_version = int(page.evaluate("document.body.dataset.version"))

    write_footer(folder, "Footer version two")
    wait_for_text(page, "desktop", "Footer version two")
    wait_for_text(page, "mobile", "Footer version two")
    assert int(page.evaluate("document.body.dataset.version")) > first_version

    (folder / "content" / "second.md").write_text(
        "---\ntitle: A second story arrives while the page is open\n---\n\n"
        "The second story has a sentence that tells the reader something new today.\n"
    )
    wait_for_text(page, "mobile", "A second story arrives while the page is open")
    page.wait_for_function("document.getElementById('text').textContent.includes('2. ')")
    page.close()


def test_preview_keeps_the_last_good_build_and_shows_the_error(browser, preview):
    address, folder = preview
    page = open_page(browser, 1900)
    page.goto(address)
    wait_for_text(page, "desktop", "Footer version one")
    (folder / "templates" / "digest.mjml.j2").write_text("<mjml>{% if %}</mjml>")
    page.locator("#error").wait_for(state="visible", timeout=15_000)
    assert "digest.mjml.j2:1" in page.locator("#error").inner_text()
    assert "Footer version one" in frame_text(page, "desktop")

    write_footer(folder, "Footer version three")
    wait_for_text(page, "desktop", "Footer version three")
    assert not page.locator("#error").is_visible()
    page.close()


# --- the archive in out/web, as a reader browses it -----------------------------------------


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> list[Path]:
    """Three issues, two of them on the same day; yields their pages, oldest first."""
    from digest.config import Config, Source
    from digest.runs import build

    root = tmp_path_factory.mktemp("archive")
    config = Config(
        title="Archive Weekly",
        sources=(Source(root / "content"),),
        out_dir=root / "out",
        state_dir=root / "state",
        web_url="https://news.example.org/{slug}.html",
    )
    (root / "content").mkdir()
    stories = {
        "ferry": "The island ferry adds a late sailing on Fridays from April, after a petition.",
        "market": "The old market hall reopens with thirty food stalls and a community kitchen.",
        "school": "Every primary pupil in Westvale will get free school meals from September.",
    }
    pages = []
    for day, name in ((3, "ferry"), (3, "market"), (4, "school")):
        (root / "content" / f"{name}.md").write_text(
            f"---\ntitle: The {name} story\nurl: https://example.org/{name}\n---\n\n"
            f"{stories[name]} Residents of the town had asked for it for {day + 3} years.\n"
        )
        result = build(config, today=date(2026, 3, day))
        pages.append(result.files[3])
    return pages


def test_two_issues_on_one_day_both_keep_their_web_pages(browser, archive):
    page = open_page(browser, 1200)
    first, second = archive[0], archive[1]
    assert first.name.startswith("2026-03-03-") and second.name.startswith("2026-03-03-")
    page.goto(first.as_uri())
    assert page.locator("[id^='story-']").all_inner_texts() == ["The ferry story"]
    page.goto(second.as_uri())
    assert sorted(page.locator("[id^='story-']").all_inner_texts()) == [
        "The ferry story",
        "The market story",
    ]
    assert page.locator("nav a[rel=prev]").get_attribute("href") == first.name
    assert "You are receiving" not in page.locator("body").inner_text()
    page.close()


def test_the_index_lists_every_issue_newest_first_and_its_links_open_them(browser, archive):
    page = open_page(browser, 375)
    index = archive[0].parent / "index.html"
    page.goto(index.as_uri())
    links = page.locator("article h2 a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == [p.name for p in reversed(archive)]
    assert page.locator("article time").all_inner_texts() == [
        "Wednesday, 4 March 2026",
        "Tuesday, 3 March 2026",
        "Tuesday, 3 March 2026",
    ]
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for i, expected in enumerate(reversed(archive)):
        page.goto(index.as_uri())
        subject = links.nth(i).inner_text()
        links.nth(i).click()
        page.wait_for_load_state()
        assert page.url == expected.as_uri()
        assert page.title() == subject
        page.get_by_role("link", name="All issues").first.click()  # and back to the index
        page.wait_for_load_state()
        assert page.url == index.as_uri()
    page.close()


def test_previous_and_next_links_walk_the_archive(browser, archive):
    page = open_page(browser, 1200)
    page.goto(archive[0].as_uri())
    assert page.locator("a[rel=prev]").count() == 0
    for expected in archive[1:]:
        page.locator("a[rel=next]").click()
        page.wait_for_load_state()
        assert page.url == expected.as_uri()
    assert page.locator("a[rel=next]").count() == 0
    for expected in reversed(archive[:-1]):
        page.locator("a[rel=prev]").click()
        page.wait_for_load_state()
        assert page.url == expected.as_uri()
    page.close()
