"""Shared test hooks."""
from __future__ import annotations

import pytest


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
