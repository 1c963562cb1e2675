"""Screenshots of a 20-story issue for review, and the numbers issue 19 asks for.

    python benchmarks/screenshots.py [DIRECTORY]    (default: out/screenshots)

Writes the email of benchmarks/render_20.py's 20 stories as seen in the system Chromium
(/usr/bin/chromium, never a downloaded one) at 375 px and 600 px, in dark mode, and with
images blocked; images are stood in for by grey boxes of each image's size, so nothing
leaves the machine. Then prints: the size as sent (quoted-printable, what Gmail's 102 KB
clip counts) of a 40-story issue, whether every <img> has a width and a height, axe-core's
findings on the email (when the test extras are installed), the client-support table's
verdict (tests/email_clients), and the time reading image headers adds for 20 images
over a local HTTP server.
"""

from __future__ import annotations

import re
import statistics
import sys
import threading
import time
import zlib
from collections import Counter
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from render_20 import make_digest

from digest.ingest.image_size import measure_images
from digest.lint import CLIP_BYTES, sent_size
from digest.render import render_email

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
VIEWS = {  # name: (width, colour scheme, images shown)
    "375-light": (375, "light", True),
    "375-dark": (375, "dark", True),
    "600-light": (600, "light", True),
    "600-dark": (600, "dark", True),
    "600-images-blocked": (600, "light", False),
}
RUNS = 5  # image-header timings: the median of these
NOT_FOR_EMAIL = {"landmark-one-main", "region"}  # as in tests/test_axe.py


def placeholder(url: str) -> bytes:
    """A grey SVG box the size the image's address says (…-1200x675.jpg), else 1200 x 675."""
    found = re.search(r"(\d+)x(\d+)\.\w+$", url)
    width, height = (int(found.group(1)), int(found.group(2))) if found else (1200, 675)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
        f'<rect width="100%" height="100%" fill="#9aa5b1"/></svg>'
    ).encode()


def screenshots(html_file: Path, directory: Path) -> dict[str, list[str]]:
    """One full-page screenshot per view; axe's findings per view, when axe is installed."""
    from playwright.sync_api import sync_playwright

    try:
        import axe_playwright_python

        axe: str | None = (Path(axe_playwright_python.__file__).with_name("axe.min.js")).read_text()
    except ImportError:
        axe = None
    found: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for name, (width, scheme, images) in VIEWS.items():
            page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
            page.route("**/*", partial(_route, images))
            page.goto(html_file.as_uri(), wait_until="load")
            page.screenshot(path=str(directory / f"{name}.png"), full_page=True)
            if axe:
                page.evaluate(axe)
                result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
                found[name] = [v["id"] for v in result["violations"]]
            page.close()
        browser.close()
    return found


def _route(images: bool, route: Any) -> None:
    url = route.request.url
    if url.startswith("file:"):
        route.continue_()
    elif images and route.request.resource_type == "image":
        route.fulfill(status=200, content_type="image/svg+xml", body=placeholder(url))
    else:
        route.abort()


def sized_images(html: str) -> tuple[int, int]:
    """How many <img> tags ``html`` has, and how many of them have a width and a height."""
    tags = re.findall(r"<img\b[^>]*>", html)
    return len(tags), sum(" width=" in t and " height=" in t for t in tags)


def client_table(html: str) -> str:
    """The client-support check's verdict (tests/test_email_clients.py) on ``html``."""
    sys.path.insert(0, str(ROOT))
    from tests.test_email_clients import features_of, problems

    features = features_of(html)
    found = problems(features)
    return f"{len(features)} features used, {len(found)} problems" + "".join(
        f"\n  {p}" for p in found
    )


def header_time(count: int = 20) -> tuple[float, float, int]:
    """Wall and CPU seconds to measure ``count`` PNG images over a local HTTP server."""

    def png(width: int, height: int) -> bytes:
        row = zlib.compress((b"\0" + b"\x80" * width) * height)
        ihdr = b"IHDR" + width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\0\0\0\0"
        length, crc = (13).to_bytes(4, "big"), zlib.crc32(ihdr).to_bytes(4, "big")
        idat = b"IDAT" + row
        size, crc2 = len(row).to_bytes(4, "big"), zlib.crc32(idat).to_bytes(4, "big")
        return b"\x89PNG\r\n\x1a\n" + length + ihdr + crc + size + idat + crc2

    body = png(1200, 675)

    class Images(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Images)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    urls = [f"{base}/story-{n}.png" for n in range(count)]
    measure_images(urls[:1])  # warm up: the first use loads httpx's TLS context
    runs = []
    for _ in range(RUNS):
        wall, cpu = time.perf_counter(), time.process_time()
        sizes = measure_images(urls)
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    server.shutdown()
    server.server_close()
    return (
        statistics.median(w for w, _ in runs),
        statistics.median(c for _, c in runs),
        len(sizes),
    )


def main(argv: list[str]) -> int:
    directory = Path(argv[0]) if argv else ROOT / "out" / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    email = render_email(make_digest(20))
    html_file = directory / "digest-20.html"
    html_file.write_text(email.html, encoding="utf-8")
    axe = screenshots(html_file, directory)
    forty = render_email(make_digest(40)).html
    size = sent_size(forty)
    images, sized = sized_images(forty)
    print(f"screenshots:          {', '.join(VIEWS)} in {directory}")
    print(
        f"40-story issue:       {size:,} bytes as sent (quoted-printable); "
        f"clip {CLIP_BYTES:,}: {'under' if size <= CLIP_BYTES else 'OVER'}"
    )
    print(f"images with sizes:    {sized} of {images} <img> have width and height")
    if axe:
        for view, rules in axe.items():
            other = Counter(rule for rule in rules if rule not in NOT_FOR_EMAIL)
            print(
                f"axe {view + ':':<19} {len(rules)} violations, "
                f"{sum(other.values())} besides {' and '.join(sorted(NOT_FOR_EMAIL))}"
                + (f" ({dict(other)})" if other else "")
            )
    else:
        print("axe:                  not installed (pip install -e '.[test]')")
    print(f"client table:         {client_table(email.html)}")
    wall, cpu, measured = header_time()
    print(
        f"image headers:        {measured} images measured in {wall * 1000:.0f} ms wall, "
        f"{cpu * 1000:.0f} ms CPU (median of {RUNS}; local HTTP server, 64 KB Range reads)"
    )
    return 0 if size <= CLIP_BYTES and sized == images else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
