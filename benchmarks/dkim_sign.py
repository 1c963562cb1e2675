"""CPU per reader's copy, unsigned and DKIM-signed (RSA 2048 and Ed25519).

Run with `python benchmarks/dkim_sign.py [--copies 300]`. The message is the 20-story
digest of `render_20.py` with a per-reader unsubscribe URL ({email} and {token}), so each
copy's body differs and is hashed anew; `Composer.wire` is what each sending thread calls
once per reader. Times are CPU (process_time), one core.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from render_20 import make_digest

from digest.deliver import Composer, Letter
from digest.deliver.signing import load_key
from digest.models import Issue
from digest.render import render_email

UNSUBSCRIBE = "https://news.example.org/unsubscribe?email={email}&token={token}"
SECRET = "bench-dkim-secret-0123456789-abcdefghij"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=300)
    args = parser.parse_args()
    digest = replace(make_digest(), unsubscribe_url=UNSUBSCRIBE)
    email = render_email(digest)
    issue = Issue("bench0dkim", digest.title, digest.date, "The Weekly", email.html, email.text)
    base = Letter(issue, "news@example.org", unsubscribe_url=UNSUBSCRIBE, unsubscribe_secret=SECRET)
    pem = serialization.Encoding.PEM
    pkcs8, none = serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    keys = {
        "RSA 2048": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "Ed25519": ed25519.Ed25519PrivateKey.generate(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        letters = {"unsigned": base}
        for name, key in keys.items():
            path = Path(tmp) / f"{name.split()[0]}.pem"
            path.write_bytes(key.private_bytes(pem, pkcs8, none))
            letters[name] = replace(base, dkim=load_key("s1", "example.org", path))
        size = len(Composer(base).wire("reader0@example.com", "<m0@example.org>"))
        print(f"message: about {size:,} bytes; {args.copies} copies each")
        for name, letter in letters.items():
            composer = Composer(letter)
            start = time.process_time()
            for n in range(args.copies):
                composer.wire(f"reader{n}@example.com", f"<m{n}@example.org>")
            each = (time.process_time() - start) / args.copies * 1000
            print(f"{name:>9}: {each:6.2f} ms CPU a copy ({1000 / each:,.0f} copies/s on one core)")
        # For comparison: dkimpy's own signer (a test dependency) on the unsigned copies.
        composer, rsa_pem = Composer(base), (Path(tmp) / "RSA.pem").read_bytes()
        start = time.process_time()
        for n in range(args.copies):
            copy = composer.compose(f"reader{n}@example.com", f"<m{n}@example.org>")
            dkim.sign(copy, b"s1", b"example.org", rsa_pem, canonicalize=(b"relaxed", b"relaxed"))
        each = (time.process_time() - start) / args.copies * 1000
        print(f"   dkimpy: {each:6.2f} ms CPU a copy with RSA 2048 ({1000 / each:,.0f} copies/s)")


if __name__ == "__main__":
    main()
