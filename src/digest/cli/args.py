"""The pieces every command's parser is made of."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

VERBOSE_HELP = "show details and tracebacks (-vv: the libraries' details too)"


def add_command(
    group: argparse._SubParsersAction, name: str, **kwargs: Any
) -> argparse.ArgumentParser:
    """A command's parser; ``-v`` is accepted after the command's name as well as before."""
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "-v", "--verbose", action="count", default=argparse.SUPPRESS, help=VERBOSE_HELP
    )
    parser: argparse.ArgumentParser = group.add_parser(name, parents=[verbose], **kwargs)
    parser.set_defaults(parser=parser)
    return parser


def add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="configuration file (default: digest.toml)"
    )


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number
