"""`digest run` against the naive pipeline, back to back on the same loopback world.

Run with `make bench-run` (or `python benchmarks/run_vs_naive.py [--pages 1000 200]`).
For each page count, a fresh world (`../shared/bench/world.py`: real news pages, RSS and
Atom feeds whose items are 200-character teasers) and a fresh SMTP sink (STARTTLS and
AUTH required) serve first `naive.py` (feedparser, requests, trafilatura, sumy LexRank
on every article, Jinja2 + node mjml, one SMTP connection per recipient), then `digest
run` subscribed to the same feeds, with an empty state store, sending to as many
recipients. Both must fetch every page (the world's request counters say so) and reach
every recipient (the sink's counters).

Printed for each: wall seconds, CPU seconds (user + sys of the process and every
descendant it waited for, from wait4) and peak RSS (the largest single process of that
tree). naive.py runs in its own virtual environment with its pinned requirements and
mjml from npm, made once in a scratch directory outside the repository (`--env`,
default ~/.cache/digest-bench). The machine is shared: compare runs made back to back.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "bench"
ENV_DIR = Path.home() / ".cache" / "digest-bench"
USER, PASSWORD = "bench", "bench-pass"


@dataclass
class Measured:
    wall: float
    cpu: float  # user + sys, the process tree
    peak_rss_mb: float  # the largest single process of the tree
    code: int


def prepare_env(env: Path, bench: Path) -> Path:
    """naive.py's own environment (pinned requirements, mjml from npm), made once."""
    python = env / ".venv" / "bin" / "python"
    if (env / ".ready").exists():
        return python
    env.mkdir(parents=True, exist_ok=True)
    print(f"setting up naive.py's environment in {env} (once)", file=sys.stderr)
    shutil.copy(bench / "requirements.txt", env)
    shutil.copy(bench / "package.json", env)
    subprocess.run([sys.executable, "-m", "venv", str(env / ".venv")], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "-r", "requirements.txt"]
    subprocess.run(pip, cwd=env, check=True)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=env, check=True)
    (env / ".ready").touch()
    return python


def measure(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> Measured:
    """Run ``command`` to its end; its wall time, and CPU and peak RSS from wait4."""
    with log.open("w") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode
    )


class Server:
    """A bench server process whose first stdout line is its address."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.address = self.process.stdout.readline().strip()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def digest_config(directory: Path, subscriptions: list[str], items: int) -> Path:
    feeds = "".join(f'[[sources]]\nfeed = "{url}"\n' for url in subscriptions)
    path = directory / "digest.toml"
    path.write_text(
        '[digest]\ntitle = "Bench Digest"\nunsubscribe_url = "https://example.org/unsubscribe"\n'
        f"max_items = 30\nnew_feed_items = {items}\nfetch_private = true\n"
        f"{feeds}[send]\nrate = 0\n",
        encoding="utf-8",
    )
    return path


def run_once(
    who: str,
    pages: int,
    feeds: int,
    recipients: int,
    python: Path,
    bench: Path,
    work: Path,
    profile: Path | None = None,
) -> dict[str, object]:
    items = -(-pages // feeds)
    stats, summary, cert = work / "world.json", work / "sink.json", work / "cert.pem"
    world = Server(
        [str(python), str(bench / "world.py"), "--pages", str(pages), "--feeds", str(feeds),
         "--items", str(items), "--stats", str(stats)]
    )  # fmt: skip
    sink = Server(
        [str(python), str(bench / "smtp_sink.py"), "--cert-out", str(cert),
         "--summary", str(summary), "--user", USER, "--password", PASSWORD]
    )  # fmt: skip
    try:
        base, port = world.address, sink.address
        if who == "naive":
            mjml = python.parents[2] / "node_modules" / ".bin" / "mjml"
            command = [
                str(python), str(bench / "naive.py"), "--base", base, "--smtp-port", port,
                "--cafile", str(cert), "--recipients", str(recipients), "--mjml", str(mjml),
            ]  # fmt: skip
            env = {"PATH": os.environ["PATH"], "HOME": str(work)}
        else:
            with urllib.request.urlopen(base + "/manifest.json") as response:
                subscriptions = json.load(response)["subscriptions"]
            config = digest_config(work, subscriptions, items)
            addresses = work / "recipients.txt"
            addresses.write_text("".join(f"reader{n:05d}@example.com\n" for n in range(recipients)))
            command = [sys.executable, "-m", "digest", "run", "--config", str(config)]
            if profile:  # the main process: extraction runs in the workers, unprofiled
                command[1:1] = ["-m", "cProfile", "-o", str(profile)]
            env = {
                "PATH": os.environ["PATH"],
                "HOME": str(work),
                "SSL_CERT_FILE": str(cert),
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": port,
                "SMTP_USERNAME": USER,
                "SMTP_PASSWORD": PASSWORD,
                "DIGEST_FROM": "Bench Digest <digest@example.org>",
                "DIGEST_RECIPIENTS_FILE": str(addresses),
                **{k: v for k, v in os.environ.items() if k.startswith(("DIGEST_", "PYTHONPATH"))},
            }
        measured = measure(command, work, env, work / f"{who}.log")
    finally:
        world.stop()
        sink.stop()
    counters = json.loads(stats.read_text())
    sent = json.loads(summary.read_text())
    row: dict[str, object] = {
        "who": who,
        "pages": pages,
        "wall_s": round(measured.wall, 2),
        "cpu_s": round(measured.cpu, 2),
        "peak_rss_mb": round(measured.peak_rss_mb, 1),
        "exit": measured.code,
        "pages_fetched": counters.get("page_200", 0),
        "recipients_reached": sent["unique_recipients"],
        "log": str(work / f"{who}.log"),
    }
    if who == "naive":
        report = _json_tail(work / "naive.log")
        counts = report.get("counts", {})
        row["stages_s"] = report.get("stages_s")
        row["extracted"] = counts.get("extracted") if isinstance(counts, dict) else None
    else:
        warnings = [
            line for line in (work / "digest.log").read_text().splitlines() if "warning:" in line
        ]
        row["warnings"] = len(warnings)
        row["warnings_sample"] = warnings[:10]
    return row


def _json_tail(log: Path) -> dict[str, object]:
    """The JSON object naive.py prints last."""
    text = log.read_text()
    start = text.find("{\n")
    return json.loads(text[start:]) if start >= 0 else {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[1000, 200])
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--recipients", type=int, default=100)
    parser.add_argument("--only", choices=("naive", "digest"), help="run one side only")
    parser.add_argument("--bench", type=Path, default=BENCH, help="the shared bench folder")
    parser.add_argument("--env", type=Path, default=ENV_DIR, help="naive.py's scratch environment")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument(
        "--profile", type=Path, help="profile digest's main process (cProfile) into this file"
    )
    args = parser.parse_args()
    if not (args.bench / "world.py").exists():
        parser.error(f"{args.bench}: no world.py here (give --bench the shared bench folder)")
    python = prepare_env(args.env, args.bench)
    rows = []
    for pages in args.pages:
        for who in ("naive", "digest"):
            if args.only and who != args.only:
                continue
            with tempfile.TemporaryDirectory(prefix=f"bench-{who}-") as tmp:
                work = Path(tmp)
                profile = args.profile if who == "digest" else None
                row = run_once(
                    who, pages, args.feeds, args.recipients, python, args.bench, work, profile
                )
                if row["exit"] != 0:
                    print((work / f"{who}.log").read_text()[-3000:], file=sys.stderr)
                row.pop("log")
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print(f"{'':8}{'pages':>6}{'wall s':>9}{'CPU s':>9}{'RSS MB':>9}{'fetched':>9}{'sent':>6}")
    for row in rows:
        print(
            f"{row['who']:8}{row['pages']:>6}{row['wall_s']:>9}{row['cpu_s']:>9}"
            f"{row['peak_rss_mb']:>9}{row['pages_fetched']:>9}{row['recipients_reached']:>6}"
        )
    by = {(r["who"], r["pages"]): r for r in rows}
    for pages in args.pages:
        naive, ours = by.get(("naive", pages)), by.get(("digest", pages))
        if naive and ours:
            print(
                f"{pages} pages: digest is {naive['wall_s'] / ours['wall_s']:.1f}x faster by wall, "
                f"{naive['cpu_s'] / ours['cpu_s']:.1f}x by CPU"
            )
    if args.profile and args.profile.exists():
        pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(40)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0 if all(r["exit"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
