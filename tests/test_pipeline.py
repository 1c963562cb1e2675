"""The pure core: make_issue over plain articles, with no store, files or network."""

import random
from datetime import UTC, date, datetime, timedelta

from digest.config import Config
from digest.lint import CLIP_BYTES, sent_size
from digest.models import Article
from digest.pipeline import make_issue

TODAY = date(2026, 3, 3)


def invented(n: int) -> Article:
    """An article about an event of its own: invented names, so no two are one story."""
    rng = random.Random(n)
    names = ["".join(rng.choices("aeioubdklmnprstv", k=7)).capitalize() for _ in range(8)]
    sentences = [
        f"The council of {rng.choice(names)} met {rng.choice(names)} and "
        f"{rng.choice(names)} on Monday to agree on the plan for the {n}th harbour works."
        for _ in range(6)
    ]
    return Article(
        title=f"{names[0]} and {names[1]} agree harbour plan {n}",
        text="\n\n".join(sentences),
        origin=f"https://news{n}.example.org/story",
        url=f"https://news{n}.example.org/story",
        source=f"Outlet {n}",
        published=datetime(2026, 3, 3, tzinfo=UTC) - timedelta(hours=n),
        ids=(f"url:https://news{n}.example.org/story",),
    )


def test_an_issue_too_big_for_gmail_leaves_out_its_lowest_ranked_stories():
    config = Config(max_items=120)
    issue = make_issue(config, [invented(n) for n in range(120)], TODAY)
    assert sent_size(issue.html) <= CLIP_BYTES  # as sent: quoted-printable
    assert issue.dropped and issue.stories + len(issue.dropped) == 120
    assert all("clip budget" in p.message for p in issue.dropped)
    # The newest stories stay; those left out are the oldest, and said so by name.
    kept = {brief.url for brief in issue.digest.briefs}
    assert "https://news0.example.org/story" in kept
    assert {p.origin for p in issue.dropped} == {
        f"https://news{n}.example.org/story" for n in range(issue.stories, 120)
    }
    # Only what went out is marked as used when the issue is sent.
    assert {item.url for item in issue.items} == kept


def test_the_same_articles_make_the_same_issue():
    articles = [invented(n) for n in range(5)]
    first, second = (make_issue(Config(), articles, TODAY) for _ in range(2))
    assert first.id == second.id and first.html == second.html


def test_an_issue_read_back_from_out_remembers_the_same_stories(tmp_path):
    from digest.outputs import load_issue, write_issue

    issue = make_issue(Config(), [invented(n) for n in range(4)], TODAY)
    write_issue(issue, tmp_path)
    loaded = load_issue(tmp_path)
    # `digest send` records these, so a later run can tell an update from a new story.
    assert loaded.sent_stories == issue.sent_stories and len(issue.sent_stories) == 4
    assert (loaded.id, loaded.subject, loaded.items) == (issue.id, issue.subject, issue.items)


def test_an_issue_carries_its_issue_wide_findings_from_the_build():
    from dataclasses import replace

    from digest.pipeline import issue_findings

    articles = [invented(n) for n in range(3)]
    assert make_issue(Config(), articles, TODAY).findings == ()
    # Sending is set up but the footer has no unsubscribe link: the issue may not go out.
    config = Config()
    config = replace(config, send=replace(config.send, sender="News <news@example.org>"))
    issue = make_issue(config, articles, TODAY)
    assert [f.check for f in issue.findings] == ["unsubscribe"]
    # The same as the checks find on the files written for it.
    assert list(issue.findings) == issue_findings(config, issue)
