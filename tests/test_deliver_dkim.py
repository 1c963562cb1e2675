"""DKIM signatures and envelope senders (VERP), checked on what a real SMTP server
(aiosmtpd on 127.0.0.1) received, with dkimpy as the verifier and a stub for DNS."""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable
from email import message_from_bytes
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from dkim.canonicalization import Relaxed
from hypothesis import given
from hypothesis import strategies as st

from digest.config import load_config, load_environment
from digest.deliver import configured_key, domain_of
from digest.deliver.signing import SIGNED, BodyHash, canonical_body, load_key
from digest.errors import ConfigError
from digest.runs import build, dry_run, send, send_test
from digest.unsubscribe import unsubscribe_token

READERS = ("ann@example.com", "bob@example.net", "cy@example.org")
SECRET = "k3Jq9vXz-Lw2Pd7Rt5Yb8Nc4Hf6Gm1Sa0QeUoIi"
PERSONAL = "https://news.example.org/unsubscribe?e={email}&t={token}"

Dns = Callable[..., bytes | None]


def rsa_key(directory: Path, *, pkcs1: bool = False) -> tuple[Path, bytes]:
    """A new RSA key written as PEM; returns its path and the DNS record that publishes it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    form = (
        serialization.PrivateFormat.TraditionalOpenSSL
        if pkcs1
        else serialization.PrivateFormat.PKCS8
    )
    path = directory / ("dkim-rsa1.pem" if pkcs1 else "dkim-rsa.pem")
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption())
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def ed25519_key(directory: Path) -> tuple[Path, bytes]:
    key = ed25519.Ed25519PrivateKey.generate()
    path = directory / "dkim-ed25519.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return path, b"v=DKIM1; k=ed25519; p=" + base64.b64encode(public)


def dns(record: bytes, name: str = "news2026._domainkey.example.org.") -> Dns:
    """What a resolver would answer: ``record`` for the selector's name, nothing else."""

    def lookup(qname: bytes, timeout: int = 5) -> bytes | None:
        return record if qname.decode().lower() == name else None

    return lookup


@pytest.fixture
def configure(tmp_path, articles_dir):
    """A configuration that sends the fixture articles through ``server``, built."""

    def make(server, *, env=None, unsubscribe=PERSONAL, **send):
        settings = "".join(
            f"{k} = {'true' if v is True else repr(v)}\n"
            for k, v in {"rate": 0, "retry_delay": 0.01, "timeout": 5, **send}.items()
        )
        toml = tmp_path / "digest.toml"
        toml.write_text(
            f'[digest]\ntitle = "The Weekly"\nout_dir = "out"\nunsubscribe_url = "{unsubscribe}"\n'
            f'[[sources]]\npath = "{articles_dir}"\n[send]\n{settings}',
            encoding="utf-8",
        )
        environment = {
            **(server.env() if server else {"SMTP_HOST": "127.0.0.1"}),
            "DIGEST_FROM": "The Weekly <news@example.org>",
            "DIGEST_TO": ", ".join(READERS),
            "DIGEST_UNSUBSCRIBE_MAILTO": "leave@example.org",
            "DIGEST_UNSUBSCRIBE_SECRET": SECRET,
            **(env or {}),
        }
        config = load_config(toml, environment)
        build(config, today=None)
        return config

    return make


def signing_env(path: Path, **more: str) -> dict[str, str]:
    return {"DIGEST_DKIM_SELECTOR": "news2026", "DIGEST_DKIM_KEY_FILE": str(path), **more}


def test_every_delivered_copy_verifies_against_the_published_key(smtp, configure, tmp_path):
    path, record = rsa_key(tmp_path)
    config = configure(smtp, env=signing_env(path))
    result, _ = send(config)
    assert result.sent == READERS
    assert len(smtp.mailbox.received) == len(READERS)
    signed_bodies = set()
    for received in smtp.mailbox.received:
        assert dkim.verify(received.data, dnsfunc=dns(record)), received.rcpt_tos
        message = message_from_bytes(received.data)
        fields = dict(
            (k.strip(), v.strip())
            for k, _, v in (
                f.partition("=") for f in "".join(message["DKIM-Signature"].split()).split(";")
            )
        )
        assert fields["d"] == "example.org" and fields["s"] == "news2026"
        assert fields["a"] == "rsa-sha256" and fields["c"] == "relaxed/relaxed"
        signed = set(fields["h"].lower().split(":"))
        assert signed == {name.lower() for name in SIGNED}  # all of them, this copy has each
        # Each copy is its reader's: their To, and their own link in the signed body.
        reader = received.rcpt_tos[0]
        assert message["To"] == reader
        token = unsubscribe_token(SECRET, reader)
        assert token in message["List-Unsubscribe"]
        signed_bodies.add(fields["bh"])
    assert len(signed_bodies) == len(READERS)


def test_a_tampered_copy_fails_verification(smtp, configure, tmp_path):
    path, record = rsa_key(tmp_path)
    config = configure(smtp, env=signing_env(path))
    send(config)
    data = smtp.mailbox.received[0].data
    assert dkim.verify(data, dnsfunc=dns(record))
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"unsubscribe" in body
    changed_body = head + b"\r\n\r\n" + body.replace(b"unsubscribe", b"unsubscr1be", 1)
    assert changed_body != data and not dkim.verify(changed_body, dnsfunc=dns(record))
    reader = smtp.mailbox.received[0].rcpt_tos[0]
    other_reader = data.replace(f"To: {reader}".encode(), b"To: eve@example.com", 1)
    assert other_reader != data and not dkim.verify(other_reader, dnsfunc=dns(record))
    other_key = rsa_key(tmp_path / "..", pkcs1=True)[1]
    assert not dkim.verify(data, dnsfunc=dns(other_key))


def test_an_ed25519_key_signs_and_a_pkcs1_rsa_key_too(smtp, configure, tmp_path):
    for path, record, algorithm in (
        (*ed25519_key(tmp_path), "ed25519-sha256"),
        (*rsa_key(tmp_path, pkcs1=True), "rsa-sha256"),
    ):
        smtp.mailbox.received.clear()
        config = configure(smtp, env=signing_env(path))
        result = send_test(config, "tester@example.com")
        assert result.sent == ("tester@example.com",)
        (received,) = smtp.mailbox.received
        assert f"a={algorithm};".encode() in received.data.split(b"\r\n\r\n")[0]
        assert dkim.verify(received.data, dnsfunc=dns(record))


def test_the_dry_run_outbox_copies_are_signed_the_same_way(configure, tmp_path):
    path, record = rsa_key(tmp_path)
    config = configure(None, env=signing_env(path))
    files, _, _ = dry_run(config)
    assert len(files) == len(READERS)
    for file in files:
        data = file.read_bytes()
        assert data.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;")
        assert dkim.verify(data, dnsfunc=dns(record))


def test_dkim_domain_defaults_to_the_from_domain_and_can_be_another(configure, tmp_path):
    path, record = rsa_key(tmp_path)
    config = configure(None, env=signing_env(path, DIGEST_DKIM_DOMAIN="Mail.Example.net"))
    key = configured_key(config.send, config.send.sender or "")
    assert key is not None and key.domain == "mail.example.net"
    files, _, _ = dry_run(config)
    data = files[0].read_bytes()
    assert b" d=mail.example.net;" in data
    assert dkim.verify(data, dnsfunc=dns(record, "news2026._domainkey.mail.example.net."))
    default = configured_key(
        load_config(None, signing_env(path)).send, "The Weekly <news@Example.org>"
    )
    assert default is not None and default.domain == "example.org"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read the DKIM key"),
        (b"not a key at all\n", "not a PEM private key"),
        (
            b"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n",
            "holds no private key",
        ),
        (
            b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----\n",
            "not a usable private key",
        ),
        (
            ec.generate_private_key(ec.SECP256R1()).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            "cannot sign DKIM: use an RSA or Ed25519 key",
        ),
        (
            ed25519.Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"passphrase"),
            ),
            "the private key is encrypted",
        ),
    ],
    ids=["missing", "not-pem", "public", "garbage", "ec", "encrypted"],
)
def test_a_missing_or_unusable_key_is_a_config_error_naming_the_file(tmp_path, content, expected):
    path = tmp_path / "dkim.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_key("news2026", "example.org", path)
    assert str(path) in str(caught.value) and expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_bad_key_stops_the_send_before_anything_goes(smtp, configure, tmp_path):
    path = tmp_path / "dkim.pem"
    path.write_text("garbage\n")
    config = configure(smtp, env=signing_env(path))
    with pytest.raises(ConfigError, match=r"dkim\.pem"):
        send(config)
    assert smtp.mailbox.received == []


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"DIGEST_DKIM_SELECTOR": "news2026"},
            "DIGEST_DKIM_SELECTOR is set but DIGEST_DKIM_KEY_FILE",
        ),
        ({"DIGEST_DKIM_KEY_FILE": "k.pem"}, "DIGEST_DKIM_KEY_FILE is set but DIGEST_DKIM_SELECTOR"),
        ({"DIGEST_DKIM_DOMAIN": "example.org"}, "DIGEST_DKIM_DOMAIN is set but"),
        (
            {"DIGEST_DKIM_SELECTOR": "news 2026", "DIGEST_DKIM_KEY_FILE": "k.pem"},
            "DIGEST_DKIM_SELECTOR must be a DNS name",
        ),
    ],
)
def test_a_half_configured_dkim_is_a_config_error(env, expected):
    with pytest.raises(ConfigError, match=expected):
        load_config(None, env)


def test_the_dotenv_check_knows_the_dkim_names(tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "DIGEST_DKIM_SELECTOR=news2026\nDIGEST_DKIM_KEY_FILE=k.pem\nDIGEST_DKIM_DOMAIN=example.org\n"
        "DIGEST_DKIM_SELECTR=x\n"
    )
    with caplog.at_level(logging.WARNING):
        load_environment()
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == [
        ".env: unknown variable 'DIGEST_DKIM_SELECTR' (did you mean 'DIGEST_DKIM_SELECTOR'?)"
    ]


# Envelope senders


def test_without_a_bounce_address_the_envelope_sender_is_the_from_address(smtp, configure):
    config = configure(smtp)
    send(config)
    assert {r.mail_from for r in smtp.mailbox.received} == {"news@example.org"}


def test_a_bounce_address_is_every_copy_s_envelope_sender(smtp, configure):
    config = configure(smtp, bounce_address="bounces@example.org")
    send(config)
    assert len(smtp.mailbox.received) == len(READERS)
    assert {r.mail_from for r in smtp.mailbox.received} == {"bounces@example.org"}
    assert all(r.message["From"] == "The Weekly <news@example.org>" for r in smtp.mailbox.received)


def test_with_verp_each_reader_s_envelope_sender_carries_their_token(smtp, configure):
    config = configure(smtp, bounce_address="bounces@example.org", verp=True)
    send(config)
    senders = {r.rcpt_tos[0]: r.mail_from for r in smtp.mailbox.received}
    assert senders == {
        reader: f"bounces+{unsubscribe_token(SECRET, reader)}@example.org" for reader in READERS
    }
    assert len(set(senders.values())) == len(READERS)
    # The other side of the contract can tell whose it is from the address alone.
    local = senders["bob@example.net"].partition("@")[0]
    assert local.partition("+")[2] == unsubscribe_token(SECRET, "Bob@Example.NET")


def test_verp_signed_copies_still_verify(smtp, configure, tmp_path):
    path, record = rsa_key(tmp_path)
    config = configure(smtp, env=signing_env(path), bounce_address="bounces@example.org", verp=True)
    send(config)
    assert all(dkim.verify(r.data, dnsfunc=dns(record)) for r in smtp.mailbox.received)
    assert all(domain_of(r.mail_from) == "example.org" for r in smtp.mailbox.received)


def test_verp_without_a_secret_or_a_bounce_address_is_a_config_error(tmp_path):
    toml = tmp_path / "digest.toml"
    toml.write_text('[send]\nbounce_address = "bounces@example.org"\nverp = true\n')
    with pytest.raises(ConfigError, match="DIGEST_UNSUBSCRIBE_SECRET") as caught:
        load_config(toml, {})
    assert "secrets.token_urlsafe" in (caught.value.hint or "")
    toml.write_text("[send]\nverp = true\n")
    with pytest.raises(ConfigError, match="needs \\[send\\] bounce_address"):
        load_config(toml, {"DIGEST_UNSUBSCRIBE_SECRET": SECRET})
    toml.write_text('[send]\nbounce_address = "bounces+x@example.org"\nverp = true\n')
    with pytest.raises(ConfigError, match="must not hold a \\+"):
        load_config(toml, {"DIGEST_UNSUBSCRIBE_SECRET": SECRET})
    toml.write_text('[send]\nbounce_address = "Bounces <b@example.org>"\n')
    with pytest.raises(ConfigError, match="bounce_address must be a bare address"):
        load_config(toml, {})


# The body hash, piece by piece


_LINE = st.text(alphabet=" \tab=.", max_size=12).map(str.encode)
_BODY = st.lists(_LINE, max_size=8).map(lambda lines: b"\r\n".join(lines))


@given(
    before=_BODY,
    between=_BODY,
    after=_BODY,
    fills=st.lists(st.text(alphabet="ab =\t", max_size=8).map(str.encode), min_size=2, max_size=2),
    end=st.sampled_from([b"", b"\r\n", b"end\r\n\r\n", b" \r\n\r\n"]),
)
def test_a_body_hashed_piece_by_piece_is_hashed_as_dkimpy_canonicalises_it(
    before, between, after, fills, end
):
    # A fill as the Composer makes one: it starts a soft break and ends a line.
    fills = [b"=\r\n" + f + b"=\r\n" for f in fills]
    pieces: list[bytes | int] = [before, 0, between + b"\r\n", 1, after + end]
    whole = b"".join(p if isinstance(p, bytes) else fills[p] for p in pieces)
    expected = hashlib.sha256(Relaxed.canonicalize_body(whole)).digest()
    assert BodyHash(pieces).digest(fills) == expected
    assert hashlib.sha256(canonical_body(whole)).digest() == expected
