"""Lint: one test for each kind of failure, on real rendered digests and hand-made parts."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from digest.lint import CLIP_BYTES, lint_directory, lint_email, sent_size
from digest.models import Brief, Digest, Finding, Issue
from digest.render import render_email
from tests.conftest import run_digest as run


def make_digest(count: int = 2, **changes) -> Digest:
    briefs = tuple(
        Brief(
            title=f"Story {n}",
            headline=f"Headline {n}",
            sentences=(f"Sentence one of story {n}.", "Sentence two."),
            url=f"https://example.org/{n}",
            source="Outlet",
            image=f"https://img.example.org/{n}.jpg",
            image_size=(1200, 675),
            words=400,
        )
        for n in range(1, count + 1)
    )
    values = dict(title="Lint Weekly", date=date(2026, 3, 3), briefs=briefs)
    values.update(changes)
    return Digest(**values)


def lint(digest: Digest, **options) -> list[Finding]:
    email = render_email(digest)
    return lint_email(email.html, email.text, digest.to_dict()["items"], **options)


def checks(findings: list[Finding]) -> set[str]:
    return {finding.check for finding in findings}


def test_a_rendered_digest_passes_every_check():
    digest = make_digest(
        web_url="https://example.org/web.html", unsubscribe_url="https://example.org/u"
    )
    assert lint(digest, require_unsubscribe=True, unsubscribe_url=digest.unsubscribe_url) == []


def test_html_over_the_clip_budget_fails_and_says_how_many_items_fit():
    padding = ("A sentence padded to make every card big. " * 40,)
    digest = make_digest(60)
    digest = replace(digest, briefs=tuple(replace(b, sentences=padding) for b in digest.briefs))
    findings = [f for f in lint(digest) if f.check == "size"]
    assert len(findings) == 1
    message = findings[0].message
    assert f"over Gmail's clip budget of {CLIP_BYTES:,}" in message
    fit = int(message.split("about ")[1].split(" of the 60")[0])
    assert 10 < fit < 60
    # The estimate holds: that many items fit, one more per three does not.
    fewer = replace(digest, briefs=digest.briefs[:fit])
    assert "size" not in checks(lint(fewer))
    assert "size" in checks(lint(replace(digest, briefs=digest.briefs[: fit + fit // 3])))


def test_image_without_alt_text_fails():
    html = '<html lang="en"><head><title>T</title></head><body><img src="https://x.org/a.png">'
    assert checks(lint_email(html, "")) == {"image-alt"}


def test_a_decorative_image_has_empty_alt_but_a_linked_one_needs_its_text():
    head = '<html lang="en"><head><title>T</title></head><body>'
    decorative = head + '<img src="https://x.org/a.png" alt="">'
    assert lint_email(decorative, "") == []
    linked = head + '<a href="https://x.org/">x <img src="https://x.org/a.png" alt=" "></a>'
    assert [f.message for f in lint_email(linked, "https://x.org/")] == [
        "linked image https://x.org/a.png has no alt text"
    ]


def test_image_with_relative_or_http_url_fails():
    html = (
        '<html lang="en"><head><title>T</title></head><body>'
        '<img src="/a.png" alt="A"><img src="http://x.org/b.png" alt="B"></body></html>'
    )
    findings = lint_email(html, "")
    assert [f.check for f in findings] == ["image-url", "image-url"]
    assert "'/a.png'" in findings[0].message


def test_relative_link_fails():
    html = '<html lang="en"><head><title>T</title></head><body><a href="/story">Story</a>'
    findings = lint_email(html, "")
    assert checks(findings) == {"link"}
    assert "'/story' (Story)" in next(f.message for f in findings if f.check == "link")


def test_contents_link_to_an_id_without_a_name_target_fails():
    html = render_email(make_digest(3)).html
    assert lint_email(html, render_email(make_digest(3)).text) == []
    findings = lint_email(html.replace('<a name="story-2"></a>', ""), "")
    assert [f.message for f in findings if f.check == "link"] == [
        "link '#story-2' (Headline 2) has no <a name> target"
    ]


def test_missing_unsubscribe_link_fails_when_sending():
    digest = make_digest()
    assert "unsubscribe" not in checks(lint(digest))
    assert "unsubscribe" in checks(lint(digest, require_unsubscribe=True))


def test_configured_unsubscribe_link_dropped_by_a_template_fails():
    digest = make_digest(unsubscribe_url="https://example.org/u")
    email = render_email(digest)
    html = email.html.replace('href="https://example.org/u"', 'href="https://example.org/"')
    text = email.text.replace("https://example.org/u", "https://example.org/")
    findings = lint_email(html, text, unsubscribe_url="https://example.org/u")
    assert checks(findings) == {"unsubscribe"}


def test_item_missing_from_the_text_part_fails():
    digest = make_digest(3)
    email = render_email(digest)
    text = email.text.replace("Headline 2", "").replace("https://example.org/2\n", "")
    findings = lint_email(email.html, text, digest.to_dict()["items"])
    assert checks(findings) == {"parity"}
    messages = " ".join(f.message for f in findings)
    assert "https://example.org/2 is in the HTML part but not in the text part" in messages
    assert "item 2 ('Headline 2') is missing from the text part" in messages


def test_item_missing_from_the_html_part_fails():
    digest = make_digest(2)
    email = render_email(digest)
    text = email.text + "\n3. An extra story\nhttps://example.org/extra\n"
    items = [*digest.to_dict()["items"], {"headline": "An extra story", "url": None}]
    messages = [f.message for f in lint_email(email.html, text, items)]
    assert "link https://example.org/extra is in the text part but not in the HTML part" in messages
    assert "item 3 ('An extra story') has no headline in the HTML part" in messages


def test_missing_lang_and_title_fail():
    html = "<html><head></head><body><p>Hello</p></body></html>"
    assert checks(lint_email(html, "Hello")) == {"lang", "title"}


def test_lint_command_exits_6_and_reports_json(tmp_path: Path):
    digest = make_digest()
    email = render_email(digest)
    (tmp_path / "digest.html").write_text(email.html.replace(' alt=""', "", 1))
    (tmp_path / "digest.txt").write_text(email.text)
    (tmp_path / "digest.json").write_text(json.dumps(digest.to_dict()))
    result = run("lint", str(tmp_path), "--json")
    assert result.returncode == 7, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["findings"] == [
        {
            "check": "image-alt",
            "message": "image https://img.example.org/1.jpg has no alt attribute",
        }
    ]
    result = run("lint", str(tmp_path), "--sending")
    assert result.returncode == 7
    assert f"{tmp_path}: unsubscribe: sending is configured" in result.stdout


@pytest.mark.parametrize("missing", ["digest.html", "digest.txt"])
def test_lint_of_a_folder_without_a_digest_is_a_one_line_error(tmp_path, missing):
    for name in ("digest.html", "digest.txt"):
        if name != missing:
            (tmp_path / name).write_text("x")
    with pytest.raises(Exception, match=f"{missing}: not found; run `digest build` first"):
        lint_directory(tmp_path)
    result = run("lint", str(tmp_path))
    assert result.returncode == 4 and result.stderr.count("\n") == 1


def test_build_output_passes_lint_and_build_warns_on_failures(tmp_path: Path, articles_dir):
    out = tmp_path / "out"
    assert run("build", "--out", str(out)).returncode == 0
    result = run("lint", str(out))
    assert result.returncode == 0 and result.stdout.strip().endswith(f"\n{out}: ok")
    size = sent_size((out / "digest.html").read_text())
    assert f"{out}: HTML part {size:,} bytes as sent (quoted-printable), " in result.stdout

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "card.mjml.j2").write_text(
        '<mj-text><a href="/local">{{ brief.headline }}</a></mj-text>'
    )
    (tmp_path / "digest.toml").write_text(
        f'[digest]\ntemplates_dir = "templates"\n\n[[sources]]\npath = "{articles_dir}"\n'
    )
    result = run("build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "digest: warning: lint: link: link '/local'" in result.stderr


def test_the_clip_budget_counts_the_html_part_as_sending_encodes_it():
    from email import message_from_bytes, policy

    from digest.deliver import Composer, Letter
    from digest.pipeline import issue_id

    email = render_email(make_digest(5))
    html = email.html + "<p>" + "= é " * 500 + "</p>"  # what quoted-printable makes longer
    issue = Issue(
        id=issue_id("T", date(2026, 3, 3), "S", html, email.text),
        title="T",
        date=date(2026, 3, 3),
        subject="S",
        html=html,
        text=email.text,
        stories=5,
    )
    raw = Composer(Letter(issue, "Sender <sender@example.org>")).compose("a@example.org", "<1@x>")
    parts = message_from_bytes(raw, policy=policy.SMTP).walk()
    part = next(p for p in parts if p.get_content_type() == "text/html")
    assert part["Content-Transfer-Encoding"] == "quoted-printable"
    sent = sum(len(line) + 2 for line in str(part.get_payload()).splitlines())  # CRLF
    assert sent_size(html) == sent
    assert sent_size(html) > len(html.encode()) * 1.05
