"""axe-core, in the system Chromium, over the email and every page of the web archive.

axe.min.js comes from the axe-playwright-python package (a test extra), read from where
it is installed: nothing of axe-core is kept in this repository.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from digest.render import render_email
from tests.test_browser import browser, open_page, sample_digest  # noqa: F401 (a fixture)

axe_package = pytest.importorskip("axe_playwright_python")
AXE = Path(axe_package.__file__).with_name("axe.min.js")

# An email body is not a page: the mail client's page holds it, with its own landmarks,
# so these two best-practice rules have nothing to check there (they do on the archive).
NOT_FOR_EMAIL = frozenset({"landmark-one-main", "region"})


def violations(page: Any) -> list[str]:
    """Every axe violation on ``page`` (any impact), one line each."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {node['html'][:120]}"
        for v in result["violations"]
        for node in v["nodes"]
    ]


@pytest.fixture(scope="module")
def email_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("axe") / "digest.html"
    path.write_text(render_email(sample_digest()).html, encoding="utf-8")
    return path


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [375, 600])
def test_the_email_has_no_axe_violations_but_page_landmarks(browser, email_file, width, scheme):  # noqa: F811
    page = open_page(browser, width, scheme)
    page.goto(email_file.as_uri())
    found = violations(page)
    page.close()
    assert [v for v in found if v.split(" ")[0] not in NOT_FOR_EMAIL] == []
    # The two rules do fire on the email (so the test would see any other rule fire too).
    assert {v.split(" ")[0] for v in found} == NOT_FOR_EMAIL


@pytest.fixture(scope="module")
def archive_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The web archive of three issues, two of them on the same day."""
    from digest.config import Config, Source
    from digest.runs import build

    root = tmp_path_factory.mktemp("axe-archive")
    (root / "content").mkdir()
    config = Config(
        title="Archive Weekly",
        sources=(Source(root / "content"),),
        out_dir=root / "out",
        state_dir=root / "state",
        web_url="https://news.example.org/{slug}.html",
    )
    for day, name in ((3, "ferry"), (3, "market"), (4, "school")):
        (root / "content" / f"{name}.md").write_text(
            f"---\ntitle: The {name} story\nurl: https://example.org/{name}\n---\n\n"
            f"The {name} story of the town, told in one sentence. It took {day} years.\n"
        )
        build(config, today=date(2026, 3, day))
    return root / "out" / "web"


def stay_on(address: str) -> Any:
    """A route handler that lets the page at ``address`` load and no other."""

    def handle(route: Any) -> None:
        route.continue_() if route.request.url == address else route.abort("aborted")

    return handle


def test_every_archive_page_has_no_axe_violations_in_light_and_dark(browser, archive_dir):  # noqa: F811
    pages = sorted(archive_dir.glob("*.html"))
    # Issue pages, the day pages that redirect to them, and the index.
    assert len(pages) == 6
    found = []
    for path in pages:
        for width, scheme in ((375, "light"), (600, "dark")):
            page = open_page(browser, width, scheme)
            # A day's page sends the browser on at once (meta refresh): it is checked as
            # it is, so the move to another page is stopped.
            page.route("**/*.html", stay_on(path.as_uri()))
            page.goto(path.as_uri())
            assert page.url == path.as_uri()
            found += [f"{path.name} {width}px {scheme}: {v}" for v in violations(page)]
            page.close()
    assert found == []
