"""The README's "Your first real newsletter", followed literally: its shell blocks run as
written (HOME is a temporary directory, `digest` is on the path where pipx puts it), its
.env and digest.toml blocks are written where it says, with only the addresses of the
local HTTP and SMTP servers put in for the example ones. If the README drifts from what
works, this test fails."""

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.smtp_server import PASSWORD, USERNAME

HEADING = "## Your first real newsletter"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)


def first_newsletter_blocks() -> list[tuple[str, str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split(HEADING, 1)[1].split("\n## ", 1)[0]
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(section)]


def shell(script: str, cwd: Path, home: Path) -> Path:
    """Run ``script`` as the README's reader would; the directory it ends in."""
    result = subprocess.run(
        ["bash", "-e", "-c", f"{script}\npwd"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={"HOME": str(home), "PATH": f"{home}/.local/bin:/usr/bin:/bin"},
    )
    assert result.returncode == 0, (script, result.stdout, result.stderr)
    return Path(result.stdout.splitlines()[-1])


def set_in_digest_table(settings: str, block: str) -> str:
    """Each ``key = value`` of ``block`` in place of that key's line (set or commented)."""
    head, rest = settings.split("[digest]\n", 1)
    table, after = rest.split("\n[", 1)
    for line in block.strip().splitlines():
        key = line.split("=", 1)[0].strip()
        pattern = re.compile(rf"^(# )?{key} *=.*$", re.M)
        assert len(pattern.findall(table)) == 1, key
        table = pattern.sub(lambda _, line=line: line, table)
    return f"{head}[digest]\n{table}\n[{after}"


def test_the_readmes_first_real_newsletter_reaches_the_readers(tmp_path, web, smtp):
    blocks = first_newsletter_blocks()
    kinds = [kind for kind, _ in blocks]
    assert kinds == ["sh", "dotenv", "toml", "toml", "toml", "sh", "sh", "crontab", "ini"]
    (init, env, digest_keys, sample, feeds, build, test_copy, cron, timer) = (
        text for _, text in blocks
    )
    home = tmp_path / "home"
    (home / ".local" / "bin").mkdir(parents=True)
    (home / ".local" / "bin" / "digest").symlink_to(Path(sys.executable).parent / "digest")

    # 1. digest init, cd
    site = shell(init, home, home)
    assert site == home / "newsletter" and (site / "content").is_dir()

    # 2. .env: the README's variables, the test server's address and login for the example's
    local = {"SMTP_HOST": "127.0.0.1", "SMTP_USERNAME": USERNAME, "SMTP_PASSWORD": PASSWORD}
    lines = env.strip().splitlines()
    keys = [line.split("=", 1)[0] for line in lines]
    assert keys == ["SMTP_HOST", "SMTP_USERNAME", "SMTP_PASSWORD", "DIGEST_FROM", "DIGEST_TO"]
    written = [
        f"{k}={local[k]}" if k in local else line for k, line in zip(keys, lines, strict=True)
    ]
    written += [f"SMTP_PORT={smtp.port}", f"SSL_CERT_FILE={smtp.cert}"]
    with (site / ".env").open("a", encoding="utf-8") as file:
        file.write("\n".join(written) + "\n")

    # 3. digest.toml: the [digest] settings, the sample source replaced by the feeds
    config = site / "digest.toml"
    settings = set_in_digest_table(config.read_text(encoding="utf-8"), digest_keys)
    assert sample in settings, "the README's sample source is not what digest init writes"
    urls = re.findall(r'^feed = "(.*)"$', feeds, re.M)
    assert len(urls) == 2
    for url, served in zip(urls, ("rss20.xml", "feed.json"), strict=True):
        feeds = feeds.replace(url, web.url(served))
    config.write_text(settings.replace(sample, feeds), encoding="utf-8")
    shell(build, site, home)
    issue = (site / "out" / "digest.txt").read_text(encoding="utf-8")
    assert "The Example Weekly" in issue and "Wrenmouth" in issue  # rss20.xml's first story

    # 4. a test copy to the address the README gives, and to nobody else
    shell(test_copy, site, home)
    address = test_copy.split("--to", 1)[1].split()[0]
    assert smtp.mailbox.by_recipient() == {address: 1}

    # 5. the cron line's command, as cron runs it (in HOME, with a bare PATH)
    command = cron.strip().split(None, 5)[5]
    shell(command, home, home)
    readers = [a.strip() for a in dict(k.split("=", 1) for k in lines)["DIGEST_TO"].split(",")]
    assert smtp.mailbox.by_recipient() == {address: 1, **dict.fromkeys(readers, 1)}
    message = smtp.mailbox.received[-1].message
    assert message["Subject"].startswith("The Example Weekly · ")
    assert "Wrenmouth" in message.get_body(("plain",)).get_content()
    # The systemd timer beside it runs the same command in the same directory.
    assert "WorkingDirectory=%h/newsletter" in timer
    assert f"ExecStart={command.split('&& ', 1)[1].replace('~', '%h')}" in timer
