"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, STARTTLS, AUTH required.

The certificate is made at test time (cryptography); clients trust it through
SSL_CERT_FILE. The mailbox records every accepted message and can be told to answer
4xx or 5xx, to drop the connection, to slow down, or to block until released.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

USERNAME = "digest-user"
PASSWORD = "s3cret-Pa55word-never-shown"


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost; returns (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    peer: object

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class Mailbox:
    """The server's handler: records what it accepts, misbehaves when told to."""

    received: list[Received] = field(default_factory=list)
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)  # address -> replies
    data_replies: dict[str, list[str]] = field(default_factory=dict)  # first rcpt -> replies
    drop_at: set[int] = field(default_factory=set)  # message numbers (1-based) to drop
    delay: float = 0.0  # seconds to spend on each message before accepting it
    block_rcpt_after: int | None = None  # after this many messages, RCPT waits for release
    block_data_after: int | None = None  # ... or the end of data waits for release
    blocked: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    data_count: int = 0
    accepting: int = 0  # messages between their final dot and the reply, now
    most_accepting: int = 0  # ... and at most, so far
    lock: threading.Lock = field(default_factory=threading.Lock)

    def by_recipient(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for message in self.received:
            for rcpt in message.rcpt_tos:
                counts[rcpt] = counts.get(rcpt, 0) + 1
        return counts

    async def _wait_for_release(self) -> None:
        self.blocked.set()
        while not self.release.is_set():
            await asyncio.sleep(0.01)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.block_rcpt_after is not None and len(self.received) >= self.block_rcpt_after:
            await self._wait_for_release()
        queued = self.rcpt_replies.get(address)
        if queued:
            return queued.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_count += 1
            number = self.data_count
            self.accepting += 1
            self.most_accepting = max(self.most_accepting, self.accepting)
        try:
            return await self._accept(server, session, envelope, number)
        finally:
            with self.lock:
                self.accepting -= 1

    async def _accept(self, server, session, envelope, number):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.block_data_after is not None and len(self.received) >= self.block_data_after:
            await self._wait_for_release()
        if number in self.drop_at:
            server.transport.close()  # the message is lost with the connection
            return "421 closing"
        queued = self.data_replies.get(envelope.rcpt_tos[0])
        if queued:
            return queued.pop(0)
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, session.peer)
        )
        return "250 Message accepted for delivery"


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USERNAME.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


def free_port() -> int:
    """A port free now on 127.0.0.1 (aiosmtpd's Controller does not take port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    controller: Controller
    mailbox: Mailbox
    port: int
    cert: Path

    def env(self, security: str = "starttls") -> dict[str, str]:
        """The environment a client needs to send through this server."""
        return {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.port),
            "SMTP_USERNAME": USERNAME,
            "SMTP_PASSWORD": PASSWORD,
            "SMTP_SECURITY": security,
            "SSL_CERT_FILE": str(self.cert),
        }

    def stop(self) -> None:
        self.mailbox.release.set()
        self.controller.stop()


def start(directory: Path, mailbox: Mailbox | None = None, *, implicit_tls: bool = False) -> Server:
    """Start a server on 127.0.0.1: STARTTLS (or implicit TLS), AUTH required after TLS."""
    cert, key = make_certificate(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = mailbox or Mailbox()
    port = free_port()
    # aiosmtpd does not know an implicit-TLS session is encrypted and would never offer
    # AUTH there, so only STARTTLS can insist on TLS before AUTH.
    tls = (
        {"ssl_context": context, "auth_require_tls": False}
        if implicit_tls
        else {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
    )
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        server_hostname="localhost",
        auth_required=True,
        authenticator=_authenticate,
        **tls,
    )
    controller.start()
    return Server(controller, mailbox, port, cert)
