"""``pip install accredo-hubspot`` brings what the connector imports and nothing else; the
``[sim]`` extra brings what only the simulators (src/sims) import; the README's dependency
tables name exactly these."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from accredo_hubspot.demo import missing_requirements, sim_extra_problem

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
FIRST_PARTY = frozenset({"accredo_hubspot", "sims"})
#: Base dependencies the connector needs without importing them by name, and why.
INDIRECT = {
    "sniffio": "httpcore names the running event loop with it, once",
    "tzdata": "the IANA time zones (Pacific/Auckland) where the system has none",
}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(requirements: list[str]) -> set[str]:
    names: set[str] = set()
    for requirement in requirements:
        match = re.match(r"[A-Za-z0-9._-]+", requirement)
        assert match is not None, requirement
        names.add(canonical(match.group()))
    return names


def imported_modules(package: str) -> set[str]:
    """The top-level name of every absolute import anywhere in a package (lazy ones too)."""
    modules: set[str] = set()
    for path in (SRC / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.partition(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.partition(".")[0])
    return modules


def third_party(modules: set[str]) -> set[str]:
    """The distributions providing these modules (standard library and our own left out)."""
    providers = importlib.metadata.packages_distributions()
    found: set[str] = set()
    for module in modules - FIRST_PARTY - set(sys.stdlib_module_names):
        assert module in providers, f"no installed distribution provides {module!r}"
        found.update(canonical(name) for name in providers[module])
    return found


#: Drivers the connector imports only for a backend the user chose, and installs with it.
OPTIONAL_DRIVERS = {
    "psycopg": "the PostgreSQL store (store/engine.py tunes it); README: install it beside",
}

BASE = requirement_names(PROJECT["dependencies"])
SIM = requirement_names(PROJECT["optional-dependencies"]["sim"])
README = ROOT / "README.md"


def readme_dependencies() -> tuple[set[str], dict[str, set[str]]]:
    """The packages the README's dependency tables name: the base ones, and each extra's."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Dependencies, and why each is there", 1)[1].split("\n## ", 1)[0]
    base: set[str] = set()
    extras: dict[str, set[str]] = {}
    for line in section.splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0] in ("package", "extra") or set(cells[0]) <= set("-"):
            continue
        if cells[0].startswith("`"):
            names = re.findall(r"[A-Za-z][\w.-]*", cells[1])
            extras[cells[0].strip("`")] = {canonical(name) for name in names}
        else:
            base.add(canonical(cells[0].split()[0]))
    return base, extras


def test_the_connector_never_imports_the_simulators_or_their_dependencies() -> None:
    modules = imported_modules("accredo_hubspot")
    assert "sims" not in modules
    assert "faker" not in modules
    assert not third_party(modules) & SIM


def test_base_dependencies_are_exactly_what_the_connector_uses() -> None:
    assert set(INDIRECT) <= BASE
    assert not set(OPTIONAL_DRIVERS) & BASE
    used = third_party(imported_modules("accredo_hubspot")) - set(OPTIONAL_DRIVERS)
    assert used == BASE - set(INDIRECT)


def test_the_sim_extra_is_exactly_what_only_the_simulators_add() -> None:
    assert "faker" in SIM
    assert not SIM & BASE
    assert third_party(imported_modules("sims")) - BASE == SIM


def test_missing_requirements_reads_only_the_named_extra() -> None:
    requirements = [
        "httpx>=0.27",
        'pytest>=8; extra == "sim"',
        "no-such-distribution-xyz>=1; extra == 'sim'",
        'another-missing-distribution; extra == "test"',
    ]
    assert missing_requirements(requirements, "sim") == ["no-such-distribution-xyz"]
    assert missing_requirements(requirements, "test") == ["another-missing-distribution"]


def test_the_demo_names_the_sim_extra_in_one_line_when_it_is_missing() -> None:
    problem = sim_extra_problem(['no-such-distribution-xyz; extra == "sim"'])
    assert problem is not None
    assert "pip install 'accredo-hubspot[sim]'" in problem
    assert "no-such-distribution-xyz" in problem
    assert "\n" not in problem


def test_this_environment_has_the_sim_extra() -> None:
    installed = importlib.metadata.requires("accredo-hubspot") or []
    assert sim_extra_problem(installed) is None


def test_the_readme_names_every_dependency_and_no_other() -> None:
    base, extras = readme_dependencies()
    assert base == BASE
    wanted = {name: requirement_names(r) for name, r in PROJECT["optional-dependencies"].items()}
    assert extras == wanted
