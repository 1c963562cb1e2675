"""Configuration: digest settings and sources from TOML, secrets from the environment.

Settings live in a TOML file (``digest.toml`` in the working directory, or the file
``--config`` or ``DIGEST_CONFIG`` names); relative paths in it are relative to the file.
Secrets come from the environment, where a ``.env`` file in the working directory fills
in whatever the environment does not set.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from digest.errors import ConfigError

DEFAULT_CONFIG = Path("digest.toml")
URL_SCHEMES = ("https://", "http://", "mailto:")
LANG_CODES = {
    "english": "en", "german": "de", "french": "fr", "spanish": "es", "italian": "it",
    "portuguese": "pt", "dutch": "nl", "czech": "cs", "slovak": "sk", "greek": "el",
    "hebrew": "he", "japanese": "ja", "chinese": "zh", "korean": "ko", "ukrainian": "uk",
    "russian": "ru", "arabic": "ar", "swedish": "sv", "danish": "da", "norwegian": "no",
    "finnish": "fi", "polish": "pl", "hungarian": "hu", "romanian": "ro", "turkish": "tr",
}  # fmt: skip
ALGORITHMS = ("digest", "lexrank", "lsa", "textrank", "luhn", "sumbasic", "kl")


SOURCE_KINDS = ("path", "feed", "page", "opml")
WINDOW = re.compile(r"^\s*(\d+)\s*([hd])\s*$")
DEFAULT_STATE_DIR = Path(".digest-state")


@dataclass(frozen=True)
class Source:
    """A place articles come from: a local directory, a feed URL, a page URL or an OPML file.

    Exactly one of ``path``, ``feed``, ``page`` and ``opml`` is set.
    """

    path: Path | None = None
    name: str | None = None
    feed: str | None = None
    page: str | None = None
    opml: Path | None = None
    section: str | None = None
    include: tuple[str, ...] = ()  # keep only items that mention one of these
    exclude: tuple[str, ...] = ()  # drop items that mention one of these
    max_items: int | None = None  # at most this many items, newest first

    @property
    def location(self) -> str:
        """Where the source is, for messages."""
        return str(self.path or self.feed or self.page or self.opml)


@dataclass(frozen=True)
class Config:
    title: str = "Digest"
    intro: str | None = None
    language: str = "english"
    sentences: int = 3
    max_items: int = 20
    algorithm: str = "digest"
    out_dir: Path = Path("out")
    templates_dir: Path | None = None
    web_url: str | None = None  # the web version's address; "{date}" becomes YYYY-MM-DD
    unsubscribe_url: str | None = None
    sender_name: str | None = None
    postal_address: str | None = None
    sections: tuple[str, ...] = ()  # the order of sections in the email
    sources: tuple[Source, ...] = field(default=(Source(Path("content")),))
    path: Path | None = None  # the file this came from, if any
    state_dir: Path = DEFAULT_STATE_DIR  # the state store: items seen and used, runs
    window: str = "since-last-run"  # or "48h", "7d": how far back a build looks
    new_feed_items: int = 5  # a feed seen for the first time gives at most this many


def load_environment(env_file: Path = Path(".env")) -> dict[str, str]:
    """The process environment over the values of ``env_file``; neither is modified."""
    values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    values.update(os.environ)
    return values


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """The configuration from ``path``, ``$DIGEST_CONFIG``, ``./digest.toml`` or defaults."""
    env = load_environment() if env is None else env
    if path is None and env.get("DIGEST_CONFIG"):
        path = Path(env["DIGEST_CONFIG"])
    if path is None:
        if not DEFAULT_CONFIG.is_file():
            return _with_environment(Config(), env)
        path = DEFAULT_CONFIG
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: configuration file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return _with_environment(parse_config(data, base=path.parent, origin=path), env)


def _with_environment(config: Config, env: Mapping[str, str]) -> Config:
    """Per-machine settings from the environment win over the file."""
    if env.get("DIGEST_STATE_DIR"):
        config = replace(config, state_dir=Path(env["DIGEST_STATE_DIR"]))
    return config


def parse_config(data: Mapping[str, Any], base: Path, origin: Path | None = None) -> Config:
    """A Config from parsed TOML; paths are resolved against ``base``."""
    where = str(origin or "configuration")
    _check_keys(data, {"digest", "sources"}, where)
    settings = data.get("digest", {})
    if not isinstance(settings, dict):
        raise ConfigError(f"{where}: [digest] must be a table")
    known = {f.name for f in fields(Config)} - {"sources", "path"}
    _check_keys(settings, known, f"{where} [digest]")

    values: dict[str, Any] = {}
    for name in ("title", "intro", "language", "algorithm"):
        if name in settings:
            values[name] = _typed(settings[name], str, f"{where}: digest.{name}")
    for name in ("sentences", "max_items", "new_feed_items"):
        if name in settings:
            number = _typed(settings[name], int, f"{where}: digest.{name}")
            if number < 1:
                raise ConfigError(f"{where}: digest.{name} must be at least 1, not {number}")
            values[name] = number
    for name in ("out_dir", "templates_dir", "state_dir"):
        if name in settings:
            values[name] = base / _typed(settings[name], str, f"{where}: digest.{name}")
    for name in ("web_url", "unsubscribe_url", "sender_name", "postal_address"):
        if name in settings:
            values[name] = _typed(settings[name], str, f"{where}: digest.{name}").strip() or None
    for name, schemes in (("web_url", ("https://", "http://")), ("unsubscribe_url", URL_SCHEMES)):
        if values.get(name) and not values[name].startswith(schemes):
            raise ConfigError(
                f"{where}: digest.{name} must be an absolute URL starting with "
                + " or ".join(schemes)
                + f", not {values[name]!r}"
            )
    if "sections" in settings:
        values["sections"] = _parse_sections(settings["sections"], f"{where}: digest.sections")
    values.setdefault("state_dir", base / DEFAULT_STATE_DIR)
    if "window" in settings:
        window = _typed(settings["window"], str, f"{where}: digest.window")
        if window != "since-last-run" and not WINDOW.match(window):
            raise ConfigError(
                f'{where}: digest.window {window!r} must be "since-last-run" or hours or '
                'days such as "48h" or "7d"'
            )
        values["window"] = window.strip()
    if values.get("algorithm", "digest") not in ALGORITHMS:
        raise ConfigError(
            f"{where}: digest.algorithm {values['algorithm']!r} is not one of "
            + ", ".join(ALGORITHMS)
        )
    if "sources" in data:
        values["sources"] = _parse_sources(data["sources"], base, where)
    return Config(**values, path=origin)


def _parse_sections(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(name, str) and name.strip() for name in raw):
        raise ConfigError(f"{where} must be a list of section names, not {raw!r}")
    return tuple(dict.fromkeys(name.strip() for name in raw))


def html_lang(language: str) -> str:
    """The HTML ``lang`` code for a sumy language name; English when unknown."""
    return LANG_CODES.get(language.lower(), "en")


def _parse_sources(raw: Any, base: Path, where: str) -> tuple[Source, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}: sources must be a non-empty list of [[sources]] tables")
    sources = []
    for i, entry in enumerate(raw, 1):
        label = f"{where} source {i}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{label}: must be a table")
        _check_keys(
            entry, {*SOURCE_KINDS, "name", "section", "include", "exclude", "max_items"}, label
        )
        kinds = [kind for kind in SOURCE_KINDS if kind in entry]
        if len(kinds) != 1:
            raise ConfigError(f"{label}: needs a path, feed, page or opml (exactly one)")
        kind = kinds[0]
        location = _typed(entry[kind], str, f"{label}: {kind}")
        values: dict[str, Any] = {}
        if kind in ("path", "opml"):
            values[kind] = base / location
        else:
            if not re.match(r"^https?://[^/\s]+", location, re.IGNORECASE):
                raise ConfigError(f"{label}: {kind} must be an http or https URL, not {location!r}")
            values[kind] = location
        for key in ("name", "section"):
            if key in entry:
                values[key] = _typed(entry[key], str, f"{label}: {key}")
        for key in ("include", "exclude"):
            if key in entry:
                words = entry[key]
                if isinstance(words, str):
                    words = [words]
                if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                    raise ConfigError(f"{label}: {key} must be a list of strings")
                values[key] = tuple(w for w in words if w.strip())
        if "max_items" in entry:
            number = _typed(entry["max_items"], int, f"{label}: max_items")
            if number < 1:
                raise ConfigError(f"{label}: max_items must be at least 1, not {number}")
            values["max_items"] = number
        sources.append(Source(**values))
    return tuple(sources)


def _check_keys(table: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(known))})"
        )


_KIND_NAMES = {str: "a string", int: "a whole number"}


def _typed(value: Any, kind: type, where: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ConfigError(f"{where} must be {_KIND_NAMES[kind]}, not {value!r}")
    return value
