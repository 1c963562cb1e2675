"""The delivery loop (threads, retries, journal, envelope senders) through the one-method
``Transport`` seam: a transport that keeps what it is given, where a server adds nothing."""

from __future__ import annotations

import base64
from collections.abc import Callable

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from digest.config import SendConfig
from digest.deliver import (
    Composer,
    Letter,
    Outcome,
    PermanentFailure,
    TemporaryFailure,
    Transport,
    deliver,
)
from digest.deliver.signing import load_key
from digest.models import OutcomeStatus
from digest.unsubscribe import unsubscribe_token
from tests.smtp_server import PASSWORD, USERNAME
from tests.test_deliver_wire import PERSONAL, SECRET, dotty_issue

READERS = [("ann@example.com", "<a.1@example.org>"), ("bob@example.net", "<b.2@example.org>")]


class Keeper:
    """A transport that keeps each message; ``refuse`` maps a recipient to what to raise."""

    def __init__(self, kept: list[tuple[str, str, bytes]], refuse: dict[str, list[Exception]]):
        self.kept = kept
        self.refuse = refuse
        self.closed = False

    def send(
        self,
        sender: str,
        recipient: str,
        data: bytes,
        sending: Callable[[], None],
        accepted: Callable[[], None],
    ) -> None:
        if self.refuse.get(recipient):
            raise self.refuse[recipient].pop(0)
        sending()
        self.kept.append((sender, recipient, data))
        accepted()

    def close(self) -> None:
        self.closed = True


class Notes:
    def __init__(self) -> None:
        self.heard: list[str] = []

    def sending(self, recipient: str) -> None:
        self.heard.append(f"sending {recipient}")

    def done(self, outcome: Outcome) -> None:
        self.heard.append(f"{outcome.status} {outcome.recipient} {outcome.attempts}")


def test_any_transport_carries_the_copies_and_the_journal_hears_each_step():
    kept: list[tuple[str, str, bytes]] = []
    refuse: dict[str, list[Exception]] = {
        "ann@example.com": [TemporaryFailure("451 greylisted")],
        "bob@example.net": [PermanentFailure("550 no such user")],
    }
    transports: list[Keeper] = []

    def connect() -> Transport:
        transports.append(Keeper(kept, refuse))
        return transports[-1]

    letter = Letter(
        dotty_issue(),
        "news@example.org",
        bounce_address="bounces@example.org",
        verp=True,
        unsubscribe_secret=SECRET,
    )
    composer = Composer(letter)
    notes = Notes()
    config = SendConfig(host=None, rate=0, retry_delay=0, connections=1)

    report = deliver(composer, READERS, config, notes, transport=connect, sleep=lambda _: None)

    assert [(o.status, o.attempts) for o in report.outcomes] == [
        (OutcomeStatus.SENT, 2),
        (OutcomeStatus.FAILED, 1),
    ]
    assert notes.heard == [
        "sending ann@example.com",
        "sent ann@example.com 2",
        "failed bob@example.net 1",
    ]
    token = unsubscribe_token(SECRET, "ann@example.com")
    assert kept == [(f"bounces+{token}@example.org", "ann@example.com", composer.wire(*READERS[0]))]
    assert len(transports) == 1 and transports[0].closed


def test_a_signed_copy_whose_lines_begin_with_dots_verifies_as_the_server_got_it(smtp, tmp_path):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "dkim.pem"
    path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    key = load_key("s1", "example.org", path)
    letter = Letter(
        dotty_issue(),
        "news@example.org",
        unsubscribe_url=PERSONAL,
        unsubscribe_secret=SECRET,
        dkim=key,
    )
    config = SendConfig(
        host="127.0.0.1", port=smtp.port, username=USERNAME, password=PASSWORD, rate=0
    )

    report = deliver(Composer(letter), READERS, config)

    assert [o.status for o in report.outcomes] == [OutcomeStatus.SENT] * 2
    for received in smtp.mailbox.received:
        assert b"\r\n.x" in received.data  # un-stuffed by the server, as signed
        assert dkim.verify(received.data, dnsfunc=lambda name, timeout=5: record)
