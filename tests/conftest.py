"""Shared test hooks: what lets the suite run on several processes (pytest-xdist)."""
from __future__ import annotations

import fcntl
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import AsyncIterator, Iterator

import pytest
import pytest_asyncio

# The longest test files, longest first (from ``--durations`` on a 2-core machine). With
# ``--dist loadfile --no-loadscope-reorder`` (tasks.py) the processes take files in collection
# order, so these start first and the short files fill in around them, instead of a long file
# starting last and running alone at the end. A file missing here only runs later; refresh the
# list when a file grows long.
LONGEST_FIRST = (
    "tests/test_staff_commands.py",  # ~35 real `python -m bot` processes
    "tests/test_postgres_crash.py",  # three bots on PostgreSQL, killed under load (alone)
    "tests/test_cluster.py",
    "tests/fuzz/test_panel.py",
    "tests/fuzz/test_webchat.py",
    "tests/test_webchat_page.py",  # Chromium
    "tests/test_poll_replay.py",
    "tests/test_consent_gate.py",  # both engines
    "tests/test_broadcasts_crash.py",
    "tests/test_startup.py",
    "tests/test_campaign_journeys.py",  # both engines
    "tests/test_panel_pages_stay_true_in_a_browser.py",
    "tests/test_webchat_seven_taps.py",
    "tests/test_vk_durability.py",
    "tests/test_admin_browser.py",
    "tests/test_broadcast_pacing.py",
    "tests/test_operations.py",
    "tests/test_ok_crash.py",
    "tests/test_gateway_crash.py",
    "tests/test_telegram_crash.py",
    "tests/test_whatsapp_crash.py",
    "tests/test_durability.py",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "alone: measures rates on the clock, so no other test runs beside it")
    config.addinivalue_line("markers", "both_engines: runs twice, its bots on SQLite and on PostgreSQL")
    config.addinivalue_line("markers", "sqlite_only(reason): checks SQLite's own files or statements; skipped"
                                       " where the bots run on PostgreSQL")


# The end-to-end journeys (a module marked ``both_engines``) run on both storage engines in every
# run of the suite, each test twice ([sqlite] and [postgresql]); the rest of the suite runs on
# SQLite, or all of it on PostgreSQL with SOUCHASTIE_TEST_STORAGE=postgresql (tests/postgres.py).
# Why these and not all: the journeys pass through every repository a resident reaches on every
# channel, which is what differs between the engines, at a fraction of the suite's time.
# ``--storage-engines=sqlite`` runs them once, on SQLite (a quick run while working on something else).
ENGINES = ("sqlite", "postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--storage-engines", default=",".join(ENGINES),
                     help="the engines a `both_engines` test runs on, comma-separated (default: %(default)s)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("both_engines") and "storage_engine" in metafunc.fixturenames:
        chosen = [name.strip() for name in metafunc.config.getoption("storage_engines").split(",") if name.strip()]
        unknown = set(chosen) - set(ENGINES)
        if unknown or not chosen:
            raise pytest.UsageError(f"--storage-engines: {', '.join(sorted(unknown)) or 'none'}; known: {ENGINES}")
        metafunc.parametrize("storage_engine", chosen, indirect=True)


@pytest.fixture(autouse=True)
def storage_engine(request: pytest.FixtureRequest) -> Iterator[str]:
    """The engine this test's bots store on (tests/postgres.py ``on_postgresql``): its
    ``both_engines`` parameter, else the run's; a ``sqlite_only`` test is skipped on PostgreSQL,
    a PostgreSQL parameter where PostgreSQL is not installed, each saying why."""
    from tests import postgres

    chosen = getattr(request, "param", None)
    if chosen == "postgresql" and postgres.why_unavailable():
        pytest.skip(str(postgres.why_unavailable()))
    with postgres.engine(chosen) if chosen else _nothing():
        engine = "postgresql" if postgres.on_postgresql() else "sqlite"
        marker = request.node.get_closest_marker("sqlite_only")
        if marker and engine == "postgresql":
            pytest.skip(f"SQLite only: {marker.args[0] if marker.args else marker.kwargs.get('reason', '')}")
        yield engine


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest files first (``LONGEST_FIRST``), every file's tests kept in their order."""
    rank = {path: place for place, path in enumerate(LONGEST_FIRST)}
    root = config.rootpath

    def place(item: pytest.Item) -> int:
        return rank.get(item.path.relative_to(root).as_posix(), len(rank))

    items.sort(key=place)  # stable: the rest keep the order they were collected in


@pytest.fixture(autouse=True)
def room(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A test marked ``alone`` has the machine to itself while the suite runs on several
    processes: the others wait before their next test until it is done. Every other test
    shares the room. One process alone (pytest without -n) needs no lock."""
    if not hasattr(request.config, "workerinput"):
        yield
        return
    shared = tmp_path_factory.getbasetemp().parent  # one folder for every worker of this run
    with _in_the_room(shared, alone=request.node.get_closest_marker("alone") is not None):
        yield


@contextmanager
def _in_the_room(folder: Path, alone: bool) -> Iterator[None]:
    """A readers-writer lock between processes with flock: the door (taken by a test that
    wants to be alone for as long as it runs) keeps new tests out while it waits, so it is
    not starved by tests that keep overlapping."""
    with open(folder / "door.lock", "a") as door, open(folder / "room.lock", "a") as room:
        fcntl.flock(door, fcntl.LOCK_EX)
        try:
            fcntl.flock(room, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        finally:
            if not alone:
                fcntl.flock(door, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(room, fcntl.LOCK_UN)
            fcntl.flock(door, fcntl.LOCK_UN)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def one_chromium() -> AsyncIterator[None]:
    """One Chromium for the module's pages (``tests.browser.shared_chromium``); a module asks
    for it with ``pytest.mark.usefixtures("one_chromium")`` and runs on one event loop
    (``pytest.mark.asyncio(loop_scope="module")``)."""
    from tests.browser import shared_chromium

    async with shared_chromium():
        yield


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[object]:
    """One throw-away PostgreSQL cluster for this test process (tests/postgres.py); the tests
    that ask for it are skipped, saying why, where PostgreSQL is not installed."""
    from tests import postgres

    missing = postgres.why_unavailable()
    if missing:
        pytest.skip(missing)
    cluster = postgres.Cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_databases(postgres_cluster: object) -> object:
    """Fresh databases in that cluster (``await postgres_databases.fresh()`` → a URL)."""
    from tests import postgres

    assert isinstance(postgres_cluster, postgres.Cluster)
    return postgres.Databases(postgres_cluster)


def _escaped(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Lone surrogates in a report's captured output shown escaped (\\ud800).

    Some tests send text no UTF-8 can hold, and the bot logs it; the suite runs on several
    processes (pytest-xdist), which carry each report as UTF-8 and stop a worker whose report
    cannot be encoded. Only the report is escaped: the test saw the text as it was."""
    report.sections = [(title, _escaped(content)) for title, content in report.sections]
    if report.longrepr is not None:
        failure = str(report.longrepr)
        if _escaped(failure) != failure:  # a failure that quotes such text: told as plain text
            report.longrepr = _escaped(failure)


@pytest.fixture(autouse=True)
def no_repeat_filter_left() -> Iterator[None]:
    """A test that runs ``bot.cli.main`` in this process installs the log's repeat filter on the
    root handlers, pytest's own capturing handler among them, which outlives the test: a later
    test would miss a log line an earlier one wrote. Each test leaves the handlers as it found them."""
    yield
    from bot.logfilter import RepeatFilter

    for handler in logging.getLogger().handlers:
        for found in [f for f in handler.filters if isinstance(f, RepeatFilter)]:
            handler.removeFilter(found)
