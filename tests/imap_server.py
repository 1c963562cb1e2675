"""A real IMAP server for the tests: Dovecot (Debian's dovecot-imapd) on 127.0.0.1.

Started as the current user with everything in a temporary directory: its own base_dir,
a passwd-file with one user, Maildir storage, a self-signed certificate (the SMTP
fixture's) trusted through SSL_CERT_FILE. Two listeners: implicit TLS (IMAPS) and plain
IMAP that requires STARTTLS before login. ``deliver`` puts a message straight into a
folder (Maildir files), as the mail system would; ``folder`` lists what a folder holds.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path

from tests.smtp_server import make_certificate

USERNAME = "bounces@example.org"
PASSWORD = "imap-Pa55word-never-shown"
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Imap:
    directory: Path
    tls_port: int
    starttls_port: int
    cert: Path
    process: subprocess.Popen[bytes]
    uid: int
    gid: int

    @property
    def maildir(self) -> Path:
        return self.directory / "home" / USERNAME / "Maildir"

    def _folder_dir(self, folder: str) -> Path:
        return self.maildir if folder == "INBOX" else self.maildir / f".{folder.replace('/', '.')}"

    def deliver(self, raw: bytes, folder: str = "INBOX", name: str | None = None) -> None:
        """Put ``raw`` into ``folder`` as a new message (Maildir delivery)."""
        base = self._folder_dir(folder)
        for sub in ("tmp", "new", "cur"):
            (base / sub).mkdir(parents=True, exist_ok=True)
            os.chown(base / sub, self.uid, self.gid)
        os.chown(base, self.uid, self.gid)
        name = name or f"{time.time_ns()}.{os.getpid()}.test"
        (base / "tmp" / name).write_bytes(raw)
        os.chown(base / "tmp" / name, self.uid, self.gid)
        (base / "tmp" / name).rename(base / "new" / name)

    def folder(self, folder: str = "INBOX") -> list[bytes]:
        """The messages in ``folder``, oldest first (by file name)."""
        base = self._folder_dir(folder)
        files = sorted(
            (p for sub in ("new", "cur") if (base / sub).is_dir() for p in (base / sub).iterdir()),
            key=lambda p: p.name,
        )
        return [p.read_bytes() for p in files]

    def subjects(self, folder: str = "INBOX") -> list[str]:
        return sorted(
            str(message_from_bytes(raw, policy=policy.compat32).get("subject", ""))
            for raw in self.folder(folder)
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.directory.name.startswith("digest-dovecot-"):
            shutil.rmtree(self.directory, ignore_errors=True)


CONFIG = """\
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
mail_location = maildir:~/Maildir
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 0
first_valid_gid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {starttls_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service auth {{
  user = {auth_user}
}}
service auth-worker {{
  user = {auth_user}
}}
service stats {{
  chroot =
}}
"""


def start_imap(directory: Path) -> Imap:
    """Dovecot on two free ports of 127.0.0.1, its files under ``directory``."""
    uid, gid = os.getuid(), os.getgid()
    user = auth_user = login_user = pwd.getpwuid(uid).pw_name
    group = grp.getgrgid(gid).gr_name
    if uid == 0:
        # Dovecot refuses root for its login and mail processes (CI runs as root): they
        # run as Debian's dovenull and dovecot users, in a directory they can reach.
        login_user = user = "dovecot"
        login_user = "dovenull"
        entry = pwd.getpwnam(user)
        uid, gid, group = entry.pw_uid, entry.pw_gid, grp.getgrgid(entry.pw_gid).gr_name
        directory = Path(tempfile.mkdtemp(prefix="digest-dovecot-"))
        directory.chmod(0o755)
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = make_certificate(directory)
    home = directory / "home" / USERNAME
    home.mkdir(parents=True)
    os.chown(home, uid, gid)
    tls_port, starttls_port = free_port(), free_port()
    (directory / "passwd").write_text(f"{USERNAME}:{{PLAIN}}{PASSWORD}\n")
    config = directory / "dovecot.conf"
    config.write_text(
        CONFIG.format(
            dir=directory,
            cert=cert,
            key=key,
            user=user,
            login_user=login_user,
            auth_user=auth_user,
            group=group,
            uid=uid,
            gid=gid,
            tls_port=tls_port,
            starttls_port=starttls_port,
        )
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    server = Imap(directory, tls_port, starttls_port, cert, process, uid, gid)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (
                (directory / "dovecot.log").read_text()
                if (directory / "dovecot.log").exists()
                else ""
            )
            out = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"dovecot exited: {out}{log}")
        try:
            with (
                socket.create_connection(("127.0.0.1", tls_port), timeout=1),
                socket.create_connection(("127.0.0.1", starttls_port), timeout=1),
            ):
                return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError("dovecot did not start listening in 20 s")
