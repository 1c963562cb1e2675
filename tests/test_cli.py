"""The command line, run as a user runs it: a real process, exit codes and stderr."""

import argparse
import json
import signal
import subprocess
import sys

import pytest

from digest.cli import make_parser
from tests.conftest import ROOT
from tests.conftest import run_digest as run

BRIEF_KEYS = {"title", "headline", "sentences", "url", "source", "published"}


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("digest: error:"), result.stderr


def test_build_of_the_bundled_content_needs_no_configuration(tmp_path):
    result = run("build", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "digest.json").read_text())
    assert len(data["items"]) == len(list((ROOT / "content").iterdir()))
    assert (tmp_path / "digest.html").read_text().startswith("<!doctype html>")
    assert (tmp_path / "digest.txt").read_text().strip()


def test_build_skips_bad_files_with_one_warning_each(tmp_path, articles_dir):
    content = tmp_path / "content"
    content.mkdir()
    for article in articles_dir.iterdir():
        (content / article.name).write_bytes(article.read_bytes())
    (content / "empty.md").write_text("")
    (content / "latin1.txt").write_bytes("Caf\xe9\nLe caf\xe9 est ouvert.\n".encode("latin-1"))
    (tmp_path / "digest.toml").write_text(
        '[digest]\ntitle = "Friday Brief"\nout_dir = "public"\n\n[[sources]]\npath = "content"\n'
    )
    result = run("build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 2
    assert any("empty.md" in w and "empty" in w for w in warnings)
    assert any("latin1.txt" in w and "UTF-8" in w for w in warnings)
    data = json.loads((tmp_path / "public" / "digest.json").read_text())
    assert data["title"] == "Friday Brief"
    assert len(data["items"]) == 3
    for item in data["items"]:
        assert set(item) >= BRIEF_KEYS
        assert 2 <= len(item["sentences"]) <= 3


def test_build_with_no_usable_article_fails_clearly(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "empty.txt").write_text("")
    result = run("build", cwd=tmp_path)
    assert result.returncode == 5
    assert "no usable article" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_build_with_no_usable_article_still_names_each_skipped_file(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "empty.md").write_text("")
    (tmp_path / "content" / "latin1.txt").write_bytes("Caf\xe9 ouvert.\n".encode("latin-1"))
    result = run("build", cwd=tmp_path)
    assert result.returncode == 5 and "Traceback" not in result.stderr
    *warnings, error = result.stderr.strip().splitlines()
    assert error.startswith("digest: error: no usable article")
    assert len(warnings) == 2 and all(w.startswith("digest: warning:") for w in warnings)
    assert "empty.md" in warnings[0] and "latin1.txt" in warnings[1]


def test_a_missing_content_directory_is_a_configuration_error(tmp_path):
    (tmp_path / "digest.toml").write_text('[[sources]]\npath = "contnet"\n')
    result = run("build", cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert result.stderr.splitlines()[-1].startswith("digest: error:")
    assert "contnet: content directory not found" in result.stderr


def test_build_with_a_broken_configuration_exits_3(tmp_path):
    (tmp_path / "digest.toml").write_text("[digest]\ntitle = \n")
    assert_one_line_error(run("build", cwd=tmp_path), 3)
    (tmp_path / "digest.toml").write_text('[digest]\ntitel = "typo"\n')
    result = run("build", cwd=tmp_path)
    assert_one_line_error(result, 3)
    assert "titel" in result.stderr


def test_missing_config_file_exits_3(tmp_path):
    assert_one_line_error(run("build", "--config", str(tmp_path / "nope.toml")), 3)


def test_brief_prints_json_with_the_documented_keys(articles_dir):
    result = run("brief", str(articles_dir / "ferry-timetable.md"), "--json", "--sentences", "2")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == BRIEF_KEYS
    assert len(data["sentences"]) == 2
    assert data["source"] == "Island Gazette"


def test_brief_prints_headline_and_sentences_as_text(articles_dir):
    result = run("brief", str(articles_dir / "school-meals.txt"))
    assert result.returncode == 0
    headline, blank, *sentences = result.stdout.splitlines()
    assert headline.startswith("Free school meals") and blank == "" and len(sentences) >= 2


def test_brief_of_an_unusable_file_exits_4(tmp_path):
    (tmp_path / "empty.md").write_text("")
    result = run("brief", str(tmp_path / "empty.md"))
    assert_one_line_error(result, 4)
    assert "empty.md" in result.stderr


def test_usage_error_exits_2():
    assert run("brief").returncode == 2
    assert run("brief", "x.md", "--sentences", "0").returncode == 2
    assert run("no-such-command").returncode == 2


def test_every_command_has_help_text():
    def check(parser: argparse.ArgumentParser, path: str) -> int:
        commands = 0
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {a.dest: a.help for a in action._choices_actions}
                for name, sub in action.choices.items():
                    assert helps.get(name) and sub.description, f"{path} {name}"
                    commands += 1 + check(sub, f"{path} {name}")
            else:
                assert action.help, f"{path} {action.dest}"
        return commands

    assert check(make_parser(), "digest") >= 5


@pytest.mark.parametrize("command", ["build", "brief"])
def test_help_runs(command):
    result = run(command, "--help")
    assert result.returncode == 0 and "usage: digest" in result.stdout


def test_a_dotenv_that_is_not_utf8_is_a_configuration_error(tmp_path):
    (tmp_path / ".env").write_bytes(b"DIGEST_CONFIG=caf\xe9.toml\n")
    assert_one_line_error(run("build", cwd=tmp_path), 3)


def test_preview_on_an_impossible_port_is_one_line():
    assert_one_line_error(run("preview", "--port", "99999"), 1)


def test_a_usage_error_shows_the_commands_own_usage():
    result = run("build", "--bogus")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: digest build") and "--bogus" in result.stderr


def test_verbose_is_accepted_after_the_command_and_keeps_to_our_own_lines(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "empty.txt").write_text("")
    for args in (("-v", "build"), ("build", "-v")):
        result = run(*args, cwd=tmp_path)
        assert result.returncode == 5 and "Traceback" in result.stderr  # -v shows it
    assert "Traceback" not in run("build", cwd=tmp_path).stderr


def test_an_unknown_setting_suggests_the_one_meant(tmp_path):
    (tmp_path / "digest.toml").write_text('[digest]\ntitel = "Weekly"\n')
    result = run("build", cwd=tmp_path)
    assert_one_line_error(result, 3)
    assert "unknown setting 'titel' (did you mean 'title'?)" in result.stderr


def test_a_closed_pipe_ends_quietly(articles_dir):
    # `digest brief ... --json | head -c 1`: the reader goes away before the output ends.
    process = subprocess.Popen(
        [sys.executable, "-m", "digest", "brief", str(articles_dir / "school-meals.txt"), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)},
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # nothing reads: the first write fails with EPIPE
    assert process.wait(timeout=60) == 128 + signal.SIGPIPE
    assert process.stderr.read() == b""


def test_a_preview_stopped_with_sigterm_removes_its_temporary_build(tmp_path, articles_dir):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    (tmp_path / "digest.toml").write_text(f'[[sources]]\npath = "{articles_dir}"\n')
    process = subprocess.Popen(
        [sys.executable, "-m", "digest", "preview", "--port", "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(scratch)},
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("Previewing at http://127.0.0.1:")
    assert next(p.name for p in scratch.iterdir()).startswith("digest-preview-")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert list(scratch.iterdir()) == []
