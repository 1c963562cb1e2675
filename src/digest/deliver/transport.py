"""Transport: messages to the SMTP server (the only module that imports smtplib).

``[send] connections`` SMTP sessions (default 4) send in parallel, each in its own
thread, all within the one ``[send] rate``; a connection is reused for every message
and opened again when the server drops it. Temporary failures (4xx replies, a dropped
connection, a timeout) are retried with exponential back-off; a permanent failure (5xx)
is that recipient's outcome, and the others go on. A ``Journal`` hears each outcome the
moment the server's reply arrives (one call at a time, whatever the thread), so the
caller can record it before anything else happens.

The at-least-once gap of SMTP: a server may accept a message (its 250 after the final
dot) just before the sender dies, leaving no record of the acceptance. ``Journal.sending``
hears of a message before its final dot; a crash before then cannot deliver anything,
and a crash after it, before ``Journal.done`` has recorded the 250, leaves the recipient
marked "sending", to be sent again with the same Message-ID (mailbox providers drop a
second message whose Message-ID they already hold). ``_Gate`` keeps that gap short and
lets at most one message of all the connections be in it.

``deliver`` works through a ``Transport``, one per connection: ``SmtpTransport`` for the
real thing; a test of the threads, retries and journal can hand it anything with the
same one-message ``send``.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from digest.config import SendConfig
from digest.errors import ConfigError, SendError
from digest.models import OutcomeStatus

log = logging.getLogger(__name__)

MAX_RETRY_DELAY = 300.0  # seconds: back-off stops doubling here
FIRST_SETTLE = 0.005  # seconds a final dot waits until the server's reading time is learnt
MAX_SETTLE = 2.0  # seconds a final dot waits at most (see _Gate)
NEAR_SERVER = 0.010  # seconds: the turn spans the reply of a server this quick (see _Gate)
SETTLE_SAMPLES = 20  # messages over which the server's reading time is estimated
SETTLE_QUANTILE = 0.25  # the wait covers the reading time of this share of recent bodies
SETTLE_SHADE = 0.9  # wait this share of the estimate; below 1, or the wait feeds on itself


class Journal(Protocol):
    """Hears each step of a delivery as it happens; never two calls at once."""

    def sending(self, recipient: str) -> None:
        """The message is about to go: once its final dot follows, the server may accept it."""

    def done(self, outcome: Outcome) -> None:
        """The recipient's outcome for this run."""


@dataclass(frozen=True)
class Outcome:
    recipient: str
    status: OutcomeStatus
    attempts: int
    error: str | None = None


@dataclass(frozen=True)
class Report:
    """What one delivery run did; ``stopped`` says why it ended early, if it did."""

    outcomes: tuple[Outcome, ...]
    stopped: str | None = None

    def with_status(self, status: OutcomeStatus) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == status)


# Sending


class TemporaryFailure(Exception):
    """Worth another try; ``reconnect`` when the connection is gone or in doubt.

    What a ``Transport`` raises for a 4xx reply, a dropped connection or a timeout."""

    def __init__(self, message: str, *, reconnect: bool = False) -> None:
        super().__init__(message)
        self.reconnect = reconnect


class PermanentFailure(Exception):
    """This recipient cannot be reached with this message (a 5xx reply); the others go on."""


class Transport(Protocol):
    """One channel to the mail server, as httpx's ``BaseTransport`` is to a web server.

    ``deliver`` opens one for each connection it runs and sends every message through
    ``send``; a ``SendError`` stops the whole delivery (the server refuses the login or
    the sender), a ``TemporaryFailure`` is tried again, a ``PermanentFailure`` is the
    recipient's outcome."""

    def send(
        self,
        sender: str,
        recipient: str,
        data: bytes,
        sending: Callable[[], None],
        accepted: Callable[[], None],
    ) -> None:
        """Send ``data`` (dot-stuffed, as DATA carries it) from ``sender`` (the envelope's,
        MAIL FROM) to ``recipient``; call ``sending`` just before the message can be
        accepted and ``accepted`` the moment it is, nothing in between."""

    def close(self) -> None:
        """Let the connection go, if one is open."""


class Copies(Protocol):
    """Each reader's copy of the message, and who it comes from (see message.Composer)."""

    def wire(self, recipient: str, msgid: str) -> bytes:
        """The copy as DATA carries it."""

    def envelope_sender(self, recipient: str) -> str:
        """The envelope sender (MAIL FROM, later the Return-Path) of ``recipient``'s copy."""


class SmtpTransport:
    """One SMTP connection, opened on first use and again after it drops."""

    def __init__(self, config: SendConfig, gate: _Gate | None = None) -> None:
        if not config.host:
            raise ConfigError("SMTP_HOST is not set: no server to send through")
        self.config = config
        self.smtp: smtplib.SMTP | None = None
        self.opened = 0  # connections made, for the report
        self.gate = gate or _Gate()

    @property
    def where(self) -> str:
        return f"{self.config.host}:{self.config.smtp_port}"

    def open(self) -> smtplib.SMTP:
        if self.smtp is not None:
            return self.smtp
        c = self.config
        context = ssl.create_default_context()
        try:
            if c.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    c.host or "", c.smtp_port, timeout=c.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(c.host or "", c.smtp_port, timeout=c.timeout)
            try:
                smtp.ehlo()
                if c.security == "starttls":
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if c.username:
                    smtp.login(c.username, c.password or "")
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(
                self._scrub(
                    f"{self.where}: login refused for SMTP_USERNAME {c.username!r}: {_reply(exc)}"
                ),
                hint="check SMTP_USERNAME and SMTP_PASSWORD",
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise SendError(
                f"{self.where}: the server does not support {exc}",
                hint="check SMTP_SECURITY (starttls, ssl or none) and SMTP_PORT",
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise SendError(
                f"{self.where}: the server's certificate is not trusted: {exc.verify_message}",
                hint="for a private CA, point SSL_CERT_FILE at its certificate",
            ) from None
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise TemporaryFailure(f"{self.where}: {_reply(exc)}", reconnect=True) from None
            raise SendError(self._scrub(f"{self.where}: {_reply(exc)}")) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(
                f"{self.where}: cannot connect: {_describe(exc)}", reconnect=True
            ) from None
        _linger(smtp, on=True)
        if smtp.sock is not None:  # the final dot goes at once, not after a delayed ACK
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.smtp = smtp
        self.opened += 1
        return smtp

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return
        try:
            _linger(smtp, on=False)  # all is said: an orderly close
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    def send(
        self,
        sender: str,
        recipient: str,
        data: bytes,
        sending: Callable[[], None],
        accepted: Callable[[], None],
    ) -> None:
        """Send one message, ``data`` as ``Composer.wire`` makes it; ``sending`` is called
        before its final dot, ``accepted`` the moment its 250 arrives, nothing in between."""
        smtp = self.open()
        try:
            self._expect(smtp.mail(sender), (250,), "MAIL FROM", fatal=True)
            self._expect(smtp.rcpt(recipient), (250, 251), "RCPT TO")
            self._expect(smtp.docmd("DATA"), (354,), "DATA")
        except UnicodeEncodeError:
            # smtplib sends commands as ASCII: this address can never go, the next may.
            self._forget(smtp)
            raise PermanentFailure(f"RCPT TO: {recipient!r} is not an ASCII address") from None
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise self._lost(smtp, exc) from None
        # smtplib's data() in steps, so the ledger hears of the message before its dot
        # and of the 250 before anything else happens (see _Gate).
        near = self.gate.near
        with self.gate.turn:
            try:
                smtp.send(data)
                body = time.monotonic()
                sending()  # after the body, before the dot: a crash before it sends nothing
                held = self.gate.hold(body)
                dot = time.monotonic()
                smtp.send(b".\r\n")
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                raise self._lost(smtp, exc) from None
            if near:
                reply = self._reply(smtp, accepted)
        if not near:
            reply = self._reply(smtp, accepted)
        self.gate.learn(held, time.monotonic() - dot)
        self._expect(reply, (250,), "end of data")

    def _reply(self, smtp: smtplib.SMTP, accepted: Callable[[], None]) -> tuple[int, bytes]:
        """The reply to a final dot; ``accepted`` is called at once if it is a 250."""
        try:
            reply = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise self._lost(smtp, exc) from None
        if reply[0] == 250:
            accepted()
        return reply

    def _lost(self, smtp: smtplib.SMTP, exc: BaseException) -> TemporaryFailure:
        self.smtp = None  # the server may have seen any part of it: start afresh
        smtp.close()
        return TemporaryFailure(f"{self.where}: {_describe(exc)}", reconnect=True)

    def _expect(
        self, reply: tuple[int, bytes], codes: tuple[int, ...], step: str, *, fatal: bool = False
    ) -> None:
        code, text = reply
        if code in codes:
            return
        message = f"{step}: {code} {text.decode('utf-8', 'replace')}".strip()
        assert self.smtp is not None
        if code == 421 or code == -1:  # the server is closing the connection
            self.smtp.close()
            self.smtp = None
            raise TemporaryFailure(message, reconnect=True)
        self._forget(self.smtp)
        if 400 <= code < 500:
            raise TemporaryFailure(message)
        if fatal:
            raise SendError(
                f"{self.where}: the server refuses the sender: {message}",
                hint="check DIGEST_FROM, [send] bounce_address and what the provider allows",
            )
        raise PermanentFailure(message)

    def _forget(self, smtp: smtplib.SMTP) -> None:
        """Forget the transaction in progress, keeping the connection if it still answers."""
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            smtp.close()
            self.smtp = None

    def _scrub(self, text: str) -> str:
        password = self.config.password
        return text.replace(password, "********") if password else text


def _linger(smtp: smtplib.SMTP, *, on: bool) -> None:
    """While ``on``, the connection is reset, not closed, if this process dies.

    A message whose final dot is still in the server's buffers when the sender dies is
    then dropped by a server that sees the reset before it has read that far, rather
    than accepted with no one left to record it (a duplicate on the next run).
    """
    if smtp.sock is not None:
        smtp.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", int(on), 0))


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{exc.smtp_code} {text}".strip()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


class _Pace:
    """At most ``rate`` messages a second (0: no limit), whichever thread sends them."""

    def __init__(self, rate: float, sleep: Callable[[float], None]) -> None:
        self.interval = 1 / rate if rate > 0 else 0.0
        self.sleep = sleep
        self.next = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:  # each caller takes the next free slot, then sleeps until it
            now = time.monotonic()
            slot = max(now, self.next)
            self.next = slot + self.interval
        if slot > now:
            self.sleep(slot - now)


class _Gate:
    """The order in which message bodies and final dots reach the server, shared by
    every connection of a delivery.

    Once a final dot has reached the server, it accepts the message even if this
    process dies that instant (the server reads what reached it before it sees the
    connection reset): a duplicate on the next run, unless the 250 has been recorded.
    Duplicates per crash are thus the messages a second times the seconds from a dot
    to its record. So one connection at a time (``turn``) sends its body, holds the dot
    until the server has likely read the body (``settle``, learnt from how long the 250s
    take), sends it, and records the 250 before the next body goes: the server reaches
    each dot with nothing else to read, and no other connection's work (another body,
    another record) delays this one's 250 or its record. The others meanwhile exchange
    MAIL, RCPT and DATA, which cost the server little.

    Holding the turn through the reply allows one message per reply time. A near server
    (a local relay, a provider's nearby edge) replies within ``NEAR_SERVER``, so that is
    100 messages a second or more; with a distant one it would be a few, whatever
    ``connections`` says. There the turn ends at the dot, so that the connections wait
    for their 250s side by side, and a kill may find one message per connection in the
    gap.
    """

    def __init__(self) -> None:
        self.turn = threading.Lock()
        # Seconds a dot waits after its body. A wait too long costs only time; a dot sent
        # too soon widens the gap, so the first dots wait long and the wait learns down.
        self.settle = FIRST_SETTLE
        self.quickest: float | None = None  # the shortest wait for a 250 seen: a round trip
        self.took: deque[float] = deque(maxlen=SETTLE_SAMPLES)  # body read, at most, lately
        self.lock = threading.Lock()  # for learning, which every connection does

    @property
    def near(self) -> bool:
        """Whether the server's quickest reply to a dot came within ``NEAR_SERVER``."""
        return self.quickest is None or self.quickest <= NEAR_SERVER

    def hold(self, since: float) -> float:
        """Wait for the server to read the body sent at ``since``; returns the seconds since."""
        left = since + self.settle - time.monotonic()
        if left > 0:
            time.sleep(left)
        return time.monotonic() - since

    def learn(self, held: float, waited: float) -> None:
        """``held``: seconds the dot waited after its body; ``waited``: for the reply after."""
        with self.lock:
            self.quickest = waited if self.quickest is None else min(self.quickest, waited)
            # At most what reading the body took (exactly that, when the dot came too soon).
            self.took.append(held + waited - self.quickest)
            # A low quantile, shaded down: a dot held too long shortens the next wait, and
            # a stall of the machine now and then does not stretch every wait after it. (A
            # high one feeds on itself: a server left idle longer answers later, and that
            # reads as a longer reading time.)
            took = sorted(self.took)[int(SETTLE_QUANTILE * (len(self.took) - 1))]
            self.settle = min(MAX_SETTLE, SETTLE_SHADE * took)


class _Silent:
    def sending(self, recipient: str) -> None:
        pass

    def done(self, outcome: Outcome) -> None:
        pass


class _Serial:
    """A journal that hears one call at a time, from whichever thread."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.lock = threading.Lock()
        self.outcomes: list[Outcome] = []

    def sending(self, recipient: str) -> None:
        with self.lock:
            self.journal.sending(recipient)

    def done(self, outcome: Outcome) -> None:
        with self.lock:
            self.journal.done(outcome)
            self.outcomes.append(outcome)


def deliver(
    composer: Copies,
    recipients: Sequence[tuple[str, str]],
    config: SendConfig,
    journal: Journal | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    transport: Callable[[], Transport] | None = None,
) -> Report:
    """Send each (recipient, Message-ID) its copy; the journal hears every outcome.

    ``config.connections`` threads each hold a connection (``transport()``, by default
    an ``SmtpTransport`` to ``config.host``) and take the next recipient in turn. Stops
    early, saying why in ``Report.stopped``, when the server cannot be reached after
    every attempt or refuses the login or the sender; those not reached are left for
    the next run. The outcomes come in the order of ``recipients``.
    """
    serial = _Serial(journal or _Silent())
    pace = _Pace(config.rate, sleep)
    queue = iter(recipients)
    taking = threading.Lock()
    stop = threading.Event()
    stopped: list[str] = []
    errors: list[BaseException] = []
    opened: list[int] = []

    gate = _Gate()
    connect = transport or partial(SmtpTransport, config, gate)

    def work() -> None:
        connection = connect()
        try:
            while not stop.is_set():
                with taking:
                    recipient, msgid = next(queue, ("", ""))
                if not recipient:
                    return
                data = composer.wire(recipient, msgid)
                sender = composer.envelope_sender(recipient)
                outcome, lost = _deliver_one(
                    connection, sender, recipient, data, config, serial, pace, sleep
                )
                if lost:  # the server is unreachable: the others would only wait in turn
                    stopped.append(outcome.error or "the server cannot be reached")
                    stop.set()
        except SendError as exc:
            own = vars(exc).get("hint")  # its own; the class's is about retrying later
            stopped.append(f"{exc} ({own})" if own else str(exc))
            stop.set()
        except BaseException as exc:  # a journal that cannot write, say: re-raised below
            errors.append(exc)
            stop.set()
        finally:
            connection.close()
            opened.append(getattr(connection, "opened", 0))

    count = max(1, min(config.connections, len(recipients)))
    if count == 1:
        work()
    else:
        threads = [threading.Thread(target=work, name=f"smtp-{n}") for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    log.info("delivery used %d connection(s)", sum(opened))
    if errors:
        raise errors[0]
    order = {recipient: n for n, (recipient, _) in enumerate(recipients)}
    outcomes = sorted(serial.outcomes, key=lambda o: order[o.recipient])
    return Report(tuple(outcomes), stopped=stopped[0] if stopped else None)


def _deliver_one(
    connection: Transport,
    sender: str,
    recipient: str,
    data: bytes,
    config: SendConfig,
    journal: Journal,
    pace: _Pace,
    sleep: Callable[[float], None],
) -> tuple[Outcome, bool]:
    """One recipient's outcome, told to the journal, and whether the connection is lost."""
    error = ""
    lost = False
    for attempt in range(1, config.attempts + 1):
        if attempt > 1:
            delay = min(config.retry_delay * 2 ** (attempt - 2), MAX_RETRY_DELAY)
            log.info("%s: %s; trying again in %.1f s", recipient, error, delay)
            sleep(delay)
        pace.wait()
        sent = Outcome(recipient, OutcomeStatus.SENT, attempt)
        try:
            connection.send(
                sender,
                recipient,
                data,
                partial(journal.sending, recipient),
                partial(journal.done, sent),
            )
        except PermanentFailure as exc:
            outcome = Outcome(recipient, OutcomeStatus.FAILED, attempt, str(exc))
            journal.done(outcome)
            return outcome, False
        except TemporaryFailure as exc:
            error, lost = str(exc), exc.reconnect
            continue
        return sent, False
    outcome = Outcome(recipient, OutcomeStatus.DEFERRED, config.attempts, error)
    journal.done(outcome)
    return outcome, lost
