"""How long fetching and reading N feeds served from 127.0.0.1 takes.

    .venv/bin/python benchmarks/fetch_feeds.py [N]

Each feed is a copy of tests/fixtures/web/rss20.xml (three full-text items); the
server is the test suite's (tests/web_server.py), one thread per connection.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from tests.web_server import start  # noqa: E402

from digest.config import Source  # noqa: E402
from digest.ingest.web import read_sources  # noqa: E402


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        feed = (ROOT / "tests" / "fixtures" / "web" / "rss20.xml").read_text()
        for i in range(n):
            # Distinct GUIDs per feed, as distinct feeds would have.
            (root / f"feed{i}.xml").write_text(feed.replace("courier-", f"f{i}-"))
        shutil.copytree(ROOT / "tests" / "fixtures" / "web" / "pages", root / "pages")
        state, server = start(root)
        try:
            started = time.perf_counter()
            result = read_sources([Source(feed=state.url(f"feed{i}.xml")) for i in range(n)])
            elapsed = time.perf_counter() - started
        finally:
            server.shutdown()
        print(
            f"{n} feeds, {len(result.items)} items, {len(result.failed)} failed: "
            f"{elapsed:.2f} s ({1000 * elapsed / n:.1f} ms per feed)"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
