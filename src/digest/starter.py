"""`digest init [DIR]`: a directory to start a newsletter in, from the shipped samples.

It writes ``digest.toml`` (every setting, commented), a private ``.env`` (every
variable, commented) and ``content/`` (sample articles), and never overwrites a file:
everything is checked before anything is written, and each file is created exclusively.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from digest.errors import InputError
from digest.shipped import shipped

_NEVER_OVERWRITES = "already exists; digest init never overwrites a file"
# The shipped files open with "Copy to ...": what `init` did instead.
_CONFIG_HEAD = "# Copy to digest.toml and edit."
_ENV_HEAD = (
    "# Copy to .env, make it private (chmod 600 .env: a .env others can read gives a warning)\n"
    "# and fill in."
)


@dataclass(frozen=True)
class Started:
    """What ``start_newsletter`` wrote."""

    directory: Path
    config: Path
    env: Path
    articles: tuple[Path, ...]


def start_newsletter(directory: Path) -> Started:
    """Write digest.toml, .env (mode 0600) and content/ into ``directory``.

    Raises InputError, naming the file, when any of them is there already (a content
    directory that is not empty counts: samples must not mix with articles of your own).
    """
    samples = sorted(p for p in shipped("sample/content").iterdir() if p.is_file())
    config, env, content = directory / "digest.toml", directory / ".env", directory / "content"
    for path in (config, env):
        if path.exists() or path.is_symlink():
            raise InputError(str(path), _NEVER_OVERWRITES)
    if content.is_symlink() or (content.exists() and not content.is_dir()):
        raise InputError(str(content), "already exists and is not a directory")
    if content.is_dir() and any(content.iterdir()):
        raise InputError(
            str(content), "already exists and is not empty; digest init writes sample articles"
        )
    try:
        content.mkdir(parents=True, exist_ok=True)
        _create(config, _settings(), private=False)
        _create(env, _environment(), private=True)
        written = [_copy(sample, content / sample.name) for sample in samples]
    except FileExistsError as exc:  # made by someone else since the check above
        raise InputError(str(exc.filename), _NEVER_OVERWRITES) from exc
    except OSError as exc:
        where = str(exc.filename or directory)
        raise InputError(where, f"cannot be written: {exc.strerror}") from exc
    return Started(directory, config, env, tuple(written))


def next_steps(started: Started) -> str:
    """The three steps after ``digest init``, to print."""
    where = started.directory
    into = "" if where == Path(".") else f"cd {where}, then "
    return (
        f"Wrote {started.config}, {started.env} (readable by you alone) and "
        f"{len(started.articles)} sample articles in {where / 'content'}\n"
        "Next:\n"
        f"  1. {into}fill in .env: SMTP_HOST, SMTP_USERNAME, SMTP_PASSWORD, DIGEST_FROM, "
        "DIGEST_TO\n"
        "  2. put your feeds in digest.toml in place of the sample source, then `digest build` "
        "and open out/digest.html\n"
        "  3. send yourself a test copy with `digest send --to YOU@EXAMPLE.ORG`, then run "
        "`digest run` from cron or a systemd timer\n"
    )


def _settings() -> str:
    text = shipped("sample/digest.example.toml").read_text(encoding="utf-8")
    return text.replace(_CONFIG_HEAD, "# Written by `digest init`; edit it.", 1)


def _environment() -> str:
    text = shipped("sample/env.example").read_text(encoding="utf-8")
    head = "# Written by `digest init`, readable by you alone (0600): fill it in.\n#"
    return text.replace(_ENV_HEAD, head, 1)


def _create(path: Path, text: str, *, private: bool) -> Path:
    """Write a new file; a private one is 0600 from the start, never readable by others."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o666)
    if private:
        os.fchmod(fd, 0o600)  # read and write for the owner, whatever the umask
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
    return path


def _copy(source: Path, target: Path) -> Path:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    with os.fdopen(fd, "wb") as file:
        file.write(source.read_bytes())
    return target
