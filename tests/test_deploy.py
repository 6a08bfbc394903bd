"""Deployment: the Dockerfile runs the connector alone as a non-root user, and the README's
systemd unit passes ``systemd-analyze verify``.

No Docker daemon is assumed (building the image needs one, and the network for the base image
and PyPI): the Dockerfile is read instruction by instruction, and the package it installs is
built here, from exactly the files it copies, as a wheel holding the connector and no simulator.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.e2e.world import CLI

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
README = ROOT / "README.md"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile: continuations joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        found.append((keyword.upper(), " ".join(rest.split())))
    return found


DOCKER = instructions(DOCKERFILE.read_text(encoding="utf-8"))


def test_instructions_are_read_across_continuations() -> None:
    parsed = instructions("FROM a\n# note\nRUN one \\\n    two\nUSER x\n")
    assert parsed == [("FROM", "a"), ("RUN", "one two"), ("USER", "x")]


def test_the_image_starts_from_a_slim_python() -> None:
    (base,) = [args for keyword, args in DOCKER if keyword == "FROM"]
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", base), base


def test_the_connector_runs_as_a_user_that_is_not_root() -> None:
    keywords = [keyword for keyword, _ in DOCKER]
    users = [args for keyword, args in DOCKER if keyword == "USER"]
    assert users, "no USER: the container would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    last_user = max(i for i, keyword in enumerate(keywords) if keyword == "USER")
    assert last_user < keywords.index("ENTRYPOINT")
    assert not any(keyword == "RUN" for keyword in keywords[last_user:])  # nothing after as root
    assert [args for keyword, args in DOCKER if keyword == "ENTRYPOINT"] == ['["accredo-hubspot"]']


def test_the_image_installs_the_connector_without_the_simulators() -> None:
    text = " ".join(args for _, args in DOCKER).lower()  # the instructions, not the comments
    assert "[sim" not in text and "faker" not in text
    copied = [args.split()[:-1] for keyword, args in DOCKER if keyword == "COPY"]
    sources = [source for group in copied for source in group]
    assert "src/sims" not in sources and "src" not in sources and "." not in sources
    for source in sources:
        assert (ROOT / source).exists(), source
    (install,) = [args for keyword, args in DOCKER if keyword == "RUN" and "pip install" in args]
    assert re.search(r"pip install \. ", install), install


def test_what_the_image_copies_builds_the_connector_alone(tmp_path: Path) -> None:
    """The wheel ``pip install .`` makes in the image, from the files the image copies."""
    context = tmp_path / "context"
    for keyword, args in DOCKER:
        if keyword != "COPY":
            continue
        *sources, target = args.split()
        destination = context / target.removeprefix("./")
        for source in sources:
            if (ROOT / source).is_dir():  # COPY dir target: the dir's contents at target
                ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
                shutil.copytree(ROOT / source, destination, ignore=ignore)
            else:  # files into the target directory
                destination.mkdir(parents=True, exist_ok=True)
                shutil.copy(ROOT / source, destination / Path(source).name)
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(context)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("accredo_hubspot-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "accredo_hubspot/cli.py" in names
    assert "accredo_hubspot/store/migrations/versions/0001_v1.py" in names
    assert not [name for name in names if name.startswith("sims/")]


def readme_unit() -> str:
    """The systemd unit the README's "Operating it" gives (its one ``ini`` block)."""
    section = README.read_text(encoding="utf-8").split("## Operating it", 1)[1].split("\n## ", 1)[0]
    blocks: list[str] = re.findall(r"```ini\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1, "the README's Operating it section has no single ini block"
    return blocks[0]


def test_the_readme_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("no systemd-analyze on this machine")
    unit = readme_unit()
    assert "User=accredo-hubspot" in unit  # not root
    assert "ACCREDO_HUBSPOT_STATUS_TOKEN" not in unit  # secrets live in the EnvironmentFile
    documented = re.search(r"^ExecStart=(\S+) run$", unit, flags=re.MULTILINE)
    assert documented is not None, unit
    path = tmp_path / "accredo-hubspot.service"
    path.write_text(unit.replace(documented.group(1), CLI), encoding="utf-8")  # installed here
    verified = subprocess.run(
        [analyze, "verify", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert verified.returncode == 0, verified.stderr
    assert "accredo-hubspot.service" not in verified.stderr, verified.stderr  # no warning of it
    path.write_text(unit, encoding="utf-8")  # the documented path does not exist here
    refused = subprocess.run(
        [analyze, "verify", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert refused.returncode != 0  # so the check above can fail
