"""Command line: a thin shell over the library.

Exit codes: 0 success, 1 error, 2 usage error, 3 configuration error, 4 unusable input
file, 5 no usable article, 6 every source failed; see README.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TextIO

from digest import __version__
from digest.config import load_config
from digest.errors import AllSourcesFailedError, DigestError
from digest.ingest import load_file
from digest.pipeline import build
from digest.summarize import summarize

log = logging.getLogger("digest")


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="digest: %(levelname)s: %(message)s",
    )
    try:
        return int(args.command(args) or 0)
    except DigestError as exc:
        if args.verbose:
            log.exception("details")
        hint = f" ({exc.hint})" if exc.hint else ""
        print(f"digest: error: {exc}{hint}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("digest: interrupted", file=sys.stderr)
        return 130


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digest", description="Turn articles into a newsletter digest email."
    )
    parser.add_argument("--version", action="version", version=f"digest {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show details and tracebacks")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    p = commands.add_parser(
        "build",
        help="build the digest from the configured sources",
        description="Build digest.html, digest.txt and digest.json from the configured sources.",
    )
    p.add_argument(
        "--config", type=Path, metavar="FILE", help="configuration file (default: digest.toml)"
    )
    p.add_argument("--out", type=Path, metavar="DIR", help="output directory (default: out)")
    p.add_argument(
        "--date", type=date.fromisoformat, metavar="YYYY-MM-DD", help="issue date (default: today)"
    )
    p.add_argument(
        "--preview",
        "--dry-run",
        action="store_true",
        help="build the digest but record nothing: no item is marked as used",
    )
    p.set_defaults(command=run_build)

    p = commands.add_parser(
        "brief",
        help="print the brief of one article file",
        description="Print the headline and summary sentences of one .md, .html or .txt file.",
    )
    p.add_argument("path", type=Path, metavar="PATH", help="the article file")
    p.add_argument(
        "--sentences",
        type=_positive,
        default=None,
        metavar="N",
        help="sentences in the brief (default: 3)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--config", type=Path, metavar="FILE", help="configuration file (default: digest.toml)"
    )
    p.set_defaults(command=run_brief)
    return parser


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def run_build(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    progress = FetchProgress(sys.stderr)
    try:
        result = build(
            config, today=args.date, out_dir=args.out, preview=args.preview, progress=progress
        )
    except AllSourcesFailedError as exc:
        for problem in exc.problems:
            print(f"digest: warning: {problem}", file=sys.stderr)
        raise
    finally:
        progress.finish()
    for problem in result.problems:
        print(f"digest: warning: {problem}", file=sys.stderr)
    skipped = f", {len(result.problems)} skipped" if result.problems else ""
    failed = f", {len(result.failed)} of {result.sources} sources failed" if result.failed else ""
    preview = " (preview: nothing recorded)" if args.preview else ""
    print(
        f"Built {len(result.digest.briefs)} stories{skipped}{failed}{preview}: "
        + ", ".join(str(path) for path in result.files)
    )
    return 0


class FetchProgress:
    """A progress bar on a terminal; on anything else (cron), a plain line now and then."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.shown = False
        self.last: tuple[int, int] | None = None

    def __call__(self, done: int, total: int, url: str) -> None:
        if self.tty:
            filled = self.WIDTH * done // total
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\rfetching [{bar}] {done}/{total}\x1b[K")
            self.stream.flush()
            self.shown = True
        elif total >= 8 and (step := (total, 4 * done // total)) != self.last:
            # Long fetches only, and a line per quarter: cron mail stays short.
            self.last = step
            print(f"digest: fetched {done} of {total}", file=self.stream, flush=True)

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def run_brief(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    article = load_file(args.path)
    brief = summarize(
        article,
        sentences=args.sentences or config.sentences,
        algorithm=config.algorithm,
        language=config.language,
    )
    if args.json:
        print(json.dumps(brief.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(brief.headline)
        print()
        for sentence in brief.sentences:
            print(sentence)
    return 0
