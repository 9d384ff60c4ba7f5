"""The process's open-files limit, raised at start where the system allows.

Every connection is a file descriptor: long polls of the web chat, webhooks, the staff panel,
the clients of each platform. Many systems start a process with a soft limit of 1,024, which
a crowd of residents reaches, and then every new connection fails. The soft limit may be
raised up to the hard limit without privileges, so the bot does that at start
(``server.open_files``, capped by the hard limit); where it cannot, it says so in one line.
"""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def raise_open_files_limit(wanted: int) -> int | None:
    """Raise the soft RLIMIT_NOFILE to ``wanted`` (or the hard limit, if lower); never lower it.
    Returns the soft limit in force afterwards, None where the system has no such limit."""
    try:
        import resource
    except ImportError:  # not a POSIX system
        log.warning("предел открытых файлов не поднят: в этой системе нет resource.setrlimit")
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if wanted == 0 or soft == resource.RLIM_INFINITY:
        return soft
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft >= target:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (OSError, ValueError) as error:
        log.warning("предел открытых файлов остался %d, поднять до %d (server.open_files) система не дала: %s",
                    soft, target, error)
        return soft
    log.info("предел открытых файлов поднят с %d до %d%s", soft, target,
             " (жёсткий предел системы)" if target < wanted else "")
    return target
