"""`digest bounces`: the command; the work is in ``digest.bounces.process``."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from digest.cli.args import add_command, add_config
from digest.config import load_config


def add_bounces_command(commands: argparse._SubParsersAction) -> None:
    """Add `digest bounces` to the commands."""
    p = add_command(
        commands,
        "bounces",
        help="read the bounce mailbox (or a provider's events): suppress dead addresses",
        description="Read the bounce mailbox over IMAP (BOUNCE_IMAP_* in .env) and classify "
        "each message: hard bounces and complaints suppress their reader at once, soft "
        "bounces after BOUNCE_SOFT_LIMIT in a row over BOUNCE_SOFT_DAYS days; sender-side "
        "blocks are reported, never counted. The messages used move to "
        "BOUNCE_IMAP_DONE_FOLDER; anything else stays where it is. --events reads a "
        "provider's event file instead (Amazon SES, SendGrid, Postmark, Mailgun JSON).",
    )
    p.add_argument(
        "--events", type=Path, metavar="FILE", help="a provider's JSON event file, not IMAP"
    )
    p.add_argument("--json", action="store_true", help="print what happened as JSON")
    add_config(p)
    p.set_defaults(command=run_bounces)


def run_bounces(args: argparse.Namespace) -> int:
    from digest import runs
    from digest.bounces.mailbox import load_settings
    from digest.bounces.process import read_events, read_mailbox

    config = load_config(args.config)
    settings = load_settings(os.environ)
    readers, _ = runs.read_recipients(config.send)
    if args.events:
        report = read_events(config, settings, args.events, readers)
    else:
        report = read_mailbox(config, settings, readers)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
        return 0
    for address, reason in report.suppressed:
        print(f"suppressed\t{address}\t{reason}")
    for address, reason in report.soft:
        print(f"soft bounce\t{address}\t{reason}")
    for address, reason in report.blocked:
        print(f"blocked (fix the sending)\t{address}\t{reason}")
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(report.kinds.items())) or "nothing"
    where = "" if args.events else f"; moved {report.moved}, left {report.untouched} untouched"
    print(f"Read {report.read} ({kinds}); suppressed {len(report.suppressed)} new reader(s){where}")
    return 0
