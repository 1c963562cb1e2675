"""Messages: the MIME of an issue, composed once, and each reader's copy of it (To,
Message-ID, unsubscribe links, and a DKIM signature over them when a key is set)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email import quoprimime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from digest.deliver.addresses import check_address, domain_of
from digest.deliver.signing import BodyHash, DkimKey
from digest.errors import ConfigError, InputError
from digest.models import Issue
from digest.text import HEADER_CONTROL, decoded_header
from digest.unsubscribe import check_secret, is_personal, personal_url, unsubscribe_token

_URL_CHARS = re.compile(r"[!-~]+")  # printable ASCII, no space: safe inside <...>
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")  # dot-atoms


def message_id(issue: Issue, recipient: str, sender: str) -> str:
    """The same Message-ID for the same issue and recipient, every time it is made."""
    person = hashlib.sha256(recipient.lower().encode()).hexdigest()[:16]
    return f"<{issue.id[:16]}.{person}@{domain_of(sender)}>"


@dataclass(frozen=True)
class Letter:
    """Everything every copy of an issue shares."""

    issue: Issue
    sender: str  # "Name <address>" or an address; checked
    list_id: str | None = None  # the dot-atom; default: title slug + sender's domain
    unsubscribe_url: str | None = None  # https, http or mailto; may hold {email}, {token}
    unsubscribe_mailto: str | None = None  # an address or a mailto: URL
    unsubscribe_secret: str | None = None  # the key of {token}s (DIGEST_UNSUBSCRIBE_SECRET)
    dkim: DkimKey | None = None  # each copy is signed with it, when there is one
    bounce_address: str | None = None  # the envelope sender; default: the From address
    verp: bool = False  # each reader's envelope sender: local+TOKEN@domain of bounce_address


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
        self.bounce = self.sender
        if letter.bounce_address:
            self.bounce = check_address(letter.bounce_address, "[send] bounce_address")
            if letter.verp and not letter.unsubscribe_secret:
                raise ConfigError(
                    "[send] verp = true needs DIGEST_UNSUBSCRIBE_SECRET, the key of each "
                    "reader's envelope sender token"
                )
        message = EmailMessage(policy=SMTP)
        message["From"] = letter.sender
        message["Subject"] = issue.subject
        message["Date"] = date or formatdate(localtime=True)
        list_id = letter.list_id or f"{_slug(issue.title)}.{domain_of(letter.sender)}"
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
        # Canonicalised once, for every copy's signature.
        self.body_hash = BodyHash(self.body) if letter.dkim else None
        if self.template:  # a bad template fails now, not at the first recipient
            example = personal_url(self.template, "a@example.org", letter.unsubscribe_secret)
            list(_list_headers(letter, example))

    def envelope_sender(self, recipient: str) -> str:
        """The envelope sender (MAIL FROM, then the Return-Path) of ``recipient``'s copy:
        the bounce address or the From address; with VERP, ``local+TOKEN@domain``.

        A contract with whatever reads the bounces: TOKEN is
        ``unsubscribe_token(DIGEST_UNSUBSCRIBE_SECRET, recipient)``.
        """
        if not self.letter.verp or not self.letter.bounce_address:
            return self.bounce
        local, _, domain = self.bounce.rpartition("@")
        token = unsubscribe_token(self.letter.unsubscribe_secret or "", recipient)
        return f"{local}+{token}@{domain}"

    def compose(self, recipient: str, msgid: str) -> bytes:
        """The message for ``recipient``, as an .eml file holds it (CRLF line ends), signed
        when the letter has a DKIM key."""
        head, fills = self._own(recipient, msgid)
        body = (part if isinstance(part, bytes) else fills[part] for part in self.body)
        return self._signature(head, fills) + head + b"\r\n" + b"".join(body)

    def wire(self, recipient: str, msgid: str) -> bytes:
        """The message as DATA carries it: dot-stuffed, ending in CRLF (the final dot apart)."""
        # The shared body was stuffed once: stuffing a whole copy takes most of a
        # millisecond, holding the GIL while another connection's 250 may wait for it.
        # Each piece begins a line (a fill ends one), so each can be stuffed on its own.
        head, fills = self._own(recipient, msgid)
        stuffed = [_stuff(fill) for fill in fills]
        parts = [_stuff(self._signature(head, fills) + head + b"\r\n")]
        parts += (part if isinstance(part, bytes) else stuffed[part] for part in self.stuffed)
        return b"".join(parts)

    def _own(self, recipient: str, msgid: str) -> tuple[bytes, list[bytes]]:
        """The copy's headers (each line ending in CRLF, no blank line after them) and
        what goes in the body's slots: this reader's unsubscribe URL, as text and HTML."""
        head = _own_head(recipient, msgid) + self.head + b"\r\n"
        if not self.template:
            return head + self.list_headers, []
        url = personal_url(self.template, recipient, self.letter.unsubscribe_secret)
        # Each URL on lines of its own between soft line breaks, which decoders drop.
        fills = [b"=\r\n" + _quoted(form) + b"=\r\n" for form in (url, _html_form(url))]
        return head + b"".join(_list_headers(self.letter, url)), fills

    def _signature(self, head: bytes, fills: list[bytes]) -> bytes:
        """The DKIM-Signature of the copy, once its own parts are in; none without a key."""
        if self.letter.dkim is None or self.body_hash is None:
            return b""
        return self.letter.dkim.signature(head, self.body_hash.digest(fills))


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
    return make_msgid("test", domain=domain_of(sender))


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
