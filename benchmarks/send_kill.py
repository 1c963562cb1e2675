"""Exactly once under SIGKILL, and messages/s with the send ledger, to a local TLS server.

Run with `make bench-send` (or `python benchmarks/send_kill.py [--recipients 10000]
[--kills 100] [--rate 100] [--connections 4] [--dkim]`; `--dkim` signs each copy with a
new RSA 2048 key). The server is
/work/shared/bench/smtp_sink.py (aiosmtpd, STARTTLS and AUTH required, a separate
process, counting messages per recipient); the
message is the 20-story digest of `render_20.py` (about 66 KB of HTML) with a per-reader
unsubscribe URL ({email} and {token}).

1. Throughput: `send_issue` (the ledger included: a "sending" and a "sent" commit per
   message, synchronous=NORMAL) to --recipients readers over --connections connections,
   with no rate limit.
   Wrappers note when each final dot goes and when its "sent" mark is committed; with the
   sink's time of acceptance, that is the window in which a kill makes a duplicate.
2. Kills: a child process sends to --kill-recipients readers at --rate messages a second
   (0: no limit; the issue's goal is set at 100); it is killed with SIGKILL at a
   uniformly random moment of its first second, then started again, --kills times; a last
   run finishes. The sink's counts then give duplicates (copies beyond the first) and
   losses (readers with none).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from render_20 import make_digest

from digest.config import load_config
from digest.models import Issue
from digest.render import render_email
from digest.runs import send_issue
from digest.state import Store, open_store

SINK = Path(__file__).resolve().parents[2] / "shared" / "bench" / "smtp_sink.py"
USER, PASSWORD = "bench", "bench-pass"
UNSUBSCRIBE = "https://news.example.org/unsubscribe?email={email}&token={token}"


def make_issue() -> Issue:
    """The same issue every time it is made (so a restarted child resumes it)."""
    digest = replace(make_digest(), unsubscribe_url=UNSUBSCRIBE)
    email = render_email(digest)
    return Issue(
        "bench0issue0send0kill", digest.title, digest.date, "The Weekly", email.html, email.text, 20
    )


def config_for(state: Path, port: int, connections: int, rate: float = 0.0):
    env = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_USERNAME": USER,
        "SMTP_PASSWORD": PASSWORD,
        "DIGEST_FROM": "The Example Weekly <news@example.org>",
        "DIGEST_STATE_DIR": str(state),
        "DIGEST_UNSUBSCRIBE_URL": UNSUBSCRIBE,
        "DIGEST_UNSUBSCRIBE_SECRET": "bench-secret-0123456789-abcdefghijklmnop",
        # --dkim: the key main() made, handed to the children through the environment.
        **{k: v for k, v in os.environ.items() if k.startswith("DIGEST_DKIM_")},
    }
    config = load_config(None, env)
    return replace(config, send=replace(config.send, rate=rate, connections=connections))


def child(state: Path, port: int, count: int, connections: int, rate: float) -> None:
    """Send the issue to kill0000..: what the parent kills and starts again."""
    config = config_for(state, port, connections, rate)
    issue = make_issue()
    recipients = [f"kill{n:05d}@example.com" for n in range(count)]
    with open_store(config.state_dir) as store:
        print("ready", flush=True)
        result = send_issue(issue, config, store, recipients)
    print(f"done {len(result.sent)} {result.stopped}", flush=True)


def start_sink(directory: Path) -> tuple[subprocess.Popen[str], int]:
    wrapper = Path(__file__).with_name("timed_sink.py")
    options = ["--port", "0", "--user", USER, "--password", PASSWORD]
    options += [
        "--cert-out",
        str(directory / "cert.pem"),
        "--summary",
        str(directory / "sink.json"),
    ]
    sink = subprocess.Popen(
        [sys.executable, str(wrapper), str(SINK), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert sink.stdout is not None
    return sink, int(sink.stdout.readline())


class Stamps:
    """When each message's final dot went and when its "sent" mark was committed (time.time,
    the sink's clock too), noted by wrappers around smtplib and the ledger while sending."""

    def __init__(self) -> None:
        self.dot: dict[str, float] = {}
        self.marked: dict[str, float] = {}
        self.current = threading.local()  # the recipient of the message this thread sends

    @contextmanager
    def noting(self) -> Iterator[None]:
        rcpt, send, mark = smtplib.SMTP.rcpt, smtplib.SMTP.send, Store.mark_sent

        def noting_rcpt(smtp, recipient, options=()):  # type: ignore[no-untyped-def]
            self.current.recipient = recipient
            return rcpt(smtp, recipient, options)

        def noting_send(smtp, data):  # type: ignore[no-untyped-def]
            if data == b".\r\n":
                self.dot[self.current.recipient] = time.time()
            return send(smtp, data)

        def noting_mark(store, issue_id, recipient, *args, **kwargs):  # type: ignore[no-untyped-def]
            mark(store, issue_id, recipient, *args, **kwargs)
            self.marked[recipient] = time.time()

        smtplib.SMTP.rcpt, smtplib.SMTP.send = noting_rcpt, noting_send  # type: ignore[method-assign]
        Store.mark_sent = noting_mark  # type: ignore[method-assign]
        try:
            yield
        finally:
            smtplib.SMTP.rcpt, smtplib.SMTP.send, Store.mark_sent = rcpt, send, mark  # type: ignore[method-assign]


def throughput(
    directory: Path, port: int, count: int, connections: int, stamps: Stamps
) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) to send ``count`` with the ledger."""
    config = config_for(directory / "fast", port, connections)
    issue = replace(make_issue(), id="bench0issue0throughput")
    recipients = [f"fast{n:05d}@example.com" for n in range(count)]
    with open_store(config.state_dir) as store, stamps.noting():
        started, cpu = time.perf_counter(), time.process_time()
        result = send_issue(issue, config, store, recipients)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert len(result.sent) == count, result.stopped
    return wall, cpu


def window(stamps: Stamps, accepted: dict[str, float], rate: float) -> list[str]:
    """The gap a kill makes duplicates in, from each final dot to its "sent" record."""
    dots = stamps.dot.items()
    total = [stamps.marked[r] - at for r, at in dots]
    return [
        f"dot -> 'sent' record:  {_ms(total)} x {rate:.0f} messages/s = "
        f"{rate * sum(total) / len(total):.3f} duplicates per kill (Little's law)",
        f"  dot -> acceptance:   {_ms([accepted[r] - at for r, at in dots])}",
        f"  acceptance -> record: {_ms([stamps.marked[r] - accepted[r] for r, _ in dots])}",
    ]


def poisson_interval(count: int, level: float = 0.95) -> tuple[float, float]:
    """The exact (Garwood) interval for the mean of a Poisson count."""
    tail = (1 - level) / 2

    def at_most(k: int, mean: float) -> float:  # P(X <= k)
        term = total = math.exp(-mean)
        for n in range(1, k + 1):
            term *= mean / n
            total += term
        return total

    def solve(wanted: Callable[[float], bool]) -> float:  # the mean where wanted flips
        low, high = 0.0, count + 50.0
        for _ in range(100):
            middle = (low + high) / 2
            low, high = (middle, high) if wanted(middle) else (low, middle)
        return low

    lower = solve(lambda m: 1 - at_most(count - 1, m) < tail) if count else 0.0
    return lower, solve(lambda m: at_most(count, m) > tail)


def _ms(times: list[float]) -> str:
    times = sorted(times)
    mean, median = sum(times) / len(times), times[len(times) // 2]
    p99 = times[99 * len(times) // 100]
    return f"mean {1000 * mean:.2f} ms (median {1000 * median:.2f}, p99 {1000 * p99:.2f})"


def kills(directory: Path, port: int, count: int, times: int, connections: int, rate: float) -> int:
    """Kill the sending child ``times`` times at random moments; returns the kills made."""
    state = directory / "killed"
    command = [sys.executable, __file__, "--child", str(state), str(port), str(count)]
    command += [str(connections), str(rate)]
    made = 0
    rng = random.Random(int(os.environ.get("SEED", "11")))
    while True:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=os.environ)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        if made == times:
            out, _ = process.communicate(timeout=600)
            assert process.returncode == 0 and out.startswith("done"), out
            return made
        time.sleep(rng.uniform(0.0, 1.0))
        if process.poll() is not None:  # finished before the kill: no more to kill
            return made
        process.send_signal(signal.SIGKILL)
        process.wait()
        made += 1


def make_dkim_key(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)
    os.environ.update(DIGEST_DKIM_SELECTOR="bench", DIGEST_DKIM_KEY_FILE=str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--kill-recipients", type=int, default=6_000)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rate", type=float, default=100.0, help="for the kills (0: no limit)")
    parser.add_argument("--dkim", action="store_true", help="sign each copy (RSA 2048)")
    parser.add_argument("--child", nargs=5, metavar=("STATE", "PORT", "COUNT", "CONN", "RATE"))
    args = parser.parse_args()
    if args.child:
        state, port, count, connections, rate = args.child
        child(Path(state), int(port), int(count), int(connections), float(rate))
        return
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        sink, port = start_sink(directory)
        os.environ["SSL_CERT_FILE"] = str(directory / "cert.pem")
        if args.dkim:
            make_dkim_key(directory / "dkim.pem")
        try:
            stamps = Stamps()
            wall, cpu = throughput(directory, port, args.recipients, args.connections, stamps)
            made = kills(
                directory, port, args.kill_recipients, args.kills, args.connections, args.rate
            )
        finally:
            sink.send_signal(signal.SIGTERM)
            sink.wait(60)
        summary = json.loads((directory / "sink.json").read_text())
    counts = {r: n for r, n in summary["per_recipient"].items() if r.startswith("kill")}
    duplicates = sum(n - 1 for n in counts.values())
    lost = args.kill_recipients - len(counts)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"message size:          about {summary['bytes'] // summary['messages']:,} bytes")
    print(f"connections:           {args.connections} (STARTTLS + AUTH)")
    print(f"DKIM:                  {'RSA 2048, each copy' if args.dkim else 'off'}")
    rate = args.recipients / wall
    print(
        f"with the send ledger:  {rate:.0f} messages/s "
        f"({args.recipients:,} recipients in {wall:.1f} s; sender CPU {cpu:.1f} s)"
    )
    print("\n".join(window(stamps, summary["times"], rate)))
    low, high = (bound / max(made, 1) for bound in poisson_interval(duplicates))
    print(
        f"SIGKILL at random:     {duplicates} duplicate(s) in {made} kills "
        f"({duplicates / max(made, 1):.2f} per kill, 95% interval {low:.2f} to {high:.2f}), "
        f"{lost} lost, "
        f"{args.kill_recipients:,} recipients, rate {'off' if not args.rate else args.rate}"
    )
    print(
        f"sink: {summary['messages']:,} messages, CPU {summary['serve_cpu_s']:.1f} s; "
        f"children CPU {children.ru_utime + children.ru_stime:.1f} s"
    )


if __name__ == "__main__":
    main()
