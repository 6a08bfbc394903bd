"""The operating commands refuse malformed requests before opening anything."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accredo_hubspot.cli import app

pytestmark = pytest.mark.usefixtures("restore_logging")


def invoke(args: list[str], tmp_path: Path) -> tuple[int, str]:
    env = {"ACCREDO_HUBSPOT_DATABASE_URL": f"sqlite:///{tmp_path / 'state.db'}"}
    with contextlib.chdir(tmp_path):
        result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["dead-letters", "replay"], "one dead letter ID, or --all"),
        (["dead-letters", "replay", "3", "--all"], "one dead letter ID, or --all"),
        (["dead-letters", "replay", "3", "--set", "no-equals-sign"], "PROPERTY=VALUE"),
        (["matches", "resolve", "ACME"], "--company ID or --new"),
        (["matches", "resolve", "ACME", "--company", "5", "--new"], "--company ID or --new"),
    ],
)
def test_a_malformed_request_is_refused_saying_how(
    args: list[str], says: str, tmp_path: Path
) -> None:
    code, err = invoke(args, tmp_path)
    assert code == 2
    assert says in err
    assert not (tmp_path / "state.db").exists()


def test_show_and_discard_of_a_letter_that_does_not_exist(tmp_path: Path) -> None:
    code, err = invoke(["dead-letters", "show", "42"], tmp_path)
    assert code == 1 and "no dead letter 42" in err
    code, err = invoke(["dead-letters", "discard", "42", "--reason", "x"], tmp_path)
    assert code == 1 and "no dead letter 42" in err
    code, err = invoke(["dead-letters", "list"], tmp_path)
    assert code == 0
