"""Local files: each format, and every kind of bad input skipped with a reason."""

import os
from datetime import UTC, datetime

import pytest

from digest.errors import InputError
from digest.ingest import load_directory, load_file
from tests.conftest import SEED


def test_markdown_front_matter_gives_the_metadata(articles_dir):
    article = load_file(articles_dir / "ferry-timetable.md")
    assert article.title == "Island ferry adds a late sailing after commuters petition"
    assert article.url == "https://news.example.net/island-ferry-late-sailing?utm_source=feed"
    assert article.source == "Island Gazette"
    assert article.published == datetime(2026, 3, 2, tzinfo=UTC)
    assert article.image == "https://news.example.net/img/ferry.jpg"
    assert article.image_size == (1200, 800)  # from image_width and image_height
    assert article.text.startswith("The island ferry will add a sailing at 11.40pm")
    assert "\n\n" in article.text  # paragraphs survive


def test_markdown_without_front_matter_takes_its_title_from_the_first_heading(write):
    path = write(
        "note.md",
        "# A *bold* plan for the park\n\nThe park will get [new trees](https://x.test) soon.\n"
        "Planting starts in\n1999. Or so they say.\n\n## Later\n\n- First item of the list here.\n"
        "- Second item of the list here.\n\n```\ncode = 1\n```\n",
    )
    article = load_file(path)
    assert article.title == "A bold plan for the park"
    assert article.text.split("\n\n") == [
        "The park will get new trees soon. Planting starts in 1999. Or so they say.",
        "First item of the list here.",
        "Second item of the list here.",
    ]


def test_markdown_accepts_toml_front_matter(write):
    path = write(
        "t.md", '+++\ntitle = "Hugo style"\npublished = 2026-01-02\n+++\nSome text is here today.\n'
    )
    article = load_file(path)
    assert article.title == "Hugo style"
    assert article.published == datetime(2026, 1, 2, tzinfo=UTC)


def test_html_page_gives_main_text_and_metadata(articles_dir):
    article = load_file(articles_dir / "market-hall.html")
    assert article.title == "Old market hall reopens with 30 food stalls"
    assert article.url == "https://post.example.org/market-hall-reopens"
    assert article.source == "Riverside Post"
    assert article.published is not None and article.published.date().isoformat() == "2026-03-01"
    assert article.text.startswith("The Victorian market hall on Bridge Street reopened")
    for boilerplate in ("Home", "Subscribe", "©", "All rights reserved"):
        assert boilerplate not in article.text


def test_scraped_text_first_real_line_is_the_title_and_boilerplate_is_gone(articles_dir):
    article = load_file(articles_dir / "school-meals.txt")
    assert article.title == "Free school meals extended to all primary pupils in Westvale"
    assert article.text.split("\n\n") == [
        "All primary school pupils in Westvale will receive free school meals from September, "
        "the county council confirmed on Thursday.",
        "The scheme will cost about £6m a year and will reach 14,000 children who do not "
        "currently qualify.",
        "Head teachers said the change would remove the stigma that some families feel when "
        "applying for free meals.",
    ]


def test_hard_wrapped_text_is_joined(write):
    path = write(
        "w.txt", "Title here\nThe first sentence runs on\nto the next line. A second one.\n"
    )
    assert load_file(path).text == "The first sentence runs on to the next line. A second one."


@pytest.mark.skipif(not SEED.exists(), reason="needs ../shared/seeds")
def test_seed_page_title_and_text():
    article = load_file(SEED)
    assert (
        article.title == "The White House confirms: Obama and Putin will meet in New York next week"
    )
    assert article.text.startswith("As Russia ramps up")


BAD_INPUTS = {
    "empty.txt": (b"", "empty"),
    "blank.md": (b"  \n\n \n", "empty"),
    "photo.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary"),
    "latin1.txt": (
        "Caf\u00e9 news\nThe caf\u00e9 opened on Monday in the square.\n".encode("latin-1"),
        "not UTF-8",
    ),
    "boilerplate.txt": (
        "Skip to content\nHome | News | Sport\nSign up for our newsletter\n"
        "© 2026 Example News\n".encode(),
        "boilerplate",
    ),
    "only-header.txt": (b"A title line\nShare this article\nAdvertisement\n", "no article text"),
    "empty-page.html": (b"<html><body><nav>Home | News</nav></body></html>", "no article text"),
    "impossible-date.md": (
        b"---\ntitle: Leap\npublished: 2024-02-30\n---\nBody text is here and fine.\n",
        "front matter",
    ),
    "bad-front-matter.md": (
        b"---\ntitle: [unclosed\n---\nBody text is here and fine.\n",
        "front matter",
    ),
    "slides.pdf": (b"%PDF-1.4 binary", "not a supported file type"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_file_is_refused_with_its_reason(write, name):
    data, reason = BAD_INPUTS[name]
    path = write(name, data)
    with pytest.raises(InputError) as caught:
        load_file(path)
    assert reason in caught.value.reason
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_dangling_symlink_cannot_be_read(tmp_path):
    link = tmp_path / "gone.md"
    link.symlink_to(tmp_path / "missing.md")
    with pytest.raises(InputError, match="cannot be read"):
        load_file(link)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_file_without_read_permission_cannot_be_read(write):
    path = write("secret.md", "# Title\n\nSome text that is here.\n")
    path.chmod(0)
    with pytest.raises(InputError, match="cannot be read"):
        load_file(path)


def test_directory_skips_each_bad_file_and_keeps_the_rest(tmp_path, articles_dir, write):
    for name, (data, _) in BAD_INPUTS.items():
        write(f"inbox/{name}", data)
    for good in articles_dir.iterdir():
        write(f"inbox/{good.name}", good.read_bytes())
    write("inbox/.hidden.md", "# Hidden\n\nNot an article for the digest.\n")
    result = load_directory(tmp_path / "inbox")
    assert sorted(a.origin.rsplit("/", 1)[1] for a in result.articles) == sorted(
        p.name for p in articles_dir.iterdir()
    )
    assert sorted(p.origin.rsplit("/", 1)[1] for p in result.problems) == sorted(BAD_INPUTS)
    assert all(str(p).count("\n") == 0 and "skipped" in str(p) for p in result.problems)


def test_missing_directory_is_a_problem_not_a_crash(tmp_path):
    result = load_directory(tmp_path / "nope")
    assert result.articles == ()
    assert "not found" in result.problems[0].message


def test_front_matter_urls_are_web_urls(write):
    path = write(
        "u.md",
        "---\nurl: www.example.org/budget\nimage: javascript:alert(1)\n---\n"
        "The council met on Monday to agree the budget.\n",
    )
    article = load_file(path)
    assert article.url == "https://www.example.org/budget"
    assert article.image is None
