"""Secrets and per-machine settings from the environment, where .env files fill in what it
does not set."""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from digest.config.checks import check_url, did_you_mean, scheduler_address
from digest.config.settings import (
    DEFAULT_CONFIG,
    SECURITY_MODES,
    Config,
    SendConfig,
    Workers,
)
from digest.errors import ConfigError
from digest.private import warn_if_readable
from digest.unsubscribe import check_secret, check_template
from digest.urls import LINK_PREFIXES

log = logging.getLogger(__name__)


def load_environment(config: Path | None = None) -> dict[str, str]:
    """The process environment over the .env beside the configuration file (``config``,
    or the one ``DIGEST_CONFIG`` names, or ./digest.toml) over ./.env; nothing is modified.
    """
    here = _read_dotenv(Path(".env"))
    path = config_path(config, {**here, **os.environ})
    values = {**here, **(_read_dotenv(path.parent / ".env") if path else {})}
    values.update(os.environ)
    return values


def apply_environment(config: Path | None = None) -> None:
    """Set each value of the .env files (see ``load_environment``) that the process
    environment does not have, as python-dotenv's ``load_dotenv`` does."""
    for key, value in load_environment(config).items():
        os.environ.setdefault(key, value)


def _read_dotenv(path: Path) -> dict[str, str]:
    try:
        values = {k: v for k, v in dotenv_values(path).items() if v is not None}
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte offset {exc.start})") from exc
    if held := [key for key in _SECRETS if values.get(key)]:
        warn_if_readable(path, " and ".join(held))
    _check_env_keys(values, path)
    return values


_SECRETS = (
    "SMTP_PASSWORD",
    "DIGEST_UNSUBSCRIBE_SECRET",
    "DIGEST_HEARTBEAT_URL",
    "BOUNCE_IMAP_PASSWORD",
)


# Every variable digest reads; a .env's other DIGEST_*, SMTP_* and BOUNCE_* names are likely
# typos.
ENV_KEYS = frozenset(
    {
        "DIGEST_CONFIG",
        "DIGEST_STATE_DIR",
        "DIGEST_WORKERS",
        "DIGEST_DASK_SCHEDULER",
        "DIGEST_FROM",
        "DIGEST_TO",
        "DIGEST_RECIPIENTS_FILE",
        "DIGEST_UNSUBSCRIBE_URL",
        "DIGEST_UNSUBSCRIBE_MAILTO",
        "DIGEST_UNSUBSCRIBE_SECRET",
        "DIGEST_HEARTBEAT_URL",
        "SMTP_HOST",
        "SMTP_PORT",
        "SMTP_USERNAME",
        "SMTP_PASSWORD",
        "SMTP_SECURITY",
        "SMTP_ALLOW_CLEARTEXT_LOGIN",
        "BOUNCE_IMAP_HOST",
        "BOUNCE_IMAP_PORT",
        "BOUNCE_IMAP_USERNAME",
        "BOUNCE_IMAP_PASSWORD",
        "BOUNCE_IMAP_SECURITY",
        "BOUNCE_IMAP_FOLDER",
        "BOUNCE_IMAP_DONE_FOLDER",
        "BOUNCE_SOFT_LIMIT",
        "BOUNCE_SOFT_DAYS",
        "DIGEST_DKIM_SELECTOR",
        "DIGEST_DKIM_DOMAIN",
        "DIGEST_DKIM_KEY_FILE",
    }
)


_warned_keys: set[tuple[Path, str]] = set()  # each once a process: .env is read more than once


def _check_env_keys(values: Mapping[str, str], path: Path) -> None:
    """Warn of a DIGEST_*, SMTP_* or BOUNCE_* variable in ``path`` that digest does not read."""
    for key in sorted(values):
        if not key.startswith(("DIGEST_", "SMTP_", "BOUNCE_")) or key in ENV_KEYS:
            continue
        seen = (path.resolve(), key)
        if seen not in _warned_keys:
            _warned_keys.add(seen)
            log.warning("%s: unknown variable %r (%s)", path, key, did_you_mean(key, ENV_KEYS))


def config_path(path: Path | None, env: Mapping[str, str]) -> Path | None:
    """The configuration file to read: ``path``, $DIGEST_CONFIG, ./digest.toml or none."""
    if path is None and env.get("DIGEST_CONFIG"):
        path = Path(env["DIGEST_CONFIG"])
    if path is None and DEFAULT_CONFIG.is_file():
        path = DEFAULT_CONFIG
    return path


def with_environment(config: Config, env: Mapping[str, str]) -> Config:
    """Per-machine settings from the environment win over the file."""
    if env.get("DIGEST_STATE_DIR"):
        config = replace(config, state_dir=Path(env["DIGEST_STATE_DIR"]))
    if env.get("DIGEST_HEARTBEAT_URL", "").strip():
        url = env["DIGEST_HEARTBEAT_URL"].strip()
        check_url("DIGEST_HEARTBEAT_URL", url, ("https://", "http://"))
        config = replace(config, heartbeat_url=url)
    if env.get("DIGEST_UNSUBSCRIBE_URL"):
        url = env["DIGEST_UNSUBSCRIBE_URL"].strip()
        check_url("DIGEST_UNSUBSCRIBE_URL", url, LINK_PREFIXES)
        check_template(url, "DIGEST_UNSUBSCRIBE_URL")
        config = replace(config, unsubscribe_url=url)
    config = replace(
        config, send=_send_environment(config.send, env), workers=_workers(config.workers, env)
    )
    check_unsubscribe(config)
    return config


def check_unsubscribe(config: Config) -> None:
    """A {token} needs a strong secret; an {email} alone lets anyone unsubscribe anyone."""
    url = config.unsubscribe_url
    if not url:
        return
    if "{token}" in url and config.send.unsubscribe_secret is not None:
        check_secret(url, config.send.unsubscribe_secret)
    if "{email}" in url and "{token}" not in url:
        log.warning(
            "the unsubscribe URL %s holds {email} but no {token}: anyone who knows an address "
            "can unsubscribe it; add &token={token} (and DIGEST_UNSUBSCRIBE_SECRET) and have "
            "the endpoint check it with digest.unsubscribe.verify_token",
            url,
        )


def _workers(workers: Workers, env: Mapping[str, str]) -> Workers:
    """DIGEST_WORKERS and DIGEST_DASK_SCHEDULER: how much this machine (or cluster) gives."""
    if env.get("DIGEST_WORKERS", "").strip():
        count = env["DIGEST_WORKERS"].strip()
        if not count.isdigit() or int(count) < 1:
            raise ConfigError(f"DIGEST_WORKERS must be a whole number of at least 1, not {count!r}")
        workers = replace(workers, count=int(count))
    if env.get("DIGEST_DASK_SCHEDULER", "").strip():
        address = env["DIGEST_DASK_SCHEDULER"].strip()
        workers = replace(
            workers, dask_scheduler=scheduler_address(address, "DIGEST_DASK_SCHEDULER")
        )
    return workers


def _send_environment(send: SendConfig, env: Mapping[str, str]) -> SendConfig:
    """The SMTP server, login, sender and recipients from the environment (or .env)."""
    values: dict[str, Any] = {}
    for name, key in (
        ("host", "SMTP_HOST"),
        ("username", "SMTP_USERNAME"),
        ("password", "SMTP_PASSWORD"),
        ("sender", "DIGEST_FROM"),
        ("unsubscribe_mailto", "DIGEST_UNSUBSCRIBE_MAILTO"),
        ("unsubscribe_secret", "DIGEST_UNSUBSCRIBE_SECRET"),
        ("dkim_selector", "DIGEST_DKIM_SELECTOR"),
        ("dkim_domain", "DIGEST_DKIM_DOMAIN"),
    ):
        if env.get(key, "").strip():
            secret = name in ("password", "unsubscribe_secret")
            values[name] = env[key] if secret else env[key].strip()
    if env.get("SMTP_PORT", "").strip():
        port = env["SMTP_PORT"].strip()
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"SMTP_PORT must be a port number (1-65535), not {port!r}")
        values["port"] = int(port)
    if env.get("SMTP_SECURITY", "").strip():
        security = env["SMTP_SECURITY"].strip().lower()
        if security not in SECURITY_MODES:
            raise ConfigError(
                f"SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, not {security!r}"
            )
        values["security"] = security
    if env.get("DIGEST_TO", "").strip():
        values["to"] = tuple(a.strip() for a in env["DIGEST_TO"].split(",") if a.strip())
    if env.get("DIGEST_RECIPIENTS_FILE", "").strip():
        values["recipients_file"] = Path(env["DIGEST_RECIPIENTS_FILE"].strip())
    if env.get("DIGEST_DKIM_KEY_FILE", "").strip():
        values["dkim_key_file"] = Path(env["DIGEST_DKIM_KEY_FILE"].strip())
    if env.get("SMTP_ALLOW_CLEARTEXT_LOGIN", "").strip():
        allow = env["SMTP_ALLOW_CLEARTEXT_LOGIN"].strip().lower()
        if allow not in ("1", "true", "yes", "0", "false", "no"):
            raise ConfigError(f"SMTP_ALLOW_CLEARTEXT_LOGIN must be true or false, not {allow!r}")
        values["allow_cleartext_login"] = allow in ("1", "true", "yes")
    send = replace(send, **values)
    _check_cleartext_login(send)
    _check_dkim(send)
    _check_verp(send)
    return send


_DNS_NAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*"
)


def _check_dkim(send: SendConfig) -> None:
    """A selector and a key file go together; each name must be a DNS name."""
    if bool(send.dkim_selector) != bool(send.dkim_key_file) or (
        send.dkim_domain and not send.dkim_key_file
    ):
        given = "DIGEST_DKIM_SELECTOR" if send.dkim_selector else "DIGEST_DKIM_DOMAIN"
        missing = "DIGEST_DKIM_KEY_FILE"
        if send.dkim_key_file:
            given, missing = "DIGEST_DKIM_KEY_FILE", "DIGEST_DKIM_SELECTOR"
        raise ConfigError(
            f"{given} is set but {missing} is not: DKIM signing needs a selector and a key file",
            hint="set both (see docs/deliverability.md), or neither to send unsigned",
        )
    for name, value in (
        ("DIGEST_DKIM_SELECTOR", send.dkim_selector),
        ("DIGEST_DKIM_DOMAIN", send.dkim_domain),
    ):
        if value and not _DNS_NAME.fullmatch(value):
            raise ConfigError(f"{name} must be a DNS name such as news2026, not {value!r}")


def _check_verp(send: SendConfig) -> None:
    """VERP makes each reader's envelope sender from the bounce address and the secret."""
    if not send.verp:
        return
    if not send.bounce_address:
        raise ConfigError(
            "[send] verp = true needs [send] bounce_address: the address bounces come back to",
            hint='add bounce_address = "bounces@example.org" to [send]',
        )
    if not send.unsubscribe_secret:
        raise ConfigError(
            "[send] verp = true needs DIGEST_UNSUBSCRIBE_SECRET: each reader's envelope "
            "sender carries a token made with it",
            hint="set DIGEST_UNSUBSCRIBE_SECRET in .env to the output of: "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'",
        )
    check_secret("{token}", send.unsubscribe_secret)


def _check_cleartext_login(send: SendConfig) -> None:
    """Refuse to send a password unencrypted over the network (security "none")."""
    if send.security != "none" or not send.username or send.allow_cleartext_login:
        return
    if send.host is None or is_loopback(send.host):
        return  # a relay on this machine: the password never crosses a network
    raise ConfigError(
        f"SMTP_SECURITY is none but SMTP_USERNAME is set: the password would cross the "
        f"network to {send.host} unencrypted",
        hint="use SMTP_SECURITY=starttls or ssl; if the network is private and trusted, "
        "set SMTP_ALLOW_CLEARTEXT_LOGIN=true",
    )


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, no lookup) is this machine's loopback."""
    host = host.strip().strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
