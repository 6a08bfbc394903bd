"""The operating commands refuse malformed requests before opening anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.operate import invoke

pytestmark = pytest.mark.usefixtures("restore_logging")


def store_only(tmp_path: Path) -> dict[str, str]:
    """The environment of a site with only its state store set (a file in ``tmp_path``)."""
    return {"ACCREDO_HUBSPOT_DATABASE_URL": f"sqlite:///{tmp_path / 'state.db'}"}


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
    code, _, err = invoke(args, store_only(tmp_path), tmp_path)
    assert code == 2
    assert says in err
    assert not (tmp_path / "state.db").exists()


def test_show_and_discard_of_a_letter_that_does_not_exist(tmp_path: Path) -> None:
    code, _, err = invoke(["dead-letters", "show", "42"], store_only(tmp_path), tmp_path)
    assert code == 1 and "no dead letter 42" in err
    code, _, err = invoke(
        ["dead-letters", "discard", "42", "--reason", "x"], store_only(tmp_path), tmp_path
    )
    assert code == 1 and "no dead letter 42" in err
    code, _, err = invoke(["dead-letters", "list"], store_only(tmp_path), tmp_path)
    assert code == 0
