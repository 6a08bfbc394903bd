"""Debian's headless Chromium, driven from its command line: a page's DOM after load, and a
screenshot. Nothing is installed at run time (``make browser`` installs it where it can); a test
needing it skips, saying why, where it is absent."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

#: Where screenshots are kept after a test run (gitignored).
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: A phone (CSS pixels of a common Android handset) and a desktop window.
PHONE = (412, 915)
DESKTOP = (1100, 1000)
TIMEOUT_S = 60


def chromium() -> str:
    """The browser's path, or a skip saying how to get it."""
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("no chromium on PATH: `make browser` installs Debian's (apt-get, as root)")
    return path


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        command = [
            chromium(),
            "--headless",
            "--no-sandbox",  # as root in a container, where its sandbox cannot start
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *args,
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def dump_dom(url: str) -> str:
    """The document as Chromium holds it once the page has loaded."""
    return _run(["--dump-dom", url]).stdout


def screenshot(url: str, name: str, size: tuple[int, int]) -> Path:
    """A PNG of the page at ``size`` (width, height), kept under ``ARTIFACTS``."""
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / name
    target.unlink(missing_ok=True)
    _run([f"--window-size={size[0]},{size[1]}", f"--screenshot={target}", url])
    assert target.is_file() and target.stat().st_size > 0
    return target
