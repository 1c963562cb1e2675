"""`digest send` killed with SIGKILL at random points and started again, against the real
SMTP server: every reader ends with the issue, and a second copy only of the message that
was between its final dot and its record when the sender died, with the same Message-ID."""

import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from digest.config import load_config
from digest.runs import build

READERS = [f"reader{n:03d}@example.com" for n in range(60)]
CONNECTIONS = 4
KILLS = 4


@pytest.fixture
def site(tmp_path, articles_dir, smtp):
    """A built issue, and the environment that sends it through ``smtp``."""
    (tmp_path / "digest.toml").write_text(
        '[digest]\ntitle = "The Weekly"\nout_dir = "out"\nunsubscribe_url = "https://news.example.org/unsub"\n'
        f'[[sources]]\npath = "{articles_dir}"\n'
        f"[send]\nrate = 0\nretry_delay = 0.01\ntimeout = 10\nconnections = {CONNECTIONS}\n",
        encoding="utf-8",
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        **smtp.env(),
        "DIGEST_FROM": "news@example.org",
        "DIGEST_TO": ",".join(READERS),
    }
    build(load_config(tmp_path / "digest.toml", env))
    return tmp_path, env


def start_send(site: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "digest", "send"],
        cwd=site,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize(("reply_after", "in_gap"), [(0.005, 1), (0.02, CONNECTIONS)])
def test_killed_at_random_points_every_reader_gets_one_copy_or_the_one_in_flight(
    site, smtp, reply_after, in_gap
):
    directory, env = site
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    # Each message takes a while, so the kills land mid-send. A near server's replies are
    # waited for in turn; a distant one's side by side (see deliver._Gate).
    smtp.mailbox.delay = reply_after
    kills = 0
    while kills < KILLS:
        sender = start_send(directory, env)
        target = len(smtp.mailbox.received) + rng.randint(1, 10)
        deadline = time.monotonic() + 60
        while len(smtp.mailbox.received) < target and sender.poll() is None:
            assert time.monotonic() < deadline, f"seed {seed}: the send never got going"
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.03))  # anywhere in a message's cycle
        if sender.poll() is not None:
            break  # it finished first: nothing left to kill
        sender.send_signal(signal.SIGKILL)
        sender.communicate(timeout=30)
        kills += 1
    final = start_send(directory, env)
    _, err = final.communicate(timeout=120)
    assert final.returncode == 0, f"seed {seed}: {err}"
    assert kills >= 2, f"seed {seed}: the sends finished before they could be killed"

    copies: dict[str, list[str]] = defaultdict(list)
    for received in smtp.mailbox.received:
        copies[received.rcpt_tos[0]].append(received.message["Message-ID"])
    assert sorted(copies) == READERS, f"seed {seed}: someone got nothing"
    extra = {reader: ids for reader, ids in copies.items() if len(ids) > 1}
    # At most the messages between their final dot and their record when each kill came,
    # and each a copy of the first.
    assert sum(len(ids) - 1 for ids in extra.values()) <= in_gap * kills, f"seed {seed}"
    assert all(len(set(ids)) == 1 for ids in extra.values()), f"seed {seed}: {extra}"
