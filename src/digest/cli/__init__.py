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
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from digest import __version__
from digest.cli.args import VERBOSE_HELP, add_command, add_config, positive
from digest.cli.bounces import add_bounces_command
from digest.cli.eval import add_eval_commands
from digest.config import apply_environment, load_config
from digest.errors import (
    AllSourcesFailedError,
    DigestError,
    InputError,
    LintError,
    NoArticlesError,
    SendError,
    UsageError,
)

# Each command imports the stages it needs when it runs: `digest --help` and the
# commands that do not summarize never pay for sumy, trafilatura or numpy.
if TYPE_CHECKING:
    from digest.config import Config
    from digest.models import Finding, Issue, Problem
    from digest.runs import SendResult
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
    _add_sending(commands)
    _add_unsubscribe(commands)
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


def _add_unsubscribe(commands: argparse._SubParsersAction) -> None:
    p = add_command(
        commands,
        "unsubscribe",
        help="record readers who unsubscribed: every send skips them",
        description="Record each ADDR as unsubscribed in the state store; `digest send` and "
        "`digest run` skip it from then on. --list shows them, --remove takes ADDRs back.",
    )
    p.add_argument("addresses", nargs="*", metavar="ADDR", help="an address to suppress")
    p.add_argument("--list", action="store_true", help="show every unsubscribed address")
    p.add_argument("--remove", action="store_true", help="take each ADDR off the list")
    add_config(p)
    p.set_defaults(command=run_unsubscribe)


def run_unsubscribe(args: argparse.Namespace) -> int:
    from digest import runs

    if args.list == bool(args.addresses):
        raise UsageError("give addresses to unsubscribe (or --remove), or --list alone")
    config = load_config(args.config)
    if args.list:
        for address, (added, reason) in runs.suppressed(config).items():
            print(f"{address}\t{added:%Y-%m-%d %H:%M}" + (f"\t{reason}" if reason else ""))
        return 0
    if args.remove:
        done = runs.resubscribe(config, args.addresses)
        print(f"Removed {len(done)} of {len(args.addresses)} address(es) from the unsubscribed")
    else:
        done = runs.unsubscribe(config, args.addresses)
        print(
            f"Unsubscribed {len(done)} new address(es) ({len(args.addresses) - len(done)} already)"
        )
    return 0


def _add_sending(commands: argparse._SubParsersAction) -> None:
    p = add_command(
        commands,
        "send",
        help="send the built digest to the recipients who do not have it yet",
        description="Send the digest built in PATH (default: out_dir) over SMTP to every "
        "recipient the send ledger does not show as sent. It must pass `digest lint "
        "--sending`. Exits 9 when some recipients were not reached.",
    )
    p.add_argument(
        "path", type=Path, nargs="?", metavar="PATH", help="the built digest (default: out_dir)"
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="write each message as an .eml file (in PATH/outbox) and send nothing",
    )
    p.add_argument("--outbox", type=Path, metavar="DIR", help="where --dry-run writes")
    p.add_argument(
        "--to",
        metavar="ADDR",
        help="send one test copy to ADDR only; record nothing (it must pass lint too)",
    )
    add_config(p)
    p.add_argument("--json", action="store_true", help="print what happened as JSON")
    p.set_defaults(command=run_send)

    p = add_command(
        commands,
        "run",
        help="build, lint and send: the one command for cron",
        description="Take the run lock, finish an issue a crash left half sent, build a new "
        "issue, lint it, send it and record each recipient's outcome. Quiet on success "
        "(-v says more). Exits 0 when there is nothing new, 7 when lint fails (nothing is "
        "sent), 8 when another run holds the lock, 9 when some recipients were not reached.",
    )
    add_config(p)
    p.add_argument(
        "--date", type=date.fromisoformat, metavar="YYYY-MM-DD", help="issue date (default: today)"
    )
    p.add_argument(
        "--no-send",
        action="store_true",
        help="make the issue and mark its stories used, but send nothing (a first run over "
        "a long feed list)",
    )
    p.add_argument("--json", action="store_true", help="print what happened as JSON")
    p.set_defaults(command=run_run)


def run_send(args: argparse.Namespace) -> int:
    from digest import runs

    config = load_config(args.config)
    path = args.path or config.out_dir
    if args.outbox and not args.dry_run:
        raise UsageError("--outbox goes with --dry-run")
    if args.dry_run and args.to:
        raise UsageError("--dry-run and --to do not go together")
    if args.dry_run:  # the messages to look at, lint findings or not
        files, problems, findings = runs.dry_run(config, path, args.outbox)
        where = files[0].parent if files else args.outbox
        if args.json:
            _print_json(
                {
                    "outbox": str(where),
                    "files": [str(f) for f in files],
                    "problems": [_problem(p) for p in problems],
                    "findings": [_finding(f) for f in findings],
                }
            )
            return 0
        _warn(problems)
        for finding in findings:
            print(f"digest: warning: lint: {finding}", file=sys.stderr)
        print(f"Wrote {len(files)} messages to {where} (dry run: nothing sent or recorded)")
        return 0
    try:
        if args.to:
            result, problems = runs.send_test(config, args.to, path), ()
        else:
            result, problems = runs.send(config, path)
    except LintError as exc:
        for found in exc.findings:
            print(f"digest: warning: lint: {found}", file=sys.stderr)
        raise
    if args.json:
        _print_json({"sends": [_send_data(result)], "problems": [_problem(p) for p in problems]})
    else:
        _warn(problems)
    return _report_send(result, quiet=args.json, test=bool(args.to))


def run_run(args: argparse.Namespace) -> int:
    from digest.heartbeat import ping

    config = load_config(args.config)
    code = 1  # an unexpected failure (a bug) is exit 1 too
    try:
        code = _run_once(args, config)
    except DigestError as exc:
        code = exc.exit_code
        raise
    except KeyboardInterrupt:
        code = 130
        raise
    finally:  # the one place a run's end is told to the monitor, whatever the end
        if problem := ping(config.heartbeat_url, code):
            print(f"digest: warning: {problem}", file=sys.stderr)
    return code


def _run_once(args: argparse.Namespace, config: Config) -> int:
    from digest import runs

    try:
        result = runs.run(config, args.date, send=not args.no_send)
    except LintError as exc:
        _warn(exc.problems)
        for finding in exc.findings:
            print(f"digest: warning: lint: {finding}", file=sys.stderr)
        raise
    except AllSourcesFailedError as exc:
        _warn(exc.problems)
        raise
    if args.json:
        _print_json(
            {
                "issue": _issue_data(result.issue) if result.issue else None,
                "nothing_new": result.nothing_new,
                "finished_earlier": result.finished_earlier,
                "sent": not args.no_send and result.issue is not None,
                "sends": [_send_data(send) for send in result.sends],
                **_sources_data(result.sources, result.failed, result.problems),
            }
        )
    else:  # even when quiet: cron mails stderr
        _warn_sources(result.problems, result.still_failing, result.sources, args.verbose)
        if result.nothing_new and args.verbose:
            print("Nothing new since the last digest: nothing sent")
        if args.no_send and result.issue is not None:
            print(f"Marked {result.issue.stories} stories as used; nothing sent")
    code = 0
    for send in result.sends:
        code = max(code, _report_send(send, quiet=args.json or not args.verbose))
    if result.finished_earlier and args.verbose and not args.json:
        print("Finished an earlier issue; the next one waits for the next run")
    return code


def _warn(problems: Sequence[object]) -> None:
    for problem in problems:
        print(f"digest: warning: {problem}", file=sys.stderr)


def _warn_sources(
    problems: Sequence[Problem], still_failing: Sequence[str], sources: int, verbose: int
) -> None:
    """A line per problem, but a source that failed before only with -v: a summary says
    how many failed, so cron mail does not repeat the same lines every run."""
    quiet = set() if verbose else set(still_failing)
    _warn([p for p in problems if p.origin not in quiet])
    if hidden := len({p.origin for p in problems if p.origin in quiet}):
        print(
            f"digest: warning: {hidden} of {sources} sources still failing "
            "(see `digest sources`; -v shows each)",
            file=sys.stderr,
        )


def _report_send(result: SendResult, *, quiet: bool, test: bool = False) -> int:
    """Print what happened to one issue; failures always, success unless ``quiet``."""
    for outcome in result.failed:
        print(f"digest: error: {outcome.recipient}: refused: {outcome.error}", file=sys.stderr)
    # A test copy is recorded nowhere: no later run tries it again.
    retry = "" if test else ", will retry on the next run"
    for outcome in result.deferred:
        print(
            f"digest: warning: {outcome.recipient}: not sent after {outcome.attempts} "
            f"attempts{retry}: {outcome.error}",
            file=sys.stderr,
        )
    what = f"{result.issue.subject!r}"
    if not quiet:
        if test and result.sent:
            print(f"Sent a test copy of {what} to {', '.join(result.sent)}")
        elif not test:
            before = f", {result.before} had it already" if result.before else ""
            print(f"Sent {what} to {len(result.sent)} of {result.recipients} recipients{before}")
    if result.stopped:
        if test:
            raise SendError(
                f"sending a test copy of {what} stopped: {result.stopped}",
                hint="nothing was recorded; run the same command again once the cause is fixed",
            )
        raise SendError(f"sending {what} stopped: {result.stopped}")
    if result.failed or result.deferred:
        return SendError.exit_code
    return 0


# --json output: plain data, the same names as the library's


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _problem(problem: Problem) -> dict[str, str]:
    return {"origin": problem.origin, "message": problem.message}


def _finding(finding: Finding) -> dict[str, str]:
    return {"check": finding.check, "message": finding.message}


def _issue_data(issue: Issue) -> dict[str, object]:
    return {
        "id": issue.id,
        "subject": issue.subject,
        "date": issue.date.isoformat(),
        "stories": issue.stories,
        "dropped": [_problem(p) for p in issue.dropped],
    }


def _send_data(result: SendResult) -> dict[str, object]:
    return {
        "issue": result.issue.id,
        "subject": result.issue.subject,
        "recipients": result.recipients,
        "sent": list(result.sent),
        "before": result.before,
        "failed": [{"recipient": o.recipient, "error": o.error} for o in result.failed],
        "deferred": [{"recipient": o.recipient, "error": o.error} for o in result.deferred],
        "stopped": result.stopped,
    }


def _sources_data(
    sources: int, failed: Sequence[str], problems: Sequence[Problem]
) -> dict[str, object]:
    return {
        "sources": sources,
        "failed": list(failed),
        "problems": [_problem(p) for p in problems],
    }


def run_build(args: argparse.Namespace) -> int:
    from digest.runs import build

    config = load_config(args.config)
    progress = FetchProgress(sys.stderr)
    try:
        result = build(config, today=args.date, out_dir=args.out, progress=progress)
    except (AllSourcesFailedError, NoArticlesError) as exc:
        progress.finish()
        _warn(exc.problems)
        raise
    finally:
        progress.finish()
    if args.json:
        _print_json(
            {
                "issue": _issue_data(result.issue),
                "files": [str(path) for path in result.files],
                "findings": [_finding(f) for f in result.findings],
                **_sources_data(result.sources, result.failed, result.problems),
            }
        )
        return 0
    _warn_sources(result.problems, result.still_failing, result.sources, args.verbose)
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
        _print_json([_status_data(status) for status in statuses])
        return 0
    print(f"{'SOURCE':<48} {'LAST OK':<17} {'SEEN':>5} {'USED':>5} {'FILTERED':>8}  LAST ERROR")
    for status in statuses:
        error = status.last_error or ""
        if error and status.failures > 1:
            error += f" ({status.failures} runs in a row)"
        ok = "-" if status.kind == "directory" else _when(status.last_ok)  # read, not fetched
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


def _when(moment: datetime | None) -> str:
    return f"{moment.astimezone():%Y-%m-%d %H:%M}" if moment else "never"


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
