"""Deliver: an issue goes to each recipient over SMTP.

- ``addresses``: the recipients, each checked before it reaches SMTP;
- ``message``: the issue's MIME, composed once, and each reader's copy (DKIM-signed by
  ``signing`` when a key is set);
- ``transport``: the copies to the server, in parallel, paced and retried, behind the
  one-method ``Transport`` seam (the only module that imports smtplib).

Delivery never imports the core or the store: it reports through a ``Journal``.
"""

from digest.deliver.addresses import check_address, domain_of, read_recipients
from digest.deliver.message import (
    Composer,
    Letter,
    check_headers,
    fresh_message_id,
    message_id,
    write_outbox,
)
from digest.deliver.signing import DkimKey, configured_key
from digest.deliver.transport import (
    FIRST_SETTLE,
    Journal,
    Outcome,
    PermanentFailure,
    Report,
    SmtpTransport,
    TemporaryFailure,
    Transport,
    _Gate,
    deliver,
)

__all__ = [
    "FIRST_SETTLE",
    "Composer",
    "DkimKey",
    "Journal",
    "Letter",
    "Outcome",
    "PermanentFailure",
    "Report",
    "SmtpTransport",
    "TemporaryFailure",
    "Transport",
    "_Gate",
    "check_address",
    "check_headers",
    "configured_key",
    "deliver",
    "domain_of",
    "fresh_message_id",
    "message_id",
    "read_recipients",
    "write_outbox",
]
