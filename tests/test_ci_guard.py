import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_pytest_on(tmp_path, env_ci):
    test = tmp_path / "test_skips.py"
    test.write_text("import pytest\n\ndef test_it():\n    pytest.skip('no service here')\n")
    conftest = tmp_path / "conftest.py"
    conftest.write_text("from tests.conftest import pytest_runtest_makereport  # noqa: F401\n")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:django",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(test),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "CI": env_ci},
    )


def test_a_skip_fails_under_ci(tmp_path):
    result = run_pytest_on(tmp_path, "true")
    assert result.returncode == 1, result.stdout
    assert "1 failed" in result.stdout


def test_a_skip_is_a_skip_on_a_laptop(tmp_path):
    result = run_pytest_on(tmp_path, "")
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
