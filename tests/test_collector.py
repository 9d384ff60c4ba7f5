"""The bot's process collects garbage in larger, rarer passes (bot/collector.py), and still collects it."""
from __future__ import annotations

import subprocess
import sys

from tests.process import ROOT

PROBE = """
import gc, weakref
from bot.collector import YOUNGEST, tune_collector
tune_collector()
assert gc.get_threshold()[0] == YOUNGEST, gc.get_threshold()
assert gc.get_freeze_count() > 1000, gc.get_freeze_count()  # modules and start-up objects set aside
class Node: pass
node = Node(); node.me = node  # a cycle: reference counting alone never frees it
alive = weakref.ref(node); del node
kept = [[] for _ in range(YOUNGEST // 2)]
assert alive() is not None  # not yet: fewer new containers than the threshold
kept += [[] for _ in range(YOUNGEST)]  # as messages make them, no explicit collect
assert alive() is None, "cyclic garbage kept"
print("ok")
"""


def test_the_collector_runs_less_often_and_still_frees_cycles() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr

