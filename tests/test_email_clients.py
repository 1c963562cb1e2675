"""Every HTML element, attribute and CSS feature the email uses works in the major mail
clients (Gmail, Outlook, Apple Mail, Yahoo, Samsung Email), or has a fallback.

Support comes from tests/email_clients/support.tsv, derived from the Can I email data by
scripts/caniemail_table.py; a feature that is not in it fails, so new CSS is never
unchecked. The fallbacks (fallbacks.tsv) say what a client without a feature gets.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from digest.models import Brief, Digest
from digest.render import render_email
from tests.email_clients import BASIC, FALLBACKS, SUPPORT, features_of, read_table

SUPPORTED = read_table(SUPPORT)
CLIENTS = SUPPORTED.pop("feature")
BASIC_FEATURES = read_table(BASIC)
FALLBACK = read_table(FALLBACKS)


def unsupported(feature: str) -> list[str]:
    """The major clients that do not support ``feature`` (not partly: not at all)."""
    return [c for c, answer in zip(CLIENTS, SUPPORTED[feature], strict=True) if answer == "n"]


def problems(features: set[str]) -> list[str]:
    """What is wrong with an email that uses ``features``: one line each."""
    found = []
    for feature in sorted(features):
        if feature in BASIC_FEATURES:
            continue
        if feature not in SUPPORTED:
            found.append(f"{feature}: not in {SUPPORT.name} (scripts/caniemail_table.py adds it)")
        elif (clients := unsupported(feature)) and feature not in FALLBACK:
            found.append(f"{feature}: unsupported in {', '.join(clients)}, no fallback")
    return found


def every_kind_of_story() -> Digest:
    """An issue with every part the template can show: sections, images of known and unknown
    size, an update, several outlets, dates, an intro and the whole footer."""
    briefs = tuple(
        Brief(
            title=f"Story {n}",
            headline=f"Headline {n}",
            sentences=(f"Story {n} in one sentence.",),
            url=f"https://example.org/{n}",
            source="Outlet",
            published=datetime(2026, 3, 1, tzinfo=UTC),
            image=f"https://images.example.org/{n}.jpg" if n != 4 else None,
            image_size=(1200, 800) if n % 2 else None,
            section=("World", None)[n % 2],
            words=500,
            update=n == 2,
            links=(("A", "https://a.example/1"), ("B", "https://b.example/1")) if n == 3 else (),
        )
        for n in range(1, 6)
    )
    return Digest(
        title="The Weekly",
        date=date(2026, 3, 3),
        briefs=briefs,
        intro="Five stories.",
        sections=("World",),
        web_url="https://example.org/web/2026-03-03.html",
        unsubscribe_url="mailto:leave@example.org",
        sender="The Weekly",
        postal_address="1 Test Street",
    )


@pytest.mark.parametrize("count", [1, 5])
def test_every_feature_the_email_uses_works_in_major_clients_or_has_a_fallback(count):
    digest = every_kind_of_story()
    digest = Digest(**{**digest.__dict__, "briefs": digest.briefs[:count]})
    html = render_email(digest, reading_time=True).html
    features = features_of(html)
    # The parts of the email are all seen (so a missing feature would be noticed).
    assert {"html-img", "css-at-media-prefers-color-scheme", "html-conditional-comments"} <= (
        features
    )
    assert problems(features) == []


def test_a_feature_missing_from_the_table_or_unsupported_without_fallback_fails():
    html = (
        '<div style="float:left;display:flex"><marquee>Hi</marquee></div>'
        '<p style="box-shadow:0 0 1px red">x</p>'
    )
    found = problems(features_of(html))
    assert "css-float: not in support.tsv (scripts/caniemail_table.py adds it)" in found
    assert "html-marquee: not in support.tsv (scripts/caniemail_table.py adds it)" in found
    assert "css-box-shadow: not in support.tsv (scripts/caniemail_table.py adds it)" in found
    assert not [p for p in found if p.startswith("html-div")]


def test_a_fallback_is_kept_only_for_a_feature_some_major_client_lacks():
    assert FALLBACK, "fallbacks.tsv is empty or unreadable"
    for feature, reason in FALLBACK.items():
        assert feature in SUPPORTED, f"{feature}: a fallback for a feature not in the table"
        assert unsupported(feature), f"{feature}: every major client supports it now"
        assert reason and reason[0].strip(), f"{feature}: a fallback needs its reason"


def test_the_table_names_its_source_licence_and_date():
    header = SUPPORT.read_text(encoding="utf-8").split("\nfeature\t")[0]
    assert "Can I email" in header and "MIT" in header and "data as of 20" in header
    assert CLIENTS == [
        "gmail-web",
        "gmail-apps",
        "outlook-windows",
        "outlook-com",
        "outlook-apps",
        "apple-mail",
        "yahoo",
        "samsung-email",
    ]


def test_features_are_read_from_tags_attributes_inline_styles_and_style_blocks():
    html = (
        "<style>@media (prefers-color-scheme: dark) { .a > b, u + #c a[x] { color: red; } }"
        "</style>"
        '<h2 lang="zh" dir="rtl" style="margin-top:4px !important;width:50%">'
        '<a href="#story-1">x</a></h2>'
    )
    assert features_of(html) >= {
        "css-at-media",
        "css-at-media-prefers-color-scheme",
        "css-selector-class",
        "css-selector-child",
        "css-selector-grouping",
        "css-selector-adjacent-sibling",
        "css-selector-id",
        "css-selector-attribute",
        "css-selector-type",
        "css-selector-descendant",
        "css-color",
        "html-h1-h6",
        "html-lang",
        "html-dir",
        "css-margin",
        "css-important",
        "css-width",
        "css-unit-px",
        "css-unit-percent",
        "html-anchor-links",
    }
