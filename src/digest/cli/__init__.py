"""Command line: a thin shell over the library.

Exit codes: 0 success, 1 error, 2 usage error, 3 configuration error, 4 unusable input
file, 5 no usable article, 6 every source failed, 7 lint found problems, 8 another run
holds the lock, 9 some recipients not reached (yet); see docs/commands.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from digest import __version__
from digest.cli.args import VERBOSE_HELP, add_command, add_config, positive
from digest.cli.bounces import add_bounces_command
from digest.cli.eval import add_eval_commands
from digest.cli.output import (
    FetchProgress,
    finding_data,
    issue_data,
    print_json,
    sources_data,
    warn,
    warn_sources,
    when,
)
from digest.cli.send import add_sending_commands, add_unsubscribe_command
from digest.config import apply_environment, load_config
from digest.errors import (
    AllSourcesFailedError,
    DigestError,
    InputError,
    LintError,
    NoArticlesError,
)

# Each command imports the stages it needs when it runs: `digest --help` and the
# commands that do not summarize never pay for sumy, trafilatura or numpy.
if TYPE_CHECKING:
    from digest.sources import SourceStatus

log = logging.getLogger("digest")


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # the command's usage, not the top level's
        args.parser.error(f"unrecognized arguments: {' '.join(extra)}")
    # -v: our own details and tracebacks; -vv: the libraries' too (HTTP and all).
    logging.basicConfig(
        level=logging.DEBUG if args.verbose > 1 else logging.WARNING,
        format="digest: %(levelname)s: %(message)s",
    )
    if args.verbose:
        logging.getLogger("digest").setLevel(logging.DEBUG)
    try:
        apply_environment(getattr(args, "config", None))  # .env, for ssl's SSL_CERT_FILE too
        code = int(args.command(args) or 0)
        sys.stdout.flush()  # here, so that a closed pipe is caught below, not at exit
        return code
    except DigestError as exc:
        if args.verbose:
            log.exception("details")
        hint = f" ({exc.hint})" if exc.hint else ""
        print(f"digest: error: {exc}{hint}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("digest: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`digest brief ... | head`): stop quietly, as Unix tools do.
        # Python would complain again when it flushes stdout at exit; point it elsewhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except Exception as exc:
        # A bug, not a user's mistake: still one line for cron, the traceback with -v.
        if args.verbose:
            raise
        print(
            f"digest: internal error: {type(exc).__name__}: {exc} (run with -v for details)",
            file=sys.stderr,
        )
        return 1


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digest", description="Turn articles into a newsletter digest email."
    )
    parser.add_argument("--version", action="version", version=f"digest {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help=VERBOSE_HELP)
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    p = add_command(
        commands,
        "build",
        help="build the next issue from the configured sources; records nothing",
        description="Build the next issue (digest.html, digest.txt, digest.json) from the "
        "configured sources. Nothing is recorded: stories are used when an issue is sent.",
    )
    add_config(p)
    p.add_argument("--out", type=Path, metavar="DIR", help="output directory (default: out)")
    p.add_argument(
        "--date", type=date.fromisoformat, metavar="YYYY-MM-DD", help="issue date (default: today)"
    )
    p.add_argument("--json", action="store_true", help="print what happened as JSON")
    p.set_defaults(command=run_build)

    p = add_command(
        commands,
        "brief",
        help="print the brief of one article file",
        description="Print the headline and summary sentences of one .md, .html or .txt file.",
    )
    p.add_argument("path", type=Path, metavar="PATH", help="the article file")
    p.add_argument(
        "--sentences",
        type=positive,
        default=None,
        metavar="N",
        help="sentences in the brief (default: 3)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    add_config(p)
    p.set_defaults(command=run_brief)

    p = add_command(
        commands,
        "lint",
        help="check a built digest before it goes out",
        description="Check the digest built in PATH: size under Gmail's clip budget, image alt "
        "text and https URLs, absolute links, an unsubscribe link, the same items in the text "
        "and HTML parts, lang and title. Exits 7 when a check fails.",
    )
    p.add_argument(
        "path", type=Path, nargs="?", metavar="PATH", help="the built digest (default: out_dir)"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--sending",
        action="store_true",
        help="require an unsubscribe link, as for sending, and warn of a sending setup that "
        "fails DMARC (no DKIM key; From misaligned with DKIM d= or the Return-Path)",
    )
    p.add_argument(
        "--dns",
        action="store_true",
        help="with --sending: also look up the SPF, DKIM and DMARC records (needs a resolver)",
    )
    add_config(p)
    p.set_defaults(command=run_lint)

    p = add_command(
        commands,
        "preview",
        help="serve the digest on localhost and rebuild it on every change",
        description="Serve the current digest at desktop and mobile widths, as plain text and "
        "in dark mode; rebuild and reload the page when a template, an article or the "
        "configuration changes. Nothing is recorded as used or sent.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=8000, metavar="N", help="port (default: 8000; 0 picks one)"
    )
    add_config(p)
    p.add_argument(
        "--date", type=date.fromisoformat, metavar="YYYY-MM-DD", help="issue date (default: today)"
    )
    p.set_defaults(command=run_preview)

    p = add_command(
        commands,
        "sources",
        help="list the sources with their last fetch, last error, items seen, used and filtered",
        description="List every configured source (each feed of an OPML list) with what the "
        "state store knows: when it was last read without error, its last error, how "
        "many of its items were seen and used, and how many items each include or exclude "
        "rule removed when it was last read. Only `digest run` and `digest send` record.",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    add_config(p)
    p.set_defaults(command=run_sources)

    add_eval_commands(commands)
    add_sending_commands(commands)
    add_unsubscribe_command(commands)
    _add_init(commands)
    add_bounces_command(commands)
    return parser


def _add_init(commands: argparse._SubParsersAction) -> None:
    p = add_command(
        commands,
        "init",
        help="start a newsletter: digest.toml, a private .env and sample articles",
        description="Write a commented digest.toml, a .env readable by you alone and content/ "
        "with sample articles into DIR (default: the current directory), then print the next "
        "steps. An existing file is never overwritten (exit 4).",
    )
    p.add_argument(
        "directory", type=Path, nargs="?", default=Path("."), metavar="DIR", help="where to write"
    )
    p.set_defaults(command=run_init)


def run_init(args: argparse.Namespace) -> int:
    from digest.starter import next_steps, start_newsletter

    print(next_steps(start_newsletter(args.directory)), end="")
    return 0


def run_build(args: argparse.Namespace) -> int:
    from digest.runs import build

    config = load_config(args.config)
    progress = FetchProgress(sys.stderr)
    try:
        result = build(config, today=args.date, out_dir=args.out, progress=progress)
    except (AllSourcesFailedError, NoArticlesError) as exc:
        progress.finish()
        warn(exc.problems)
        raise
    finally:
        progress.finish()
    if args.json:
        print_json(
            {
                "issue": issue_data(result.issue),
                "files": [str(path) for path in result.files],
                "findings": [finding_data(f) for f in result.findings],
                **sources_data(result.sources, result.failed, result.problems),
            }
        )
        return 0
    warn_sources(result.problems, result.still_failing, result.sources, args.verbose)
    for finding in result.findings:
        print(f"digest: warning: lint: {finding}", file=sys.stderr)
    skipped = f", {len(result.problems)} skipped" if result.problems else ""
    failed = f", {len(result.failed)} of {result.sources} sources failed" if result.failed else ""
    print(
        f"Built {result.issue.stories} stories{skipped}{failed}: "
        + ", ".join(str(path) for path in result.files)
    )
    return 0


def run_sources(args: argparse.Namespace) -> int:
    from digest.sources import source_statuses

    statuses = source_statuses(load_config(args.config))
    if args.json:
        print_json([_status_data(status) for status in statuses])
        return 0
    print(f"{'SOURCE':<48} {'LAST OK':<17} {'SEEN':>5} {'USED':>5} {'FILTERED':>8}  LAST ERROR")
    for status in statuses:
        error = status.last_error or ""
        if error and status.failures > 1:
            error += f" ({status.failures} runs in a row)"
        ok = "-" if status.kind == "directory" else when(status.last_ok)  # read, not fetched
        removed = sum(status.filtered.values())
        print(
            f"{status.source:<48} {ok:<17} {status.seen:>5} {status.used:>5} {removed:>8}  "
            f"{error}".rstrip()
        )
        for rule, count in status.filtered.items():
            print(f"    {count:>5} removed by {rule}")
    return 0


def _status_data(status: SourceStatus) -> dict[str, object]:
    return {
        "source": status.source,
        "kind": status.kind,
        "name": status.name,
        "last_attempt": status.last_attempt.isoformat() if status.last_attempt else None,
        "last_ok": status.last_ok.isoformat() if status.last_ok else None,
        "last_error": status.last_error,
        "failures": status.failures,
        "seen": status.seen,
        "used": status.used,
        "filtered": status.filtered,
    }


def run_brief(args: argparse.Namespace) -> int:
    from digest.ingest import load_file
    from digest.summarize import summarize

    config = load_config(args.config)
    article = load_file(args.path)
    brief = summarize(
        article,
        sentences=args.sentences or config.sentences,
        algorithm=config.algorithm,
        language=config.language,
    )
    if not brief.sentences:
        raise InputError(str(args.path), "no sentence to brief: the text has no whole sentence")
    if args.json:
        print(json.dumps(brief.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(brief.headline)
        print()
        for sentence in brief.sentences:
            print(sentence)
    return 0


def run_lint(args: argparse.Namespace) -> int:
    from digest.lint import CLIP_BYTES, lint_directory, lint_sending, sent_size

    config = load_config(args.config)
    path = args.path or config.out_dir
    sending = args.sending or args.dns
    findings = lint_directory(
        path, require_unsubscribe=sending, unsubscribe_url=config.unsubscribe_url
    )
    size = sent_size((path / "digest.html").read_text(encoding="utf-8"))
    # Warnings, not failures: the setup is the provider's and DNS's, not this issue's.
    warnings = lint_sending(config.send, dns=args.dns) if sending else []
    if args.json:
        report = {
            "path": str(path),
            "ok": not findings,
            "size": size,
            "findings": [{"check": f.check, "message": f.message} for f in findings],
            "warnings": [{"check": w.check, "message": w.message} for w in warnings],
        }
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        share = f"{100 * size / CLIP_BYTES:.0f}% of Gmail's clip budget of {CLIP_BYTES:,}"
        print(f"{path}: HTML part {size:,} bytes as sent (quoted-printable), {share}")
        for finding in findings:
            print(f"{path}: {finding}")
        for warning in warnings:
            print(f"{path}: warning: {warning}")
        print(f"{path}: {len(findings)} problem(s)" if findings else f"{path}: ok")
    return LintError.exit_code if findings else 0


def run_preview(args: argparse.Namespace) -> int:
    from digest.preview import serve  # the server is only needed here

    serve(args.config, host=args.host, port=args.port, today=args.date)
    return 0
