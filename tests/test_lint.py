"""The package and its tools pass the linter the project is set up with (pyproject)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing_in_the_package():
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "paxossim", "benchmarks", "scenarios"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
