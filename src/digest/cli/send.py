"""The sending commands: `digest send`, `digest run` (cron's) and `digest unsubscribe`."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from digest.cli.args import add_command, add_config
from digest.cli.output import (
    finding_data,
    issue_data,
    print_json,
    problem_data,
    sources_data,
    warn,
    warn_sources,
)
from digest.config import load_config
from digest.errors import AllSourcesFailedError, DigestError, LintError, SendError, UsageError

if TYPE_CHECKING:
    from digest.config import Config
    from digest.runs import SendResult


def add_unsubscribe_command(commands: argparse._SubParsersAction) -> None:
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
    from digest import suppressions

    if args.list == bool(args.addresses):
        raise UsageError("give addresses to unsubscribe (or --remove), or --list alone")
    config = load_config(args.config)
    if args.list:
        for address, (added, reason) in suppressions.suppressed(config).items():
            print(f"{address}\t{added:%Y-%m-%d %H:%M}" + (f"\t{reason}" if reason else ""))
        return 0
    if args.remove:
        done = suppressions.resubscribe(config, args.addresses)
        print(f"Removed {len(done)} of {len(args.addresses)} address(es) from the unsubscribed")
    else:
        done = suppressions.unsubscribe(config, args.addresses)
        print(
            f"Unsubscribed {len(done)} new address(es) ({len(args.addresses) - len(done)} already)"
        )
    return 0


def add_sending_commands(commands: argparse._SubParsersAction) -> None:
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
            print_json(
                {
                    "outbox": str(where),
                    "files": [str(f) for f in files],
                    "problems": [problem_data(p) for p in problems],
                    "findings": [finding_data(f) for f in findings],
                }
            )
            return 0
        warn(problems)
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
        print_json({"sends": [_send_data(result)], "problems": [problem_data(p) for p in problems]})
    else:
        warn(problems)
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
        warn(exc.problems)
        for finding in exc.findings:
            print(f"digest: warning: lint: {finding}", file=sys.stderr)
        raise
    except AllSourcesFailedError as exc:
        warn(exc.problems)
        raise
    if args.json:
        print_json(
            {
                "issue": issue_data(result.issue) if result.issue else None,
                "nothing_new": result.nothing_new,
                "finished_earlier": result.finished_earlier,
                "sent": not args.no_send and result.issue is not None,
                "sends": [_send_data(send) for send in result.sends],
                **sources_data(result.sources, result.failed, result.problems),
            }
        )
    else:  # even when quiet: cron mails stderr
        warn_sources(result.problems, result.still_failing, result.sources, args.verbose)
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
