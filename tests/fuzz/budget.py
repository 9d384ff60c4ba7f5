"""How many examples a fuzz test draws: few and the same on every run by default, more on demand.

By default each test draws its own small number of examples, derandomized (the same examples on
every run and every machine, so a red build stays red when re-run and a green one means the same
thing everywhere) and without hypothesis's example database. ``SOUCHASTIE_FUZZ_SCALE=20`` draws
twenty times as many, at random, and keeps failures in ``.hypothesis/`` so that a failure found
once is tried first the next time: for a long local run, not for CI.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

SCALE = max(1, int(os.environ.get("SOUCHASTIE_FUZZ_SCALE", "1") or "1"))

# Examples are HTTP round trips through the whole bot, so they are slow by hypothesis's measure
# and often large; the module-scoped bot is shared on purpose (one start per module).
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
          HealthCheck.large_base_example, HealthCheck.function_scoped_fixture]


def budget(examples: int) -> settings:
    """Settings for a test that draws ``examples`` examples at scale 1."""
    if SCALE == 1:
        return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                        suppress_health_check=_QUIET, print_blob=True)
    return settings(max_examples=examples * SCALE, deadline=None, derandomize=False,
                    suppress_health_check=_QUIET, print_blob=True)
