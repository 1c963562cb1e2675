from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
ROOT = Path(__file__).parents[1]
SEED = ROOT.parent / "shared" / "seeds" / "000_9759493c22d8004d.txt"


def run_digest(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the `digest` command as a user would, in a clean environment."""
    return subprocess.run(
        [sys.executable, "-m", "digest", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite the golden files from the output"
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def articles_dir() -> Path:
    return FIXTURES / "articles"


@pytest.fixture
def write(tmp_path: Path):
    """Write a file under tmp_path and return its path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def web(tmp_path: Path):
    """A real HTTP server on 127.0.0.1 serving a copy of tests/fixtures/web (see web_server)."""
    import shutil

    from tests.web_server import start

    root = tmp_path / "web-root"
    shutil.copytree(FIXTURES / "web", root)
    state, server = start(root)
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A real SMTP server on 127.0.0.1 (STARTTLS, AUTH) whose certificate this process trusts."""
    from tests.smtp_server import start

    server = start(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
    yield server
    server.stop()
