"""Recipients: each address checked before it reaches SMTP (the only module that
imports email_validator)."""

from __future__ import annotations

from email.utils import parseaddr

from email_validator import EmailNotValidError, validate_email

from digest.config import SendConfig
from digest.errors import ConfigError
from digest.models import Problem


def check_address(value: str, where: str) -> str:
    """The address in ``value`` (a bare address, or "Name <address>"), normalised, ASCII.

    Raises ConfigError naming ``where`` when it is not a usable address; a line break
    anywhere is refused, since it could smuggle a second SMTP command or header.
    """
    if "\r" in value or "\n" in value:
        raise ConfigError(f"{where}: an address must not contain a line break")
    _, address = parseaddr(value)
    try:
        checked = validate_email(address or value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise ConfigError(f"{where}: {value!r} is not a valid email address: {exc}") from exc
    # An internationalised domain in its ASCII (punycode) form: SMTP without SMTPUTF8
    # cannot carry anything else, and the local part is ASCII already (no SMTPUTF8).
    return checked.ascii_email or checked.normalized


def read_recipients(config: SendConfig) -> tuple[tuple[str, ...], tuple[Problem, ...]]:
    """The valid recipients of DIGEST_TO and DIGEST_RECIPIENTS_FILE, each once, in order.

    A bad address is a problem (say which and where) and is skipped; the rest go on.
    Addresses are lower-cased, local part too: the ledger knows a reader by the address,
    and a change of case in the list must not send the issue twice.
    """
    lines: list[tuple[str, str]] = [(a, "DIGEST_TO") for a in config.to]
    if config.recipients_file is not None:
        path = config.recipients_file
        try:
            content = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ConfigError(f"{path}: cannot read the recipients file: {reason}") from exc
        for n, line in enumerate(content.splitlines(), 1):
            line = line.strip()
            if line and not line.startswith("#"):
                lines.append((line, f"{path}:{n}"))
    recipients: dict[str, str] = {}
    problems = []
    for value, where in lines:
        try:
            address = check_address(value, where)
        except ConfigError as exc:
            problems.append(Problem(where, f"skipped: {str(exc).removeprefix(where + ': ')}"))
            continue
        recipients.setdefault(address.lower(), address.lower())
    return tuple(recipients.values()), tuple(problems)


def domain_of(address: str) -> str:
    """The domain of ``address`` (a bare address or "Name <address>"), or "localhost"."""
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"
