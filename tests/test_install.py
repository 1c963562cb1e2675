"""A wheel of digest, installed outside the clone, has its templates and samples.

The wheel is built here (hatchling, without build isolation: no network) and installed
into a fresh virtual environment in a temporary directory. Its dependencies come from
this environment's site-packages through a .pth file, so nothing is downloaded; the
digest it runs is the wheel's (checked), never the checkout's. CI (.ci/run) does the
same with a full `pip install` of the wheel.
"""

import subprocess
import sys
import sysconfig
from pathlib import Path

from tests.conftest import ROOT


def check(command: list[str], cwd: Path) -> str:
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=300, env={"HOME": str(cwd)}
    )
    assert result.returncode == 0, (command, result.stdout, result.stderr)
    return result.stdout


def test_a_wheel_installed_outside_the_clone_builds_the_sample_issue(tmp_path):
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    check(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
        tmp_path,
    )
    (wheel,) = tmp_path.glob("digest-*.whl")
    env = tmp_path / "venv"
    check([sys.executable, "-m", "venv", "--without-pip", str(env)], tmp_path)
    python = env / "bin" / "python"
    check([*pip, "--python", str(python), "install", "--no-deps", str(wheel)], tmp_path)
    purelib = Path(
        check(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path
        ).strip()
    )
    # The dependencies, from here; .pth files in that directory (our editable install's)
    # are not read, so `import digest` can only find the wheel's copy.
    (purelib / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")

    digest = str(env / "bin" / "digest")
    assert check([digest, "--version"], tmp_path).startswith("digest ")
    where = check(
        [str(python), "-c", "import digest.render as r; print(r.builtin_templates())"], tmp_path
    )
    assert Path(where.strip()).is_relative_to(env) and not Path(where.strip()).is_relative_to(ROOT)
    check([digest, "init", "news"], tmp_path)
    out = check([digest, "build"], tmp_path / "news")
    assert out.startswith("Built 5 stories: out/digest.html")
    assert "Obama and Putin" in (tmp_path / "news" / "out" / "digest.txt").read_text()
