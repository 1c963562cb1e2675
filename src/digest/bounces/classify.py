"""One raw message -> what it means for the list: ``classify(raw) -> Verdict``. Pure, no I/O.

The message is read in the order of how much its structure can be trusted:

1. an ARF feedback report (RFC 5965: ``multipart/report; report-type=feedback-report``
   with a ``message/feedback-report`` part) is a complaint about the original recipient;
2. a DSN (RFC 3464: a ``message/delivery-status`` part) names each recipient with its
   Action, Status and Diagnostic-Code; each is judged by :func:`reasons.judge`;
3. an RFC 3834 responder (``Auto-Submitted: auto-replied``, ``X-Autoreply``,
   ``Precedence: auto_reply``, an "Out of office" subject) that is not a bounce;
4. the many bouncers that send prose instead (qmail, Exim, old Sendmail, Exchange 2003,
   Japanese carriers, mailing-list managers): a message from a mailer daemon or with a
   bounce subject is read as text: its failed addresses are the addresses in the prose
   above the returned message (X-Failed-Recipients when Exim gives it), its cause the
   words around them.

Anything else is ``not-bounce``: never touched.
"""

from __future__ import annotations

import email
import email.header
import email.message
import re
from dataclasses import dataclass, field
from email import policy
from email.utils import getaddresses

from digest.bounces.events import is_ses_notification, parse_events
from digest.bounces.reasons import Kind, judge, status_in
from digest.errors import InputError

# The order in which one message's recipients decide the message's kind.
URGENCY = (
    Kind.COMPLAINT,
    Kind.HARD,
    Kind.SOFT,
    Kind.BLOCK,
    Kind.AUTO_REPLY,
    Kind.UNKNOWN,
    Kind.NOT_BOUNCE,
)
SUPPRESSING = frozenset({Kind.HARD, Kind.COMPLAINT})


@dataclass(frozen=True)
class Failure:
    """One recipient a bounce or complaint names."""

    address: str
    kind: Kind
    reason: str
    status: str = ""
    diagnostic: str = ""


@dataclass(frozen=True)
class Verdict:
    """What one message means: its kind, its failed recipients, where it was addressed."""

    kind: Kind
    failures: tuple[Failure, ...] = ()
    reason: str = ""
    # Every address the bounce was sent to or that the returned message came from (To,
    # Delivered-To, X-Original-To, Envelope-To, Return-Path ...): where a VERP token is.
    addressed_to: tuple[str, ...] = field(default=())

    @property
    def recipients(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.address for f in self.failures))


_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.A)
_DAEMON = re.compile(
    r"^(mailer-daemon|post_?master|mail-daemon|mailer|mmdf|mdaemon|root|nobody|mail|"
    r"double-bounce|bounce[s]?|no-?reply|ms-exchange[\w-]*|microsoftexchange[\w-]*)@",
    re.I,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery (status|failure|has failed|notification|problem)"
    r"|returned mail|mail delivery (failed|failure|system|subsystem|problem)|failure notice"
    r"|delivery failed|non.?delivery|could not (be )?deliver|not (been )?delivered"
    r"|failed delivery|mail (system )?error|bounce|rejected|warning: could not"
    r"|nondeliverable|unzustellbar|retour|mail could not|error sending|message not delivered",
    re.I,
)
_AUTO_SUBJECT = re.compile(
    r"out of (the )?office|automatic reply|auto.?reply|autoreply|auto.?response|vacation"
    r"|away from|\baway\b|on leave|abwesenheit|absence|^auto:",
    re.I,
)
# Where a prose bounce stops talking and the returned message begins.
_CUT = re.compile(
    r"^[ \t]*-+[ \t]*(original message|returned message|undelivered message|unsent message"
    r"|message headers? follows?|original headers)"
    r"|^[ \t]*-*[ \t]*(below this line is a copy|this is a copy of|headers? of the original"
    r"|message headers follow|included is a copy|a copy of the original|your message (reads"
    r"|follows)"
    r"|content-type: message/rfc822)"
    r"|^(return-path|received|message-id|dkim-signature|x-mailer|mime-version):",
    re.I | re.M,
)
# Addresses a prose bounce names that are not failed recipients: the sender in a
# transcript or summary, a help desk to write to.
_NOT_FAILED = re.compile(
    r"(?:\bfrom|sender|contact|reply-to|write to)\b:?[^\n@]{0,12}?<?"
    r"([\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+)",
    re.I | re.A,
)
_GROUPS = re.compile(r"groups\.google\.com|^\s*google groups\s*$", re.I | re.M)
_EMBEDDED_DSN = re.compile(r"^[ \t]*(final|original)-recipient[ \t]*:", re.I | re.M)
_RETURNED = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers", "message/global")
_DELIVERY_STATUS = (
    "message/delivery-status",
    "message/global-delivery-status",
    "text/delivery-status",
)


def classify(raw: bytes) -> Verdict:
    """What ``raw`` (one RFC 5322 message) means for the list."""
    message = email.message_from_bytes(raw, policy=policy.compat32)
    addressed = _addressed_to(message)
    parts = list(message.walk())
    for part in parts:
        if part.get_content_type() == "message/feedback-report":
            return _complaint(message, part, parts, addressed)
    for part in parts:
        if part.get_content_type() in _DELIVERY_STATUS:
            verdict = _dsn(message, part, parts, addressed)
            if verdict is not None:
                return verdict
    for part in parts:  # Microsoft's JMRP: a complaint that is not ARF
        reporter = part.get("x-hmxmroriginalrecipient")
        if reporter and "@" in str(reporter):
            address = str(reporter).strip().lower()
            failure = Failure(address, Kind.COMPLAINT, "complaint (Microsoft JMRP)")
            return Verdict(Kind.COMPLAINT, (failure,), failure.reason, addressed)
    body = _whole_text(parts)
    if is_ses_notification(body):  # SES notifications sent to an address
        verdict = _ses_mail(body, addressed)
        if verdict is not None:
            return verdict
    if _is_auto_reply(message) and not _looks_bounced(message):
        return Verdict(Kind.AUTO_REPLY, reason="auto-reply", addressed_to=addressed)
    if _looks_bounced(message):
        return _prose(message, parts, addressed)
    return Verdict(Kind.NOT_BOUNCE, addressed_to=addressed)


def _complaint(
    message: email.message.Message,
    report: email.message.Message,
    parts: list[email.message.Message],
    addressed: tuple[str, ...],
) -> Verdict:
    fields = _fields(_text_of(report))
    kind = (fields.get("feedback-type", [""])[0] or "abuse").lower()
    found = [
        a
        for key in ("original-rcpt-to", "removal-recipient")
        for a in _addresses_in(fields.get(key, []))
    ]
    if not found:
        returned = _returned_headers(parts)
        if returned is not None:
            found = [a for _, a in getaddresses(returned.get_all("to", []))]
    found = [a for a in found if "@" in a]
    failures = tuple(
        Failure(a.lower(), Kind.COMPLAINT, f"complaint ({kind})") for a in dict.fromkeys(found)
    )
    return Verdict(Kind.COMPLAINT, failures, f"complaint ({kind})", addressed)


def _dsn(
    message: email.message.Message,
    status_part: email.message.Message,
    parts: list[email.message.Message],
    addressed: tuple[str, ...],
) -> Verdict | None:
    failures = _dsn_failures(_text_of(status_part), _prose_text(message, parts))
    if not failures:
        return None
    return _verdict(failures, addressed)


def _dsn_failures(status_text: str, prose: str) -> list[Failure]:
    """The failed recipients of a delivery-status body (RFC 3464 per-recipient fields)."""
    failures = []
    for block in _blocks(status_text):
        final = _addresses_in(block.get("final-recipient", []))
        original = _addresses_in(block.get("original-recipient", []))
        address = (final or original or [""])[0].lower()
        if not address:
            continue
        action = (block.get("action", [""])[0]).lower()
        status = status_in(" ".join(block.get("status", [])))
        diagnostic = " ".join(block.get("diagnostic-code", []))
        diagnostic = re.sub(r"^\s*(smtp|x-[\w-]+|x-unix|rfc\d+)\s*;\s*", "", diagnostic, flags=re.I)
        words = diagnostic if _says_something(diagnostic) else _around(prose, address) or diagnostic
        kind, reason = judge(words, status, action)
        failures.append(Failure(address, kind, reason, status, diagnostic.strip()))
    return failures


def _prose(
    message: email.message.Message,
    parts: list[email.message.Message],
    addressed: tuple[str, ...],
) -> Verdict:
    text = _prose_text(message, parts)
    if _EMBEDDED_DSN.search(text):  # a DSN pasted into the text (Amazon WorkMail, some gateways)
        failures = _dsn_failures(text[_EMBEDDED_DSN.search(text).start() :], text)  # type: ignore[union-attr]
        if failures:
            return _verdict(failures, addressed)
    # Not X-Original-To: DragonFly puts the failed recipient there.
    own = ("from", "to", "delivered-to", "return-path", "reply-to")
    mine = {a.lower() for name in own for _, a in getaddresses(message.get_all(name, []))}
    returned = _returned_headers(parts) or _pasted_headers(_whole_text(parts))
    if returned is not None:
        mine |= {a.lower() for _, a in getaddresses(returned.get_all("from", []))}
    named = [a for _, a in getaddresses(message.get_all("x-failed-recipients", []))]
    mine |= {a.lower() for a in _NOT_FAILED.findall(text)}  # senders, help desks
    found = named or [a for a in _ADDRESS.findall(text) if a.lower() not in mine]
    found = [a.lower().strip(".") for a in found if not _DAEMON.match(a)]
    found = list(dict.fromkeys(found))
    if not found and returned is not None:
        found = [a.lower() for _, a in getaddresses(returned.get_all("to", [])) if "@" in a]
    failures = []
    for address in found:
        words = _around(text, address) or text
        # The lines that name the address say most (a transcript may go on about
        # another host's deferral); then the lines around it; then the whole text.
        naming = "\n".join(line for line in words.splitlines() if address in line.lower())
        kind, reason = judge(naming)
        if kind is Kind.UNKNOWN or kind is Kind.NOT_BOUNCE:
            kind, reason = judge(words)
        if kind is Kind.UNKNOWN or kind is Kind.NOT_BOUNCE:
            kind, reason = judge(text)
        if kind is Kind.UNKNOWN and _GROUPS.search(text):
            # Google Groups refuses posts from non-members in many languages, always
            # signed with its name: the list refused us, the address is alive.
            kind, reason = Kind.BLOCK, "the group refused the post"
        failures.append(Failure(address, kind, reason, status_in(words), words.strip()[:500]))
    if not failures:
        kind, reason = judge(text)
        return Verdict(kind if kind is not Kind.NOT_BOUNCE else Kind.UNKNOWN, (), reason, addressed)
    return _verdict(failures, addressed)


def _ses_mail(body: str, addressed: tuple[str, ...]) -> Verdict | None:
    start, end = body.find("{"), body.rfind("}")
    # SNS's email notifications wrap the one-line JSON at some width
    text = "".join(body[start : end + 1].splitlines())
    try:
        events = parse_events(text, "message")
    except InputError:
        return None
    failures = [
        Failure(e.address, e.kind, e.reason) for e in events if e.kind is not Kind.NOT_BOUNCE
    ]
    return _verdict(failures, addressed) if failures else None


def _whole_text(parts: list[email.message.Message]) -> str:
    return "\n".join(
        _text_of(p)
        for p in parts
        if p.get_content_maintype() in ("text", "multipart") and not p.is_multipart()
    )


def _pasted_headers(text: str) -> email.message.Message | None:
    """The returned message's headers when a prose bounce pastes them into its text."""
    cut = _CUT.search(text, 40)
    if cut is None:
        return None
    lines = text[cut.start() :].replace("\r\n", "\n").split("\n")
    start = next((i for i, line in enumerate(lines) if re.match(r"\s*[\w-]+:", line)), None)
    if start is None:
        return None
    body = [
        line[len(line) - len(line.lstrip(" ")) :] if line.startswith("   ") else line
        for line in lines[start:]
    ]
    body = [line.strip(" ") if not line.startswith("\t") else line for line in body]
    return email.message_from_string("\n".join(body), policy=policy.compat32)


def _verdict(failures: list[Failure], addressed: tuple[str, ...]) -> Verdict:
    worst = min(failures, key=lambda f: URGENCY.index(f.kind))
    return Verdict(worst.kind, tuple(failures), worst.reason, addressed)


def _says_something(diagnostic: str) -> bool:
    """Whether a Diagnostic-Code holds words beyond a bare code."""
    return len(re.sub(r"[\d.\s#()<>;:-]", "", diagnostic)) > 3


def _around(text: str, address: str) -> str:
    """The lines about ``address`` in a prose bounce: its line and the few that follow."""
    lines = text.splitlines()
    low = address.lower()
    for i, line in enumerate(lines):
        if low in line.lower():
            chunk = [line]
            for nxt in lines[i + 1 : i + 8]:
                if (
                    _ADDRESS.search(nxt)
                    and low not in nxt.lower()
                    and not nxt.startswith((" ", "\t"))
                ):
                    break
                chunk.append(nxt)
            joined = "\n".join(chunk)
            if _says_something(joined.replace(address, "")):
                return joined
    return ""


def _prose_text(message: email.message.Message, parts: list[email.message.Message]) -> str:
    """The bouncer's own words: its text parts, up to the returned message."""
    texts = []
    for part in parts:
        ctype = part.get_content_type()
        if ctype in _RETURNED or ctype in _DELIVERY_STATUS:
            break
        # A multipart whose boundary never comes is one text (a defect some bouncers make).
        if part.get_content_maintype() in ("text", "multipart") and not part.is_multipart():
            texts.append(_text_of(part))
    text = "\n".join(texts)
    if part_is_html(parts) and not texts:
        text = ""
    cut = _CUT.search(text, 40)
    return text[: cut.start()] if cut else text


def part_is_html(parts: list[email.message.Message]) -> bool:
    return any(p.get_content_type() == "text/html" for p in parts)


def _text_of(part: email.message.Message) -> str:
    """A part's decoded text; a message/* part's payload as text."""
    payload = part.get_payload() if part.is_multipart() else part.get_payload(decode=True)
    if isinstance(payload, list):  # compat32 parses message/* parts into sub-messages
        return "\n\n".join(p.as_string() if hasattr(p, "as_string") else str(p) for p in payload)
    if isinstance(payload, bytes):
        charset = part.get_content_charset() or "utf-8"
        try:
            text = payload.decode(charset, "replace")
        except LookupError:
            text = payload.decode("utf-8", "replace")
        if part.get_content_type() == "text/html":
            text = re.sub(r"<[^>]+>", " ", text)
        return text
    return str(payload or "")


def _blocks(text: str) -> list[dict[str, list[str]]]:
    """A delivery-status body as blocks of fields (per-message first, then per-recipient).

    Blocks are separated by blank lines; some MTAs leave them out, so a block also ends
    where a second recipient begins.
    """
    chunks: list[list[str]] = [[]]
    seen: set[str] = set()
    for line in text.replace("\r\n", "\n").split("\n"):
        name = line.partition(":")[0].strip().lower()
        if not line.strip() or (name in ("final-recipient", "original-recipient") and name in seen):
            chunks.append([])
            seen = set()
        if line.strip():
            seen.add(name)
            chunks[-1].append(line)
    return [b for b in (_fields("\n".join(chunk)) for chunk in chunks) if b]


def _fields(text: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    last = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t") and last:
            fields[last][-1] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        if colon and re.fullmatch(r"[A-Za-z][\w-]*", name.strip()):
            last = name.strip().lower()
            fields.setdefault(last, []).append(value.strip())
    return fields


def _addresses_in(values: list[str]) -> list[str]:
    found = []
    for value in values:
        value = re.sub(r"^\s*(rfc822|utf-8|x-[\w-]+)\s*;", "", value, flags=re.I)
        hit = _ADDRESS.search(value)
        if hit:
            found.append(hit.group(0).strip("."))
    return found


def _returned_headers(parts: list[email.message.Message]) -> email.message.Message | None:
    for part in parts:
        if part.get_content_type() in _RETURNED:
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                first = payload[0]
                return first if isinstance(first, email.message.Message) else None
            return email.message_from_string(_text_of(part), policy=policy.compat32)
    return None


def _addressed_to(message: email.message.Message) -> tuple[str, ...]:
    names = ("to", "delivered-to", "x-original-to", "envelope-to", "x-envelope-to", "return-path")
    found = []
    for part in message.walk():
        if part is not message and part.get_content_type() not in _RETURNED:
            continue
        heads = [part] if part is message else _returned_list(part)
        for head in heads:
            for name in names:
                found += [a for _, a in getaddresses(head.get_all(name, [])) if "@" in a]
    return tuple(dict.fromkeys(a.lower() for a in found))


def _returned_list(part: email.message.Message) -> list[email.message.Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, email.message.Message)]
    return [email.message_from_string(_text_of(part), policy=policy.compat32)]


def _is_auto_reply(message: email.message.Message) -> bool:
    auto = str(message.get("auto-submitted", "")).lower()
    precedence = str(message.get("precedence", "")).lower()
    return (
        auto.startswith("auto-replied")
        or any(message.get(h) for h in ("x-autoreply", "x-autorespond", "x-autoresponder"))
        or precedence == "auto_reply"
        or bool(_AUTO_SUBJECT.search(_subject(message)))
    )


def _looks_bounced(message: email.message.Message) -> bool:
    senders = [a for _, a in getaddresses(message.get_all("from", []))]
    return (
        any(_DAEMON.match(a) for a in senders)
        or bool(_BOUNCE_SUBJECT.search(_subject(message)))
        or message.get("x-failed-recipients") is not None
        or message.get_content_type() == "multipart/report"
    )


def _subject(message: email.message.Message) -> str:
    raw = message.get("subject", "")
    try:
        return str(email.header.make_header(email.header.decode_header(str(raw))))
    except (LookupError, ValueError, UnicodeError):
        return str(raw)
