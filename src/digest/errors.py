"""Errors a user can cause, each with its exit code and a hint.

    DigestError                 exit 1
     ├── UsageError             exit 2   command-line arguments that do not go together
     ├── ConfigError            exit 3   the configuration file or .env is wrong
     ├── InputError             exit 4   a file named on the command line is unusable
     ├── NoArticlesError        exit 5   no source gave a usable article
     ├── AllSourcesFailedError  exit 6   every source failed (network, feed, page errors)
     ├── LintError              exit 7   the digest failed lint: it is not sent
     ├── AlreadyRunningError    exit 8   another `digest run` or `send` (or a build) holds a lock
     ├── SendError              exit 9   some recipients did not get the issue (yet)
     ├── StateError             exit 1   the state store cannot be opened or is damaged
     └── TemplateError          exit 1   a template cannot be loaded or rendered

Exit code 2 is for usage errors, as argparse uses it for bad command-line arguments.
Catch ``DigestError`` to handle them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digest.models import Problem


class DigestError(Exception):
    exit_code = 1
    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class UsageError(DigestError):
    """Arguments that do not go together."""

    exit_code = 2


class ConfigError(DigestError):
    exit_code = 3
    hint = "check the configuration file (digest.toml) and .env; see docs/configuration.md"


class InputError(DigestError):
    """One input (a file, later a feed or page) cannot be used; says which and why."""

    exit_code = 4

    def __init__(self, origin: str, reason: str) -> None:
        super().__init__(f"{origin}: {reason}")
        self.origin = origin
        self.reason = reason


class NoArticlesError(DigestError):
    exit_code = 5
    hint = "add articles to the content directory or check the warnings above"

    def __init__(
        self, message: str, problems: tuple[Problem, ...] = (), *, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems  # the files and sources skipped, for the warnings


class AllSourcesFailedError(DigestError):
    """Every configured source failed; one failing source alone is only a warning."""

    exit_code = 6
    hint = "check the network and the warnings above; no item was marked as used"

    def __init__(self, message: str, problems: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems  # one per failed source, for the warnings


class LintError(DigestError):
    """The built digest failed lint, so it is not sent; nothing is recorded as used."""

    exit_code = 7
    hint = "fix the findings above (see `digest lint --sending`), then run again"

    def __init__(
        self, message: str, findings: tuple[object, ...] = (), problems: tuple[Problem, ...] = ()
    ) -> None:
        super().__init__(message)
        self.findings = findings
        self.problems = problems  # the files and sources skipped, for the warnings


class AlreadyRunningError(DigestError):
    """Another run holds the run lock, or another build the store's; this one does nothing."""

    exit_code = 8


class SendError(DigestError):
    """Delivery stopped or some recipients were not reached; the ledger says who."""

    exit_code = 9
    hint = "the next `digest run` or `digest send` retries those not yet sent"


class StateError(DigestError):
    """The state store cannot be opened or is damaged (another holder is AlreadyRunningError)."""

    hint = "check the state directory (state_dir in digest.toml or DIGEST_STATE_DIR)"


class TemplateError(DigestError):
    hint = "check your templates directory; built-in templates are in templates/email/"
