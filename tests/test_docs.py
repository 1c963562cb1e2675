"""The documentation covers what the code has: every command, flag and exit code, every
setting of digest.toml and every variable of .env. The pages are read from docs/ (all of
them: a command may be documented on its own page)."""

import argparse
import re

from digest import config
from digest.cli import make_parser
from digest.errors import DigestError
from tests.conftest import ROOT

DOCS = ROOT / "docs"


def pages() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md"))}


def commands(parser: argparse.ArgumentParser, prefix: str = "digest"):
    """(``digest eval stories``, its parser) for every command that takes no subcommand."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = list(commands(sub, f"{prefix} {name}"))
                yield from nested or [(f"{prefix} {name}", sub)]


def headings() -> list[str]:
    text = "\n".join(pages().values())
    return [line for line in text.splitlines() if line.startswith("#")]


def test_every_command_has_a_heading_that_shows_each_of_its_flags():
    found = headings()
    for name, parser in commands(make_parser()):
        heading = next((h for h in found if f"`{name} " in h or f"`{name}`" in h), None)
        assert heading is not None, f"no heading for {name}"
        for action in parser._actions:
            flags = [o for o in action.option_strings if o.startswith("--")]
            if flags and flags[0] not in ("--help", "--verbose"):
                assert flags[0] in heading, f"{name}: {flags[0]} is not in {heading!r}"
    assert "Every command takes `-v` / `--verbose`" in pages()["commands.md"]


def test_every_exit_code_is_in_the_table():
    table = pages()["commands.md"].split("## Exit codes", 1)[1]
    codes = {0, 1, 2, 130, 141}
    stack = [DigestError]
    while stack:
        error = stack.pop()
        codes.add(error.exit_code)
        stack.extend(error.__subclasses__())
    for code in sorted(codes):
        assert f"\n| {code} |" in table, code


def sections(page: str) -> dict[str, str]:
    """The page's ``## heading`` sections, by heading."""
    parts = re.split(r"^## (.*)$", page, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_setting_is_documented_in_its_tables_section():
    by_heading = sections(pages()["configuration.md"])
    tables = {
        "`[digest]`": config.DIGEST_KEYS,
        "`[[sources]]`": config.SOURCE_KEYS,
        "`[filters]`": config.FILTER_KEYS,
        "`[send]`": config.SEND_KEYS,
        "`[stories]`": config.STORIES_KEYS,
    }
    assert {f"`[{t}]`" for t in config.TABLES} - {"`[sources]`"} | {"`[[sources]]`"} <= set(
        by_heading
    )
    for heading, keys in tables.items():
        for key in sorted(keys):
            assert f"| `{key}` |" in by_heading[heading], f"{heading} {key}"


def test_every_environment_variable_is_documented():
    env = sections(pages()["configuration.md"])["The environment and `.env`"]
    for name in sorted(config.ENV_KEYS | {"SSL_CERT_FILE"}):
        assert f"`{name}`" in env, name
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in sorted(config.ENV_KEYS):
        assert f"# {name}=" in example, f".env.example lacks {name}"


def test_the_readme_stays_short_and_every_page_is_in_the_nav():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 220
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for name in pages():
        assert f": {name}" in nav, f"{name} is not in mkdocs.yml's nav"
