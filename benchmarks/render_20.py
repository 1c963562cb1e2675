"""Size and render time of a 20-item digest, against Gmail's clip budget.

Run with `make bench`. The briefs are synthetic but sized like real ones: a 70-character
headline, three sentences of about 600 characters in all, a lead image on every story,
two sources on some, three sections, a view-in-browser link and a full footer.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, date, datetime

from digest.lint import CLIP_BYTES, lint_email, sent_size
from digest.models import Brief, Digest
from digest.render import render_email

ITEMS = 20
RUNS = 50
SENTENCE = (
    "The council approved the plan on Tuesday after a long debate about its cost, "
    "its timetable and who would pay for the work over the next ten years."
)


def make_digest(items: int = ITEMS) -> Digest:
    briefs = tuple(
        Brief(
            title=f"Story {n}: a headline of the length a newspaper would write for it",
            headline=f"Story {n}: a headline of the length a newspaper would write for it",
            sentences=(SENTENCE, SENTENCE.replace("council", "committee"), SENTENCE[:150] + "."),
            url=f"https://news.example.org/2026/03/03/story-{n}-with-a-typical-slug?ref=feed",
            source=f"The Example Herald {n % 4}",
            sources=("The Example Herald", "Daily Sample") if n % 5 == 0 else (),
            published=datetime(2026, 3, 2, 7, n, tzinfo=UTC),
            image=f"https://images.example.org/2026/03/story-{n}-lead-image-1200x675.jpg",
            image_size=(1200, 675),
            section=("World", "Business", "Local")[n % 3],
            words=600 + 40 * n,
        )
        for n in range(1, items + 1)
    )
    return Digest(
        title="The Example Weekly",
        date=date(2026, 3, 3),
        briefs=briefs,
        intro="Good morning! Here is what happened this week, in twenty stories.",
        sections=("World", "Business", "Local"),
        web_url="https://news.example.org/web/2026-03-03.html",
        unsubscribe_url="https://news.example.org/unsubscribe?list=weekly",
        sender="The Example Weekly",
        postal_address="12 Quay Street\nHarbor City HC1 2AB",
    )


def main() -> None:
    digest = make_digest()
    email = render_email(digest)  # warm up: templates compile on first use
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        email = render_email(digest)
        times.append(time.perf_counter() - start)
    html_size = len(email.html.encode("utf-8"))
    size = sent_size(email.html)  # what Gmail's clip counts: the part as sent
    per_item = (size - sent_size(render_email(make_digest(10)).html)) / (ITEMS - 10)
    findings = lint_email(email.html, email.text, digest.to_dict()["items"])
    print(f"items:                {ITEMS}")
    print(f"HTML part:            {html_size:,} bytes ({html_size / 1024:.1f} KiB)")
    print(f"as sent:              {size:,} bytes (quoted-printable)")
    print(f"clip budget:          {CLIP_BYTES:,} bytes ({100 * size / CLIP_BYTES:.0f}% used)")
    print(f"cost per item:        {per_item:,.0f} bytes as sent")
    print(f"items that would fit: {ITEMS + int((CLIP_BYTES - size) // per_item)}")
    print(f"text part:            {len(email.text.encode('utf-8')):,} bytes")
    print(
        f"render time:          median {statistics.median(times) * 1000:.1f} ms, "
        f"min {min(times) * 1000:.1f} ms over {RUNS} runs "
        "(HTML + web version + text)"
    )
    print(f"lint findings:        {len(findings)}")
    for finding in findings:
        print(f"  {finding}")


if __name__ == "__main__":
    main()
