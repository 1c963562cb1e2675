"""Messages per second to a local SMTP server, for 1,000 recipients.

Run with `make bench-send` (or `python benchmarks/send_1000.py [N]`). The server is
aiosmtpd on 127.0.0.1 with STARTTLS and AUTH, in a thread of this process (so the
server's work counts against the same CPU); the message is the 20-story digest of
`render_20.py` (about 66 KB of HTML). Two passes: the deliverer alone, then `send_issue`
with the send ledger (two synced SQLite commits per message, as `digest run` does).
Rate limit off; one connection reused.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.smtp_server

from render_20 import make_digest
from tests.smtp_server import start

from digest.config import load_config
from digest.deliver import Composer, deliver, message_id
from digest.pipeline import make_issue
from digest.render import render_email
from digest.sending import letter, send_issue
from digest.state import open_store


def main(count: int = 1000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        server = start(directory)
        os.environ["SSL_CERT_FILE"] = str(server.cert)
        env = {
            **server.env(),
            "DIGEST_FROM": "The Example Weekly <news@example.org>",
            "DIGEST_STATE_DIR": str(directory / "state"),
            "DIGEST_UNSUBSCRIBE_URL": "https://news.example.org/unsubscribe",
        }
        config = load_config(None, env)
        config = replace(config, send=replace(config.send, rate=0.0))
        digest = make_digest()
        email = render_email(digest)
        issue = make_issue(
            digest.title, digest.date, len(digest.briefs), email.html, email.text, "{title}"
        )
        size = len(Composer(letter(issue, config)).compose("x@example.com", "<x@example.org>"))
        recipients = [f"reader{n:04d}@example.com" for n in range(count)]
        try:
            composer = Composer(letter(issue, config))
            planned = [(r, message_id(issue, r, composer.sender)) for r in recipients]
            started = time.perf_counter()
            report = deliver(composer, planned, config.send)
            plain = time.perf_counter() - started
            assert len(report.with_status("sent")) == count, report.stopped
            with open_store(config.state_dir) as store:
                started = time.perf_counter()
                result = send_issue(
                    replace(issue, id="ledger-" + issue.id), config, store, recipients
                )
                ledger = time.perf_counter() - started
            assert len(result.sent) == count, result.stopped
            assert len(server.mailbox.received) == 2 * count
        finally:
            server.stop()
    print(f"recipients:           {count}")
    print(f"message size:         {size:,} bytes")
    print(f"deliverer alone:      {count / plain:.0f} messages/s ({plain:.1f} s)")
    print(f"with the send ledger: {count / ledger:.0f} messages/s ({ledger:.1f} s)")
    print("connections:          one each pass (STARTTLS + AUTH), rate limit off")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
