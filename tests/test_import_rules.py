"""Which package may import which, checked on this checkout's code (issue 14).

Data flows channel → core → handler; only storage/ speaks SQL. The rules that keep that true
are import-linter contracts in pyproject.toml (``[tool.importlinter]``): no cycles among the
modules and subpackages of one package; the core (bot/ without its composition roots) imports
no channel, feature, broadcast or panel; a handler imports no channel and no panel; a channel
no handler, broadcast or panel; storage/ nothing of ours but itself. The core, handlers, channels,
broadcasts and the panel reach storage through ``storage.ports`` (the protocols and their values),
never the SQLite modules, and the panel takes no conversation name from a handler. Only bot/app.py, bot/cli.py
and bot/__main__.py, which wire the application, may import everything, and nothing imports them
(so no core module reaches a feature through them). Imports inside
functions and under TYPE_CHECKING count: a cycle that only runs later is still a cycle.

import-linter's cycle contract looks inside one package at a time, so a cycle through two
packages (a handler importing a broadcast module that imports the handler) is looked for here
with grimp, the graph import-linter is built on.
"""
from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

import grimp
import pytest
from importlinter import configuration
from importlinter.application.use_cases import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
configuration.configure()  # what importlinter.cli does on import, without its logging set-up
SETTINGS = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
PACKAGES = SETTINGS["root_packages"]


def test_the_rules_are_read_from_this_checkout():
    """The graph is built from the packages Python finds; they must be these files, not an
    installed copy, or the rules would be checked on other code."""
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.origin is not None, f"{package} is not a regular package"
        assert Path(spec.origin).resolve() == ROOT / package / "__init__.py"


@pytest.mark.parametrize("contract", [c["id"] for c in SETTINGS["contracts"]])
def test_import_contract_is_kept(contract, capsys):
    # The use case, not importlinter.cli: the CLI's dictConfig disables every logger that exists,
    # and the tests after this one read the bot's log lines.
    kept = lint_imports(config_filename=str(PYPROJECT), limit_to_contracts=(contract,), cache_dir=None,
                        no_logo=True)
    assert kept, capsys.readouterr().out


def test_no_module_imports_itself_through_others():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    cycles = set()
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            chain = graph.find_shortest_chain(importer=imported, imported=importer)
            if chain is not None:
                cycles.add(" -> ".join((importer, *chain)))
    assert not cycles, "import cycles:\n" + "\n".join(sorted(cycles))


def test_the_core_imports_nothing_above_it():
    """bot/core is the core (events, replies, routing, the dispatcher, the channel contract,
    rendering); the rest of bot/ is the application that wires it. The core may use storage
    below it and nothing of the application, the channels, the features or the panel."""
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    core = {m for m in graph.modules if m == "bot.core" or m.startswith("bot.core.")}
    above = sorted(f"{importer} -> {imported}" for importer in core
                   for imported in graph.find_modules_directly_imported_by(importer)
                   if imported.split(".")[0] in PACKAGES and imported not in core
                   and not imported.startswith("storage"))
    assert not above, "the core imports from above it:\n" + "\n".join(above)
