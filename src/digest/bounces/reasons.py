"""What a delivery failure means for the list: the rules that read its text and status.

A bounce names its cause three ways, in falling order of trust for our purpose: the words
of the remote server (``550 5.1.1 <ann@example.org>: Recipient address rejected: User
unknown``), the enhanced status code (RFC 3463: ``5.1.1``) and the basic SMTP reply code
(``550``). The words come first because status codes are routinely wrong in practice
(Office 365 and the Japanese carriers report 5.0.0 or 5.1.1 for content filtering, many
servers use 5.7.1 for an unknown user, qmail writes ``#5.5.0`` for everything).

The rules are grouped by what the list should do, and matched in this order:

1. *sender-side* (``block``): our sending was refused for something the reader cannot
   fix: reputation and block lists, SPF/DKIM/DMARC, reverse DNS, relaying, size, viruses,
   TLS, the envelope sender itself (a rejection after MAIL FROM). Checked before the
   reader's faults: "550 sender address rejected: user unknown" is about us, not them.
2. *temporary* (``soft``): full mailboxes, suspended accounts, expired queue time, network
   and system errors, rate limits.
3. *permanent* (``hard``): the mailbox or domain does not exist (or moved, or takes no mail).
4. *generic policy* (``block``): "blocked", "policy", "rejected for ..." with no named cause.

A false hard bounce costs a reader, a missed one costs a little reputation: when the text
says "full" and "does not exist", the temporary reading wins.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Kind(StrEnum):
    """What a message means for the list."""

    HARD = "hard"  # the address will never take our mail: suppress now
    SOFT = "soft"  # may work later: count, suppress after repeats
    COMPLAINT = "complaint"  # the reader reported us (ARF): suppress
    AUTO_REPLY = "auto-reply"  # a vacation or other RFC 3834 responder: ignore
    BLOCK = "block"  # the sending was refused: fix the sending, not the list
    NOT_BOUNCE = "not-bounce"  # no failure at all
    UNKNOWN = "unknown"  # a failure whose cause we cannot tell: leave for a human


# Each rule: (kind, name, pattern). The name is the reason a suppression carries.
def _rules(kind: Kind, table: dict[str, str]) -> list[tuple[Kind, str, re.Pattern[str]]]:
    return [(kind, name, re.compile(pattern, re.I)) for name, pattern in table.items()]


_SENDER = _rules(
    Kind.BLOCK,
    {
        "sender rejected": r"sender (address |domain |verify |verification )?"
        r"(rejected|refused|denied|failed|not (allowed|permitted|accepted))"
        r"|sender (was |is |has been )(rejected|refused|denied|blocked)|domain of sender address"
        r"|(domain of )?sender (address )?(domain )?(does not exist|not found|unknown|must exist|"
        r"has no|is invalid)"
        r"|unknown sender|invalid sender|sender address is (invalid|blocked)"
        r"|(error|rejected)[^\n]{0,40}after mail from"
        r"|mail from[^\n]{0,60}(rejected|refused|denied)"
        r"|(from|envelope|return.?path) address[^\n]{0,30}(rejected|refused|invalid|blocked)"
        r"|send mail as|please use the smtp server of your isp|provide a valid from\b"
        r"|your (domain|address|email) [^\n]{0,30}(has been |is )(blocked|blacklisted|banned)",
        "authentication": r"\bspf\b|sender policy framework|\bdkim\b|\bdmarc\b"
        r"|(not|un)authenticated|authentication (failed|required|results?)"
        r"|not authori[sz]ed to send|delivery not authori[sz]ed|5\.7\.(2[3-7]|9)\b",
        "reverse dns": r"reverse (dns|lookup|hostname)|\bptr\b|\brdns\b"
        r"|cannot find your hostname|client host [^\n]{0,40}(rejected|refused): cannot find"
        r"|(hostname|helo)[^\n]{0,40}(does not|doesn't|did not) resolve"
        r"|no (reverse|ptr)|dynamic (ip|pool|address)|residential|dial.?up|mismatches client",
        "relaying": r"relay(ing)?\s+(access\s+)?(denied|not (permitted|allowed))"
        r"|(unable|not permitted|not allowed) to relay|we do not relay|relaying not|no relaying"
        r"|not a gateway|relay not permitted",
        "message too large": r"message (size |length )?(is )?(too (big|large|long))"
        r"|exceeds? (the )?(maximum|max|message)? ?(message )?size|size limit"
        r"|message size exceeds|too large for|mail size|5\.3\.4\b",
        "virus": r"\bvirus|malware|infected|trojan|worm found",
        "content": r"(media|content|mime) (type )?error",
        "tls": r"starttls|tls (is )?required|must (use|issue) (a )?(starttls|tls)"
        r"|encryption required",
        "spam or reputation": r"spam|junk|bulk mail|black.?list|block.?list|\brbl\b|dnsbl"
        r"|spamhaus|spamcop|sorbs|barracuda|reputation|(?<!not )listed (at|on|in|by)"
        r"|\b(ip|client|host|server|connection|network)\b[^\n]{0,30}(is |has been |was )?"
        r"(blocked|banned|blacklisted|listed)|\bbanned\b|(blocked|rejected|refused) (because"
        r"|due to)"
        r"|\b(ip|connection) (address )?(block|ban)\b|dnsbl|\bcontent\b[^\n]{0,30}(reject|refus"
        r"|filter)"
        r"|message (content )?(rejected|refused)|rejected[^\n]{0,30}(content|looks like)"
        r"|bad (content|reputation)|suspicious|phish|unsolicited|abuse|mail policy",
        "not compliant": r"rfc ?(2?822|5322|5321|2821)|bare (lf|cr)|not (rfc.)?compliant"
        r"|syntax error|command unrecognized|malformed (header|message|address)"
        r"|improper (header|command)"
        r"|protocol violation|not implemented|(improper|bad) sequence"
        r"|(missing|invalid|duplicate) [^\n]{0,20}header|header[^\n]{0,20}(missing|invalid)",
    },
)

_TEMPORARY = _rules(
    Kind.SOFT,
    {
        "mailbox full": r"mail\s?(box|folder)[^\n]{0,30}(is )?(full|over|exceed)|over ?quota|quota"
        r"|(storage|disk) (space )?(limit )?(exceeded|full)|insufficient (disk|storage)"
        r"|too much mail|full mailbox|mailbox size limit|user is over|exceeded storage"
        r"|not enough (space|storage)",
        "suspended": r"suspend|\bfrozen\b|\bdisabled\b|inactive|deactivated|not active|locked"
        r"|account (is )?(closed|frozen|expired|blocked)|temporarily (disabled|unavailable)"
        r"|mailbox (is )?(disabled|inactive|unavailable for now)",
        "expired": r"expired|retry (time(out)?|period) (not reached|exceeded|has been exceeded)"
        r"|could not be delivered (with|for|in|after)|too long in (the )?queue"
        r"|timed? ?out|delivery (time|attempts?) (exceeded|expired)|delay(ed)?"
        r"|(was|has) not been delivered[^\n]{0,30}\d+ (day|hour)|queue"
        r"|message .*could not be delivered within",
        "network": r"connection (refused|reset|lost|closed|dropped|failed|timed)|no route to"
        r"|network (is )?unreachable|lost connection|could not connect|unable to connect"
        r"|can(no|')t connect|temporary (dns|lookup|resolver|name)|dns (lookup|error|failure)"
        r"|servfail|i/o error|broken pipe|name server reply|host not reachable|socket error"
        r"|(did not|didn't|does not) accept (our )?(requests? to )?connect",
        "rate limit": r"too many (connections|messages|sessions|concurrent|mails|recipients)"
        r"|rate.?limit"
        r"|too many [^\n]{0,20}(this|per|an?) (hour|minute|day)"
        r"|throttl|sending too (fast|quickly)|too fast|slow down|exceeded[^\n]{0,30}rate"
        r"|try (again )?later|please retry|temporarily (deferred|rejected)|greylist|graylist",
        "system error": r"system (error|failure|not available|full)|internal (server )?error"
        r"|local (configuration )?error|configuration error|mail loop|too many hops|routing loop"
        r"|loops? back|hop count|temporary (failure|error|problem)|server (error|busy|unavailable)"
        r"|service (is )?(currently )?(not available|unavailable)"
        r"|resources? (temporarily )?unavailable"
        r"|out of memory|no space left|mailer.?error|command (died|failed)|procmail"
        r"|exited with|pipe to|program[^\n]{0,20}(failed|error)|unknown mailer",
    },
)

_PERMANENT = _rules(
    Kind.HARD,
    {
        "unknown user": r"(user|userid|recipient|mailbox|account|addressee|address|alias"
        r"|local.?part|"
        r"destination|e-?mail)[^\n]{0,24}(unknown|not (found|known|exist|valid|listed"
        r"|recogni[sz]ed)"
        r"|does ?n[o']t exist|doesn't exist|non.?existent|invalid|unavailable"
        r"|no longer (exists|valid|available|active))"
        r"|unknown (user|recipient|mailbox|local.?part|address|alias|account|e-?mail)"
        r"|not listed in [^\n]{0,30}(directory|address book)|(address"
        r"|recipient)[^\n]{0,30}incorrect"
        r"|no such (user|mailbox|recipient|address|account|person|local|e-?mail|alias)"
        r"|invalid (recipient|mailbox|address|user)|unrouteable address|no mailbox"
        r"|does not exist|doesn't exist|not our customer|no valid recipients?"
        r"|not a valid (mailbox|user|recipient|address)|undeliverable address"
        r"|bad (recipient|destination mailbox|address)|unknown or illegal alias"
        r"|user (is )?not (here|local|found)|no such person"
        r"|(doesn't|does not) have an? [^\n]{0,40}account|invalid[^\n]{0,24}(userid|user"
        r"|recipient|mailbox)",
        "unknown domain": r"host (or domain name )?(not found|unknown)|(domain|host)[^\n]{0,20}"
        r"(not found|unknown|does not exist|doesn't exist|not exist)|unrouteable (mail )?domain"
        r"|name or service not known|no (mx|mail exchanger|dns|a) (record|host)|nxdomain"
        r"|no such (domain|host)|non.?existent (domain|host)|unknown (domain|host)"
        r"|domain (name )?(is )?(invalid|not (valid|registered|reachable))",
        "moved": r"has moved|no longer (at|with|uses)|address changed|moved to",
        "takes no mail": r"(does not|doesn't|not) accept (any )?(e-?)?mail|null mx"
        r"|no mail (is )?accepted|no smtp service",
    },
)

_POLICY = _rules(
    Kind.BLOCK,
    {
        "policy": r"polic(y|ies)|prohibited|forbidden|not allowed|not permitted|denied"
        r"|refused|blocked|rejected|\b5\.7\.\d+\b",
    },
)

RULES = _SENDER + _TEMPORARY + _PERMANENT + _POLICY

_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(https?://|www\.)\S+", re.I)
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_REPLY = re.compile(r"(?<![\d.])([245]\d\d)(?=[ -]|$)", re.M)


def status_in(text: str) -> str:
    """The first RFC 3463 enhanced status code in ``text``, or ''."""
    found = _STATUS.search(text)
    return ".".join(found.groups()) if found else ""


def judge(text: str, status: str = "", action: str = "") -> tuple[Kind, str]:
    """The kind of one failed recipient and the reason's name, from its words and codes.

    ``text`` is the diagnostic (the remote server's words, or the bouncer's prose about
    this recipient); ``status`` the DSN Status field; ``action`` the DSN Action field.
    """
    # A help page's address or a mailbox's name is not the server's words
    # ("userunknown@example.org" says nothing about why it failed).
    text = _EMAIL.sub(" ", _URL.sub(" ", text))
    action = action.lower().strip()
    if action in ("delivered", "relayed", "expanded"):
        return Kind.NOT_BOUNCE, action
    status = status_in(status) or status_in(text)
    if status.endswith(".0.0"):  # a generic DSN status; the server's own code says more
        status = (
            status_in(_STATUS.sub(lambda m: "" if m.group(0) == status else m.group(0), text))
            or status
        )
    reply = _REPLY.search(text)
    temporary = (
        status.startswith("4")
        or action == "delayed"
        or (not status and reply is not None and reply.group(1).startswith("4"))
    )
    for kind, name, pattern in RULES:
        if pattern.search(text):
            if name == "policy" and status[2:4] == "1.":  # "rejected", said of the address
                break
            if kind is Kind.HARD and temporary and action != "failed":
                return Kind.SOFT, name  # a 4xx "user unknown" (greylisting, a busy directory)
            return kind, name
    return by_status(status, temporary, reply.group(1) if reply else "")


def by_status(status: str, temporary: bool, reply: str = "") -> tuple[Kind, str]:
    """The kind when no words matched: the enhanced status code, then the reply code."""
    if status:
        klass, subject, detail = status.split(".")
        code = f"{subject}.{detail}"
        if klass == "2":
            return Kind.NOT_BOUNCE, "delivered"
        if code in ("2.2", "3.1"):
            return Kind.SOFT, "mailbox full"
        if code == "2.1":
            return Kind.SOFT, "suspended"
        if code == "4.7":
            return Kind.SOFT, "expired"
        if temporary:
            return Kind.SOFT, f"status {status}"
        if code in ("1.1", "1.0", "1.3"):
            return Kind.HARD, "unknown user"
        if code in ("1.2", "4.4"):
            return Kind.HARD, "unknown domain"
        if code == "1.6":
            return Kind.HARD, "moved"
        if code == "1.10":
            return Kind.HARD, "takes no mail"
        if subject in ("6", "7") or code in ("2.3", "3.4", "1.7", "1.8"):
            return Kind.BLOCK, f"status {status}"
        if subject in ("3", "4") or code == "2.4":
            return Kind.SOFT, f"status {status}"
        return Kind.UNKNOWN, f"status {status}"
    if temporary or reply.startswith("4"):
        return Kind.SOFT, f"reply {reply}" if reply else "temporary"
    return Kind.UNKNOWN, f"reply {reply}" if reply else "no reason given"
