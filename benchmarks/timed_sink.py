"""/work/shared/bench/smtp_sink.py, also noting when it accepted each recipient's first
copy (``times`` in its JSON summary), to time the gap between a server's acceptance and
the sender's ledger. Usage: python timed_sink.py SINK.py [smtp_sink.py options]."""

from __future__ import annotations

import importlib.util
import sys
import time

spec = importlib.util.spec_from_file_location("smtp_sink", sys.argv.pop(1))
assert spec is not None and spec.loader is not None
sink = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sink)
times: dict[str, float] = {}
accept, summarize = sink.Handler.handle_DATA, sink.Stats.summary


async def handle_data(self, server, session, envelope):  # type: ignore[no-untyped-def]
    reply = await accept(self, server, session, envelope)
    for recipient in envelope.rcpt_tos:
        times.setdefault(recipient.lower(), time.time())
    return reply


sink.Handler.handle_DATA = handle_data
sink.Stats.summary = lambda self: {**summarize(self), "times": times}
sys.exit(sink.main())
