"""`digest init DIR`: a directory to start a newsletter in, never over an existing file."""

import stat

from tests.conftest import ROOT
from tests.conftest import run_digest as run


def test_init_writes_the_settings_a_private_env_and_the_samples_and_says_what_next(tmp_path):
    result = run("init", "news", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    site = tmp_path / "news"
    assert stat.S_IMODE((site / ".env").stat().st_mode) == 0o600
    settings = (site / "digest.toml").read_text(encoding="utf-8")
    assert settings.startswith("# Written by `digest init`")
    assert "# [[sources]]\n# feed = " in settings and 'path = "content"' in settings
    env = (site / ".env").read_text(encoding="utf-8")
    assert "# SMTP_PASSWORD=" in env and "Copy to" not in env
    shipped = sorted(p.name for p in (ROOT / "content").iterdir())
    assert sorted(p.name for p in (site / "content").iterdir()) == shipped
    steps = [line for line in result.stdout.splitlines() if line.strip()[:2] in ("1.", "2.", "3.")]
    assert len(steps) == 3 and "cd news" in steps[0] and "digest send --to" in steps[2]
    built = run("build", cwd=site)
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith(f"Built {len(shipped)} stories")


def test_init_never_overwrites_a_file_and_writes_nothing_when_one_is_there(tmp_path):
    (tmp_path / ".env").write_text("SMTP_HOST=mail.example.org\n")
    result = run("init", cwd=tmp_path)
    assert result.returncode == 4
    assert result.stderr == (
        "digest: error: .env: already exists; digest init never overwrites a file\n"
    )
    assert (tmp_path / ".env").read_text() == "SMTP_HOST=mail.example.org\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env"]


def test_init_leaves_a_content_directory_of_your_own_alone(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "mine.md").write_text("# Mine\n\nMy own article.\n")
    result = run("init", str(tmp_path))
    assert result.returncode == 4
    assert "content: already exists and is not empty" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "digest.toml").exists()
