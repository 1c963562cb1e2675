"""The rendered email: golden files for the whole output, and its promises one by one."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from digest.config import Config, Source
from digest.models import Brief, Digest
from digest.pipeline import build
from digest.render import render_email
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
    build(config, today=ISSUE_DATE, out_dir=tmp_path)
    for name in ("digest.html", "digest.txt", "digest.json"):
        check_golden(name, (tmp_path / name).read_text(encoding="utf-8"), update_golden)


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
        assert f'<a href="https://example.org/story/{n}">Headline number {n}</a>' in email.html
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
    assert 'href="https://example.org/a b"' in html and "\\n" not in html


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
