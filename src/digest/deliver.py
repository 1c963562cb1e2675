"""Deliver: an issue goes to each recipient over SMTP (the only module that imports
smtplib and email_validator).

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
"""

from __future__ import annotations

import hashlib
import logging
import re
import smtplib
import socket
import ssl
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from email import quoprimime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid, parseaddr
from functools import partial
from pathlib import Path
from typing import Protocol

from email_validator import EmailNotValidError, validate_email

from digest.config import SendConfig
from digest.errors import ConfigError, InputError, SendError
from digest.models import Issue, OutcomeStatus, Problem
from digest.text import HEADER_CONTROL, decoded_header
from digest.unsubscribe import check_secret, is_personal, personal_url

log = logging.getLogger(__name__)

MAX_RETRY_DELAY = 300.0  # seconds: back-off stops doubling here
FIRST_SETTLE = 0.005  # seconds a final dot waits until the server's reading time is learnt
MAX_SETTLE = 2.0  # seconds a final dot waits at most (see _Gate)
NEAR_SERVER = 0.010  # seconds: the turn spans the reply of a server this quick (see _Gate)
SETTLE_SAMPLES = 20  # messages over which the server's reading time is estimated
SETTLE_QUANTILE = 0.25  # the wait covers the reading time of this share of recent bodies
SETTLE_SHADE = 0.9  # wait this share of the estimate; below 1, or the wait feeds on itself
_URL_CHARS = re.compile(r"[!-~]+")  # printable ASCII, no space: safe inside <...>
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")  # dot-atoms


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


# Addresses


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


def message_id(issue: Issue, recipient: str, sender: str) -> str:
    """The same Message-ID for the same issue and recipient, every time it is made."""
    person = hashlib.sha256(recipient.lower().encode()).hexdigest()[:16]
    return f"<{issue.id[:16]}.{person}@{_domain(sender)}>"


def _domain(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"


# Messages


@dataclass(frozen=True)
class Letter:
    """Everything every copy of an issue shares."""

    issue: Issue
    sender: str  # "Name <address>" or an address; checked
    list_id: str | None = None  # the dot-atom; default: title slug + sender's domain
    unsubscribe_url: str | None = None  # https, http or mailto; may hold {email}, {token}
    unsubscribe_mailto: str | None = None  # an address or a mailto: URL
    unsubscribe_secret: str | None = None  # the key of {token}s (DIGEST_UNSUBSCRIBE_SECRET)


# The per-reader unsubscribe URL's place in the encoded body: letters and digits only,
# which quoted-printable leaves as they are, so only its soft line breaks need finding.
_SLOT = "Xdigest7unsubscribe7slot{}X"
_SLOTS = re.compile(
    b"|".join(
        b"(?:=\r\n)?".join(re.escape(bytes([c])) for c in _SLOT.format(n).encode()) for n in (0, 1)
    )
)


class Composer:
    """Makes each recipient's copy: the shared part is encoded once; To, Message-ID and
    a per-reader unsubscribe URL are all that differ between copies."""

    def __init__(self, letter: Letter, date: str | None = None) -> None:
        issue = letter.issue
        check_headers(issue)
        check_address(letter.sender, "DIGEST_FROM")
        self.letter = letter
        self.sender = parseaddr(letter.sender)[1]
        message = EmailMessage(policy=SMTP)
        message["From"] = letter.sender
        message["Subject"] = issue.subject
        message["Date"] = date or formatdate(localtime=True)
        list_id = letter.list_id or f"{_slug(issue.title)}.{_domain(letter.sender)}"
        message["List-Id"] = f"{issue.title} <{list_id}>"
        html, text = issue.html, issue.text
        self.template = letter.unsubscribe_url if is_personal(letter.unsubscribe_url) else None
        if self.template:
            check_secret(self.template, letter.unsubscribe_secret)
            # Slot 1: the URL as the HTML writes it (&amp;), slot 0: as it is.
            html = html.replace(_html_form(self.template), _SLOT.format(1))
            html = html.replace(self.template, _SLOT.format(0))
            text = text.replace(self.template, _SLOT.format(0))
        # Plain text that quoted-printable keeps readable; the HTML is one line of tens of
        # kilobytes, which quoted-printable breaks into lines under SMTP's 998 limit.
        message.set_content(text, cte="quoted-printable")
        message.add_alternative(html, subtype="html", cte="quoted-printable")
        self.head, _, body = message.as_bytes().partition(b"\r\n\r\n")
        self.body: list[bytes | int] = _split_slots(body) if self.template else [body]
        # The List-Unsubscribe URLs are written as they are: the email package would
        # encode a long URL as an encoded word, which no mail client can follow.
        self.list_headers = b"" if self.template else b"".join(_list_headers(letter))
        self.stuffed = [_stuff(p) if isinstance(p, bytes) else p for p in self.body]
        if not body.endswith(b"\r\n"):
            self.stuffed.append(b"\r\n")
        if self.template:  # a bad template fails now, not at the first recipient
            example = personal_url(self.template, "a@example.org", letter.unsubscribe_secret)
            list(_list_headers(letter, example))

    def compose(self, recipient: str, msgid: str) -> bytes:
        """The message for ``recipient``, as an .eml file holds it (CRLF line ends)."""
        return b"".join(self._parts(recipient, msgid, self.body, _as_is))

    def wire(self, recipient: str, msgid: str) -> bytes:
        """The message as DATA carries it: dot-stuffed, ending in CRLF (the final dot apart)."""
        # The shared body was stuffed once: stuffing a whole copy takes most of a
        # millisecond, holding the GIL while another connection's 250 may wait for it.
        return b"".join(self._parts(recipient, msgid, self.stuffed, _stuff))

    def _parts(
        self,
        recipient: str,
        msgid: str,
        body: list[bytes | int],
        stuff: Callable[[bytes], bytes],
    ) -> Iterator[bytes]:
        """The copy's pieces; each begins a line, so each can be dot-stuffed on its own."""
        yield stuff(_own_head(recipient, msgid) + self.head + b"\r\n")
        encoded: list[bytes] = []
        if not self.template:
            yield stuff(self.list_headers + b"\r\n")
        else:
            url = personal_url(self.template, recipient, self.letter.unsubscribe_secret)
            yield stuff(b"".join(_list_headers(self.letter, url)) + b"\r\n")
            # Each URL on lines of its own between soft line breaks, which decoders drop.
            forms = (url, _html_form(url))
            encoded = [stuff(b"=\r\n" + _quoted(form) + b"=\r\n") for form in forms]
        for part in body:
            yield part if isinstance(part, bytes) else encoded[part]


def _as_is(part: bytes) -> bytes:
    return part


def _stuff(part: bytes) -> bytes:
    """``part``, which begins a line, with a dot doubled at the start of each line."""
    return (b"." + part if part.startswith(b".") else part).replace(b"\n.", b"\n..")


def _own_head(recipient: str, msgid: str) -> bytes:
    """The To and Message-ID headers of one copy."""
    bracketed = msgid[:1] == "<" and msgid[-1:] == ">"
    if bracketed and _PLAIN_ADDRESS.fullmatch(recipient) and _PLAIN_ADDRESS.fullmatch(msgid[1:-1]):
        # What the email package writes for these, without its parser (0.3 ms a copy).
        return f"To: {recipient}\r\nMessage-ID: {msgid}\r\n".encode()
    own = EmailMessage(policy=SMTP)
    own["To"] = recipient
    own["Message-ID"] = msgid
    return own.as_bytes()[:-2]


def _quoted(url: str) -> bytes:
    return quoprimime.body_encode(url, 76, "\r\n").encode()


def _html_form(url: str) -> str:
    return url.replace("&", "&amp;")


def _split_slots(body: bytes) -> list[bytes | int]:
    """The encoded body cut at each slot: bytes, then the slot's number, and so on."""
    parts: list[bytes | int] = []
    at = 0
    for match in _SLOTS.finditer(body):
        slot = int(match[0].replace(b"=\r\n", b"")[-2:-1])
        parts += [body[at : match.start()], slot]
        at = match.end()
    parts.append(body[at:])
    return parts


def check_headers(issue: Issue) -> None:
    """Raise ConfigError when the issue's own subject or title cannot go in a header."""
    for name, value in (("subject", issue.subject), ("title", issue.title)):
        try:
            shown = decoded_header(value)  # what a mail program makes of encoded words
        except ValueError:
            shown = "\n"
        if HEADER_CONTROL.search(value) or HEADER_CONTROL.search(shown):
            raise ConfigError(f"the {name} {value!r} contains a line break or control character")


def _list_headers(letter: Letter, url: str | None = None) -> Iterable[bytes]:
    """List-Unsubscribe (and -Post) with ``url``, this reader's, or the letter's own."""
    urls = []
    if url or letter.unsubscribe_url:
        urls.append(url or letter.unsubscribe_url or "")
    if letter.unsubscribe_mailto:
        mailto = letter.unsubscribe_mailto
        if not mailto.startswith("mailto:"):
            mailto = f"mailto:{check_address(mailto, 'DIGEST_UNSUBSCRIBE_MAILTO')}"
            mailto += "?subject=unsubscribe"
        if mailto not in urls:
            urls.append(mailto)
    for each in urls:
        if not _URL_CHARS.fullmatch(each):
            raise ConfigError(
                f"unsubscribe address {each!r} must be printable ASCII without spaces "
                "(percent-encode anything else)"
            )
    if urls:
        yield b"List-Unsubscribe: " + ",\r\n ".join(f"<{u}>" for u in urls).encode() + b"\r\n"
    if any(u.startswith("https://") for u in urls):
        # RFC 8058: a POST to the https URL unsubscribes, with no page to click through.
        yield b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "digest"


def fresh_message_id(sender: str) -> str:
    """A new Message-ID, for a test copy that must not shadow the real one."""
    return make_msgid("test", domain=_domain(sender))


# Sending


class _Temporary(Exception):
    """Worth another try; ``reconnect`` when the connection is gone or in doubt."""

    def __init__(self, message: str, *, reconnect: bool = False) -> None:
        super().__init__(message)
        self.reconnect = reconnect


class _Permanent(Exception):
    """This recipient cannot be reached with this message."""


class Connection:
    """One SMTP connection, opened on first use and again after it drops."""

    def __init__(self, config: SendConfig, sender: str, gate: _Gate | None = None) -> None:
        if not config.host:
            raise ConfigError("SMTP_HOST is not set: no server to send through")
        self.config = config
        self.sender = sender  # the envelope sender: a bare address
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
                raise _Temporary(f"{self.where}: {_reply(exc)}", reconnect=True) from None
            raise SendError(self._scrub(f"{self.where}: {_reply(exc)}")) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise _Temporary(
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

    def transmit(
        self,
        recipient: str,
        data: bytes,
        sending: Callable[[], None],
        accepted: Callable[[], None],
    ) -> None:
        """Send one message, ``data`` as ``Composer.wire`` makes it; ``sending`` is called
        before its final dot, ``accepted`` the moment its 250 arrives, nothing in between."""
        smtp = self.open()
        try:
            self._expect(smtp.mail(self.sender), (250,), "MAIL FROM", fatal=True)
            self._expect(smtp.rcpt(recipient), (250, 251), "RCPT TO")
            self._expect(smtp.docmd("DATA"), (354,), "DATA")
        except UnicodeEncodeError:
            # smtplib sends commands as ASCII: this address can never go, the next may.
            self._forget(smtp)
            raise _Permanent(f"RCPT TO: {recipient!r} is not an ASCII address") from None
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

    def _lost(self, smtp: smtplib.SMTP, exc: BaseException) -> _Temporary:
        self.smtp = None  # the server may have seen any part of it: start afresh
        smtp.close()
        return _Temporary(f"{self.where}: {_describe(exc)}", reconnect=True)

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
            raise _Temporary(message, reconnect=True)
        self._forget(self.smtp)
        if 400 <= code < 500:
            raise _Temporary(message)
        if fatal:
            raise SendError(
                f"{self.where}: the server refuses the sender: {message}",
                hint="check DIGEST_FROM and what the provider allows",
            )
        raise _Permanent(message)

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
    composer: Composer,
    recipients: Sequence[tuple[str, str]],
    config: SendConfig,
    journal: Journal | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> Report:
    """Send each (recipient, Message-ID) its copy; the journal hears every outcome.

    ``config.connections`` threads each hold a connection and take the next recipient
    in turn. Stops early, saying why in ``Report.stopped``, when the server cannot be
    reached after every attempt or refuses the login or the sender; those not reached
    are left for the next run. The outcomes come in the order of ``recipients``.
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

    def work() -> None:
        connection = Connection(config, composer.sender, gate)
        try:
            while not stop.is_set():
                with taking:
                    recipient, msgid = next(queue, ("", ""))
                if not recipient:
                    return
                data = composer.wire(recipient, msgid)
                outcome, lost = _deliver_one(
                    connection, recipient, data, config, serial, pace, sleep
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
            opened.append(connection.opened)

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
    connection: Connection,
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
            connection.transmit(
                recipient, data, partial(journal.sending, recipient), partial(journal.done, sent)
            )
        except _Permanent as exc:
            outcome = Outcome(recipient, OutcomeStatus.FAILED, attempt, str(exc))
            journal.done(outcome)
            return outcome, False
        except _Temporary as exc:
            error, lost = str(exc), exc.reconnect
            continue
        return sent, False
    outcome = Outcome(recipient, OutcomeStatus.DEFERRED, config.attempts, error)
    journal.done(outcome)
    return outcome, lost


def write_outbox(
    composer: Composer, recipients: Sequence[tuple[str, str]], directory: Path
) -> list[Path]:
    """Write each recipient's copy as an .eml file in ``directory``; nothing is sent."""
    paths = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for n, (recipient, msgid) in enumerate(recipients, 1):
            name = re.sub(r"[^A-Za-z0-9@._+-]", "_", recipient)
            path = directory / f"{n:04d}-{name}.eml"
            path.write_bytes(composer.compose(recipient, msgid))
            paths.append(path)
    except OSError as exc:
        raise InputError(str(directory), f"cannot write the outbox: {exc.strerror or exc}") from exc
    return paths
