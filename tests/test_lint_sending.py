"""`digest lint --sending`: DKIM, SPF and DMARC alignment of the sending setup, offline,
and with `--dns` against records a stub resolver answers (no network)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from digest.cli import main
from digest.config import SendConfig, load_config
from digest.deliver import authentication
from digest.deliver.authentication import (
    aligned,
    check_dns,
    check_setup,
    identities,
    organisational_domain,
)
from digest.lint import lint_sending
from digest.runs import build

FROM = "The Weekly <news@example.org>"


@pytest.fixture(scope="module")
def key_pair(tmp_path_factory) -> tuple[Path, str]:
    """An RSA key file and the base64 of its public half, as a DKIM record's p= holds it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("keys") / "dkim.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, base64.b64encode(public).decode()


def setup(key: Path | None, *, domain: str | None = None, bounce: str | None = None) -> SendConfig:
    return SendConfig(
        sender=FROM,
        dkim_selector="news2026" if key else None,
        dkim_domain=domain,
        dkim_key_file=key,
        bounce_address=bounce,
    )


@pytest.mark.parametrize(
    ("domain", "organisational"),
    [
        ("news.example.org", "example.org"),
        ("a.b.example.co.uk", "example.co.uk"),
        ("Example.ORG.", "example.org"),
        ("weekly.github.io", "weekly.github.io"),  # a private suffix: each user is its own
        ("co.uk", "co.uk"),
        ("localhost", "localhost"),
    ],
)
def test_the_organisational_domain_comes_from_the_public_suffix_list(domain, organisational):
    assert organisational_domain(domain) == organisational


def test_relaxed_alignment_is_the_organisational_domain_strict_the_very_name():
    assert aligned("bounces.example.org", "example.org")
    assert not aligned("bounces.example.org", "example.org", strict=True)
    assert aligned("EXAMPLE.org", "example.org", strict=True)
    assert not aligned("example.co.uk", "other.co.uk")
    assert not aligned("ann.github.io", "bob.github.io")


def test_an_aligned_setup_gives_no_warning(key_pair):
    key, _ = key_pair
    assert lint_sending(setup(key, bounce="bounces@mail.example.org")) == []
    assert lint_sending(setup(key, domain="mail.example.org")) == []


def test_no_dkim_key_is_a_warning_about_the_bulk_sender_rules():
    (finding,) = lint_sending(setup(None))
    assert finding.check == "dkim"
    assert "Gmail and Yahoo" in finding.message and "DIGEST_DKIM_KEY_FILE" in finding.message


def test_a_dkim_domain_of_another_organisation_names_the_pair_and_the_fix(key_pair):
    key, _ = key_pair
    (finding,) = lint_sending(setup(key, domain="mail.esp.example.net"))
    assert finding.check == "alignment"
    assert finding.message.startswith(
        "From (example.org) and DKIM d= (mail.esp.example.net) are not aligned"
    )
    assert "set DIGEST_DKIM_DOMAIN to example.org" in finding.message


def test_a_bounce_address_elsewhere_names_the_return_path_pair(key_pair):
    key, _ = key_pair
    (finding,) = lint_sending(setup(key, bounce="bounces@esp.example.net"))
    assert finding.message.startswith(
        "From (example.org) and Return-Path (esp.example.net, from [send] bounce_address)"
    )
    assert "DMARC rests on DKIM alone" in finding.message
    both = lint_sending(setup(key, domain="esp.example.net", bounce="b@esp.example.net"))
    assert [f.check for f in both] == ["alignment", "alignment"]
    assert "DMARC cannot pass at all" in both[1].message


def published(p: str, **more: list[str]):
    records = {
        "example.org": ["v=spf1 include:_spf.esp.example.net -all", "google-site-verification=x"],
        "news2026._domainkey.example.org": [f"v=DKIM1; k=rsa; p={p}"],
        "_dmarc.example.org": ["v=DMARC1; p=quarantine; rua=mailto:dmarc@example.org"],
        **more,
    }
    asked: list[str] = []

    def resolve(name: str) -> list[str]:
        asked.append(name)
        return records.get(name, [])

    return resolve, asked


def test_the_dns_check_passes_when_the_records_match_the_setup(key_pair):
    key, p = key_pair
    resolve, asked = published(p)
    found = identities(setup(key))
    assert check_setup(found) == [] and check_dns(found, resolve) == []
    assert "news2026._domainkey.example.org" in asked


def test_the_dns_check_finds_missing_records_and_a_key_that_is_not_ours(key_pair):
    key, p = key_pair
    resolve, _ = published(p, **{"example.org": [], "_dmarc.example.org": []})
    found = identities(setup(key))
    assert [a.what for a in check_dns(found, resolve)] == ["spf", "dmarc"]
    other = base64.b64encode(
        rsa.generate_private_key(public_exponent=65537, key_size=1024)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    ).decode()
    resolve, _ = published(other)
    (advice,) = check_dns(found, resolve)
    assert advice.what == "dkim" and "not the public half of" in advice.message
    assert str(key) in advice.message
    resolve, _ = published(p, **{"news2026._domainkey.example.org": []})
    (advice,) = check_dns(found, resolve)
    assert advice.message.startswith("no DKIM key published at news2026._domainkey.example.org")


def test_a_strict_dmarc_policy_wants_the_very_from_domain(key_pair):
    key, p = key_pair
    strict = ["v=DMARC1; p=reject; adkim=s; aspf=s"]
    resolve, _ = published(
        p,
        **{
            "_dmarc.example.org": strict,
            "news2026._domainkey.mail.example.org": [f"v=DKIM1; p={p}"],
            "mail.example.org": ["v=spf1 -all"],
        },
    )
    found = identities(setup(key, domain="mail.example.org", bounce="b@mail.example.org"))
    assert check_setup(found) == []  # relaxed: aligned
    messages = [a.message for a in check_dns(found, resolve)]
    assert len(messages) == 2
    assert "strict DKIM alignment (adkim=s)" in messages[0]
    assert "strict SPF alignment (aspf=s)" in messages[1]


def test_a_dns_lookup_that_fails_is_one_warning_not_a_crash(key_pair):
    key, _ = key_pair

    def unreachable(name: str) -> list[str]:
        raise LookupError(f"cannot look up {name}: no nameservers")

    (advice,) = check_dns(identities(setup(key)), unreachable)
    assert advice.what == "dns" and "were not checked" in advice.message


def test_lint_sending_warns_and_still_exits_0(
    tmp_path, articles_dir, monkeypatch, capsys, key_pair
):
    key, p = key_pair
    toml = tmp_path / "digest.toml"
    toml.write_text(
        f'[digest]\nout_dir = "out"\nunsubscribe_url = "https://news.example.org/u"\n'
        f'[[sources]]\npath = "{articles_dir}"\n[send]\nbounce_address = "b@esp.example.net"\n'
    )
    env = {
        "DIGEST_FROM": FROM,
        "DIGEST_DKIM_SELECTOR": "news2026",
        "DIGEST_DKIM_KEY_FILE": str(key),
    }
    build(load_config(toml, env), today=None)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "--sending", "--config", str(toml)]) == 0
    out = capsys.readouterr().out.splitlines()
    warnings = [line for line in out if ": warning: " in line]
    assert (
        len(warnings) == 1
        and "warning: alignment: From (example.org) and Return-Path" in warnings[0]
    )

    resolve, _ = published(p)
    monkeypatch.setattr(authentication, "lookup_txt", resolve)
    assert main(["lint", "--dns", "--json", "--config", str(toml)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert [w["check"] for w in report["warnings"]] == ["alignment", "spf"]  # none at esp
