"""Imports point one way: the API clients and the store know nothing of the sync, and the
runners know the clients only through the source and sink protocols (``sync/ports.py``).

Every absolute import is read from the source (``ast``), those under ``TYPE_CHECKING`` and
inside functions too, so a cycle cannot hide behind a lazy import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "accredo_hubspot"
SRC = Path(__file__).resolve().parents[1] / "src" / PACKAGE
#: Modules anyone may import: the connector's error root, the types shared across packages and
#: the task-group helpers.
NEUTRAL = ("errors", "shared", "tasks")
#: What the sync may take from the client packages: their wire models, errors and pure rules,
#: never a client (the runners are handed one as an ``AccredoSource`` or ``HubSpotSink``).
CLIENT_CONTRACT = (
    "accredo.models",
    "accredo.errors",
    "hubspot.models",
    "hubspot.errors",
    "hubspot.search",
)
#: Package -> the modules (relative to the top package) its imports may name.
ALLOWED: dict[str, tuple[str, ...]] = {
    "accredo": ("accredo", *NEUTRAL),
    "hubspot": ("hubspot", *NEUTRAL),
    "store": ("store", *NEUTRAL),
    "mapping": ("mapping", "accredo.models", "hubspot.models", *NEUTRAL),
    # The process's metrics (``metrics.py``): the clients report to it only through the
    # ``ResponseHook`` of ``shared.py``, so they never import it.
    "sync": ("sync", "mapping", "store", "metrics", *CLIENT_CONTRACT, *NEUTRAL),
    # The web app checks signatures and parses deliveries (pure), and writes the inbox.
    "web": (
        "web",
        "store",
        "hubspot.signatures",
        "hubspot.webhooks",
        "hubspot.models",
        "hubspot.errors",
        "metrics",
        *NEUTRAL,
    ),
}


def imports_of(path: Path) -> set[str]:
    """Every first-party module a file imports, relative to the top package."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(
            name.removeprefix(f"{PACKAGE}.") for name in names if name.startswith(f"{PACKAGE}.")
        )
    return found


def allowed(module: str, rules: tuple[str, ...]) -> bool:
    return any(module == rule or module.startswith(f"{rule}.") for rule in rules)


def violations(package: str) -> list[str]:
    rules = ALLOWED[package]
    return sorted(
        f"{path.relative_to(SRC)} imports {PACKAGE}.{module}"
        for path in (SRC / package).rglob("*.py")
        for module in imports_of(path)
        if not allowed(module, rules)
    )


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_the_allowed_way(package: str) -> None:
    assert violations(package) == []


def test_the_walk_sees_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    """The rules could not fail if the walk missed the imports a cycle hides behind."""
    source = tmp_path / "sample.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import accredo_hubspot.store\n"
        "if TYPE_CHECKING:\n"
        "    from accredo_hubspot.sync.ports import HubSpotSink\n"
        "def late():\n"
        "    from accredo_hubspot.hubspot.client import HubSpotClient\n",
        encoding="utf-8",
    )
    assert imports_of(source) == {"store", "sync.ports", "hubspot.client"}
    assert not allowed("hubspot.client", ALLOWED["sync"])
    assert not allowed("accredo", ALLOWED["sync"])  # the package root exports the client
    assert allowed("hubspot.models", ALLOWED["sync"])
    assert not allowed("sync.ports", ALLOWED["hubspot"])


def test_every_package_has_rules() -> None:
    packages = {p.name for p in SRC.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(ALLOWED)
