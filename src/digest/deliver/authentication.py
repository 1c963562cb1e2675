"""Sending authentication: does the setup let a receiver's DMARC check pass?

DMARC (RFC 7489) passes when the From domain is *aligned* with a domain that SPF or DKIM
vouched for: SPF's is the envelope sender's (MAIL FROM, later the Return-Path), DKIM's is
the signature's ``d=``. Relaxed alignment (the default) asks for the same organisational
domain (``news.example.co.uk`` and ``example.co.uk`` are both ``example.co.uk``, by the
Public Suffix List bundled with ``publicsuffixlist``: no network); strict alignment asks
for the very same name. Since February 2024 Gmail and Yahoo require bulk senders to pass
DMARC, and want DKIM.

``check_setup`` is offline; ``check_dns`` looks the records up through one function,
``lookup_txt`` (dnspython), which tests replace with a stub.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import parseaddr

from digest.config import SendConfig
from digest.deliver.addresses import domain_of
from digest.deliver.signing import DkimKey, configured_key

# A name -> its TXT strings (each record's pieces joined); [] when there is none. Raises
# LookupError when the name cannot be looked up at all (no resolver, a timeout).
Resolver = Callable[[str], list[str]]
DOCS = "see docs/deliverability.md"


@dataclass(frozen=True)
class Advice:
    """One thing a receiver will hold against the setup: ``what`` it is about, in a line."""

    what: str  # "dkim", "alignment", "spf", "dmarc" or "dns"
    message: str

    def __str__(self) -> str:
        return f"{self.what}: {self.message}"


@dataclass(frozen=True)
class Identities:
    """The three domains a receiver compares, and the key behind the DKIM one."""

    from_domain: str
    envelope_domain: str  # the envelope sender's: [send] bounce_address, or From's
    envelope_from: str  # where envelope_domain comes from, for messages
    key: DkimKey | None


@functools.cache
def _suffixes() -> object:
    from publicsuffixlist import PublicSuffixList  # the bundled list: no download

    return PublicSuffixList()


def organisational_domain(domain: str) -> str:
    """The registered domain under its public suffix (``a.b.example.co.uk`` ->
    ``example.co.uk``); the name itself when it is a suffix or unknown (``localhost``)."""
    name = domain.strip().rstrip(".").lower()
    found = _suffixes().privatesuffix(name)  # type: ignore[attr-defined]
    return str(found) if found else name


def aligned(one: str, other: str, *, strict: bool = False) -> bool:
    """Whether two domains align as DMARC defines it: strict, the same name; relaxed,
    the same organisational domain."""
    one, other = one.rstrip(".").lower(), other.rstrip(".").lower()
    if strict:
        return one == other
    return organisational_domain(one) == organisational_domain(other)


def identities(send: SendConfig) -> Identities:
    """The domains of ``send``: From's, the envelope sender's and the DKIM key's."""
    sender = send.sender or ""
    envelope_from = "[send] bounce_address" if send.bounce_address else "DIGEST_FROM"
    envelope = send.bounce_address or parseaddr(sender)[1]
    return Identities(
        domain_of(sender).lower(),
        domain_of(envelope).lower(),
        envelope_from,
        configured_key(send, sender),
    )


def check_setup(found: Identities) -> list[Advice]:
    """What is missing or misaligned, from the configuration alone."""
    warnings = []
    d, ret = found.from_domain, found.envelope_domain
    dkim_ok = found.key is not None and aligned(found.key.domain, d)
    spf_ok = aligned(ret, d)
    if found.key is None:
        warnings.append(
            Advice(
                "dkim",
                "no DKIM key: Gmail and Yahoo require bulk senders to sign with DKIM "
                f"aligned with the From domain {d}; set DIGEST_DKIM_SELECTOR and "
                f"DIGEST_DKIM_KEY_FILE ({DOCS})",
            )
        )
    elif not dkim_ok:
        warnings.append(
            Advice(
                "alignment",
                f"From ({d}) and DKIM d= ({found.key.domain}) are not aligned: their "
                f"organisational domains differ ({organisational_domain(d)} and "
                f"{organisational_domain(found.key.domain)}), so DKIM cannot pass DMARC; "
                f"set DIGEST_DKIM_DOMAIN to {d} (or a name under "
                f"{organisational_domain(d)}) and publish the key there",
            )
        )
    if not spf_ok:
        rests = "DMARC rests on DKIM alone" if dkim_ok else "DMARC cannot pass at all"
        warnings.append(
            Advice(
                "alignment",
                f"From ({d}) and Return-Path ({ret}, from {found.envelope_from}) are not "
                f"aligned: SPF's pass for {ret} does not count for DMARC ({rests}); use a "
                f"bounce address under {organisational_domain(d)}",
            )
        )
    return warnings


def lookup_txt(name: str) -> list[str]:
    """The TXT records of ``name`` through the system's resolver (dnspython)."""
    import dns.exception
    import dns.resolver

    try:
        answer = dns.resolver.resolve(name, "TXT", lifetime=10)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as exc:
        raise LookupError(f"cannot look up {name}: {exc}") from exc
    return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]  # type: ignore[attr-defined]


def check_dns(found: Identities, resolve: Resolver | None = None) -> list[Advice]:
    """What the published SPF, DKIM and DMARC records say against the setup; looked up
    with ``resolve``, by default ``lookup_txt``."""
    resolve = resolve or lookup_txt
    try:
        return [
            *_check_spf(found, resolve),
            *_check_dkim(found, resolve),
            *_check_dmarc(found, resolve),
        ]
    except LookupError as exc:
        return [Advice("dns", f"{exc}; the DNS records were not checked")]


def _check_spf(found: Identities, resolve: Resolver) -> Iterable[Advice]:
    name = found.envelope_domain
    spf = [r for r in resolve(name) if r.lower().startswith("v=spf1")]
    if not spf:
        yield Advice(
            "spf",
            f"no SPF record at {name} (the Return-Path's domain): publish a TXT record "
            f'"v=spf1 include:<your provider> -all" naming the servers that send for it',
        )
    elif len(spf) > 1:
        yield Advice(
            "spf",
            f"{name} has {len(spf)} SPF records: receivers treat that as an error; "
            "merge them into one",
        )


def _check_dkim(found: Identities, resolve: Resolver) -> Iterable[Advice]:
    key = found.key
    if key is None:
        return
    name = f"{key.selector}._domainkey.{key.domain}"
    records = [_tags(r) for r in resolve(name)]
    records = [r for r in records if r.get("v", "DKIM1") == "DKIM1" and "p" in r]
    if not records:
        yield Advice("dkim", f"no DKIM key published at {name}: publish its TXT record ({DOCS})")
    elif not any(key.matches(r["p"]) for r in records):
        yield Advice(
            "dkim",
            f"the key published at {name} is not the public half of {key.path}: every "
            "signature will fail; publish the key's own public half",
        )


def _check_dmarc(found: Identities, resolve: Resolver) -> Iterable[Advice]:
    d = found.from_domain
    names = dict.fromkeys([f"_dmarc.{d}", f"_dmarc.{organisational_domain(d)}"])
    for name in names:
        records = [_tags(r) for r in resolve(name) if r.startswith("v=DMARC1")]
        if records:
            break
    else:
        yield Advice(
            "dmarc",
            f"no DMARC record at _dmarc.{d}: Gmail and Yahoo require one of bulk senders; "
            f'publish at least "v=DMARC1; p=none; rua=mailto:<reports address>"',
        )
        return
    policy = records[0]
    key = found.key
    if policy.get("adkim") == "s" and key is not None and not aligned(key.domain, d, strict=True):
        yield Advice(
            "alignment",
            f"{name} asks for strict DKIM alignment (adkim=s) but DKIM d= is {key.domain}, "
            f"not {d}: set DIGEST_DKIM_DOMAIN to {d}",
        )
    if policy.get("aspf") == "s" and not aligned(found.envelope_domain, d, strict=True):
        yield Advice(
            "alignment",
            f"{name} asks for strict SPF alignment (aspf=s) but the Return-Path's domain "
            f"is {found.envelope_domain}, not {d}: use a bounce address at {d}",
        )


def _tags(record: str) -> dict[str, str]:
    """A tag=value; list (DKIM and DMARC records) as a dict; whitespace dropped."""
    tags = {}
    for part in record.split(";"):
        tag, sep, value = part.partition("=")
        if sep:
            tags[tag.strip().lower()] = "".join(value.split())
    return tags
