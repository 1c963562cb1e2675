"""`.env` as documented: found beside the configuration file and in the working
directory, and applied to the process, so that SSL_CERT_FILE reaches TLS."""

import os
import subprocess
import sys

from digest.config import load_config, load_environment
from digest.runs import build
from tests.conftest import run_digest

READERS = ["ann@example.com", "bob@example.net"]


def test_env_beside_the_config_wins_over_the_working_directory_and_the_environment_wins_all(
    tmp_path, monkeypatch
):
    work, conf = tmp_path / "work", tmp_path / "conf"
    work.mkdir()
    conf.mkdir()
    (conf / "digest.toml").write_text('[digest]\ntitle = "Weekly"\n')
    (conf / ".env").write_text("SMTP_HOST=beside.example.org\nDIGEST_FROM=a@example.org\n")
    (work / ".env").write_text("SMTP_HOST=here.example.org\nSMTP_USERNAME=here\n")
    monkeypatch.chdir(work)
    for name in ("SMTP_HOST", "SMTP_USERNAME", "DIGEST_FROM", "DIGEST_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    env = load_environment(conf / "digest.toml")
    assert (env["SMTP_HOST"], env["SMTP_USERNAME"]) == ("beside.example.org", "here")
    config = load_config(conf / "digest.toml")
    assert (config.send.host, config.send.username) == ("beside.example.org", "here")
    assert config.send.sender == "a@example.org"
    assert load_environment()["SMTP_HOST"] == "here.example.org"  # no config named: ./.env
    monkeypatch.setenv("SMTP_HOST", "environment.example.org")
    assert load_config(conf / "digest.toml").send.host == "environment.example.org"


def test_ssl_cert_file_in_dotenv_trusts_the_test_servers_certificate(
    tmp_path, articles_dir, smtp, monkeypatch
):
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "digest.toml").write_text(
        '[digest]\ntitle = "The Weekly"\nout_dir = "out"\n'
        'unsubscribe_url = "https://news.example.org/unsub"\n'
        f'[[sources]]\npath = "{articles_dir}"\n[send]\nrate = 0\ntimeout = 10\n',
        encoding="utf-8",
    )
    settings = {**smtp.env(), "DIGEST_FROM": "news@example.org", "DIGEST_TO": ",".join(READERS)}
    # Everything, the certificate included, comes from the .env beside the configuration.
    (conf / ".env").write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    build(load_config(conf / "digest.toml", settings))
    clean = {k: v for k, v in os.environ.items() if k not in settings}
    assert "SSL_CERT_FILE" not in clean
    sent = subprocess.run(
        [sys.executable, "-m", "digest", "send", "--config", str(conf / "digest.toml")],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert sent.returncode == 0, sent.stderr
    assert smtp.mailbox.by_recipient() == dict.fromkeys(READERS, 1)

    # The same without the certificate: not trusted.
    (conf / ".env").write_text(
        "".join(f"{k}={v}\n" for k, v in settings.items() if k != "SSL_CERT_FILE")
    )
    (conf / ".digest-state").rename(tmp_path / "old-state")  # a fresh ledger: send again
    refused = subprocess.run(
        [sys.executable, "-m", "digest", "send", "--config", str(conf / "digest.toml")],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 9, refused.stderr
    assert "certificate is not trusted" in refused.stderr and "SSL_CERT_FILE" in refused.stderr
    assert smtp.mailbox.by_recipient() == dict.fromkeys(READERS, 1)


def test_an_unknown_digest_or_smtp_variable_in_dotenv_is_a_warning_with_a_suggestion(tmp_path):
    (tmp_path / "digest.toml").write_text('[digest]\ntitle = "Weekly"\n')
    (tmp_path / ".env").write_text(
        "SMTP_HOST=mail.example.org\nSMTP_PASWORD=secret\nDIGEST_RECIPIENT=a@example.org\n"
        "EDITOR=vi\nDIGEST_TO=a@example.org\n"
    )
    result = run_digest("sources", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines == [
        "digest: WARNING: .env: unknown variable 'DIGEST_RECIPIENT' "
        "(did you mean 'DIGEST_RECIPIENTS_FILE'?)",
        "digest: WARNING: .env: unknown variable 'SMTP_PASWORD' (did you mean 'SMTP_PASSWORD'?)",
    ]
    assert "secret" not in result.stderr  # a value is never shown: it may be the password
