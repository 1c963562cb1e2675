"""How far a reader scrolls: a 15-story digest's height on a 375 px phone, in Chromium.

Run: python benchmarks/phone_height.py [--images]. Without --images, image requests are
refused (a client blocking images); with it, every image is a 1200x675 placeholder.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright
from render_20 import make_digest

from digest.render import render_email

PLACEHOLDER = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="675">'
    '<rect width="1200" height="675" fill="#888"/></svg>'
)


def main() -> None:
    images = "--images" in sys.argv
    path = Path(tempfile.mkdtemp()) / "digest.html"
    path.write_text(render_email(make_digest(15)).html, encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 375, "height": 800})

        def answer(route) -> None:  # nothing leaves the machine
            if route.request.url.startswith("file:"):
                route.continue_()
            elif images:
                route.fulfill(body=PLACEHOLDER, content_type="image/svg+xml")
            else:
                route.abort()

        page.route("**/*", answer)
        page.goto(path.as_uri())
        height = page.evaluate("document.documentElement.scrollHeight")
        print(f"15 stories at 375 px, images {'shown' if images else 'blocked'}: {height:,} px")
        browser.close()


if __name__ == "__main__":
    main()
