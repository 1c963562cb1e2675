"""Configuration: digest settings and sources from TOML, secrets from the environment.

Settings live in a TOML file (``digest.toml`` in the working directory, or the file
``--config`` or ``DIGEST_CONFIG`` names); relative paths in it are relative to the file.
Secrets come from the environment, where ``.env`` files fill in whatever it does not
set: first the ``.env`` beside the configuration file, then the one in the working
directory. ``apply_environment`` puts those values into the process environment, so
that what reads it directly (``SSL_CERT_FILE`` for TLS) sees them too.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from digest.config.environment import (
    ENV_KEYS,
    apply_environment,
    config_path,
    is_loopback,
    load_environment,
    with_environment,
)
from digest.config.settings import (
    ALGORITHMS,
    ALL_CORES,
    DEFAULT_CONFIG,
    DEFAULT_PORTS,
    DEFAULT_STATE_DIR,
    DEFAULT_SUBJECT,
    DIGEST_KEYS,
    FILTER_KEYS,
    LANG_CODES,
    RANKINGS,
    SECURITY_MODES,
    SEND_KEYS,
    SOURCE_KEYS,
    SOURCE_KINDS,
    STORIES_KEYS,
    SUBJECT_FIELDS,
    TABLES,
    Config,
    SendConfig,
    Source,
    StoriesConfig,
    Workers,
    html_lang,
)
from digest.config.toml import WINDOW, parse_config
from digest.errors import ConfigError


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """The configuration from ``path``, ``$DIGEST_CONFIG``, ``./digest.toml`` or defaults."""
    env = load_environment(path) if env is None else env
    path = config_path(path, env)
    if path is None:
        return with_environment(Config(), env)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: configuration file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return with_environment(parse_config(data, base=path.parent, origin=path), env)


__all__ = [
    "ALGORITHMS",
    "ALL_CORES",
    "DEFAULT_CONFIG",
    "DEFAULT_PORTS",
    "DEFAULT_STATE_DIR",
    "DEFAULT_SUBJECT",
    "DIGEST_KEYS",
    "ENV_KEYS",
    "FILTER_KEYS",
    "LANG_CODES",
    "RANKINGS",
    "SECURITY_MODES",
    "SEND_KEYS",
    "SOURCE_KEYS",
    "SOURCE_KINDS",
    "STORIES_KEYS",
    "SUBJECT_FIELDS",
    "TABLES",
    "WINDOW",
    "Config",
    "ConfigError",
    "SendConfig",
    "Source",
    "StoriesConfig",
    "Workers",
    "apply_environment",
    "html_lang",
    "is_loopback",
    "load_config",
    "load_environment",
    "parse_config",
]
