"""Bootstrap for a fresh machine that has nothing but Python 3.11.

`python3 tasks.py run|test|bench` creates `.venv` on first use, installs the project with
its test extras there (again only when pyproject.toml changes), then runs the command inside
it (the process becomes that command, so signals reach it). Kept in the standard library on
purpose: it has to work before anything is installed.
"""
from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".installed-from"

COMMANDS = {
    "run": ["-m", "bot", "run"],
    # One test process per core (at most four: each may start Chromium), a test file kept whole
    # on one process so its module-wide fixtures (a browser, a town) start once; files handed out
    # in collection order, which puts the longest first (tests/conftest.py, LONGEST_FIRST).
    "test": ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "auto", "--maxprocesses", "4",
             "--dist", "loadfile", "--no-loadscope-reorder"],
    "bench": ["-m", "bench"],
}


def ensure_environment() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not PYTHON.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def ensure_browser() -> None:
    """The staff panel's browser test drives Debian's Chromium; install it where we can."""
    if Path("/usr/bin/chromium").exists() or not shutil.which("apt-get") or os.geteuid() != 0:
        return
    print("installing Chromium for the browser tests (apt-get)…", flush=True)
    quiet = {"stdout": subprocess.DEVNULL}
    subprocess.run(["apt-get", "update", "-qq"], check=False, **quiet)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, **quiet)


def ensure_postgresql() -> None:
    """The PostgreSQL backend's tests start a throw-away cluster (tests/postgres.py) from Debian's
    postgresql package; install it where we can, as Chromium. Elsewhere those tests are skipped,
    saying why."""
    if glob.glob("/usr/lib/postgresql/*/bin/initdb") or shutil.which("initdb"):
        return
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return
    print("installing PostgreSQL for the PostgreSQL backend's tests (apt-get)…", flush=True)
    quiet = {"stdout": subprocess.DEVNULL}
    subprocess.run(["apt-get", "update", "-qq"], check=False, **quiet)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"], check=False, **quiet)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python3 tasks.py {{{'|'.join(COMMANDS)}}} [args...]", file=sys.stderr)
        return 2
    ensure_environment()
    if argv[0] == "test":
        ensure_browser()
    if argv[0] in ("test", "bench"):
        ensure_postgresql()  # the PostgreSQL tests and benchmarks start a throw-away cluster of it
    command = [str(PYTHON), *COMMANDS[argv[0]], *argv[1:]]
    os.chdir(ROOT)
    # Become the command instead of waiting for it: a signal sent to this PID (Ctrl+C, kill, a
    # supervisor stopping the service) then reaches the bot itself, which shuts down cleanly,
    # and no orphan is left holding the port.
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(PYTHON, command)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
