"""The web chat's per-key counter, on a clock the test moves: a burst is refused exactly, the
wait it names is the wait there is, and keys nobody uses any more are forgotten."""
from __future__ import annotations

import pytest

from channels.webchat.throttle import SlidingWindow


class Clock:
    def __init__(self, now: float = 1_000_040.0) -> None:  # 20 s into a minute (1,000,020 is one)
        self.now = now

    def __call__(self) -> float:
        return self.now


def filled(limit: int = 40, seconds: float = 60) -> tuple[SlidingWindow, Clock]:
    clock = Clock()
    window = SlidingWindow(limit, seconds, clock)
    for _ in range(limit):
        assert window.wait("s") == 0
        window.take("s")
    return window, clock


def test_the_message_after_the_limit_is_refused_and_others_are_not():
    window, _ = filled()
    assert window.wait("s") > 0
    assert window.wait("another browser") == 0


@pytest.mark.parametrize("extra", [1, 5])
def test_the_wait_it_names_is_when_there_is_room_again(extra):
    window, clock = filled()
    wait = window.wait("s", extra)
    assert 0 < wait <= 60
    clock.now += wait - 0.5
    assert window.wait("s", extra) > 0  # not before
    clock.now += 0.5 + 1e-6
    assert window.wait("s", extra) == 0  # and then at once


@pytest.mark.parametrize("extra", [1, 20, 40])
def test_a_named_wait_is_never_longer_than_the_window_and_following_them_leads_to_room(extra):
    window, clock = filled()
    waits = []
    while (wait := window.wait("s", extra)) > 0:
        assert wait <= 60 and len(waits) < 3, waits
        waits.append(wait)
        clock.now += wait + 1e-6
    assert sum(waits) <= 120


def test_the_previous_minute_slides_out_rather_than_vanishing_at_its_end():
    window, clock = filled()
    clock.now += 40  # the next minute has just begun: the burst of 40 still weighs almost fully
    assert window.wait("s") > 0
    clock.now += 30  # half of it has slid out
    assert window.wait("s", 19) == 0 and window.wait("s", 21) > 0


def test_a_cost_over_the_limit_never_fits():
    window = SlidingWindow(10, 60, Clock())
    assert window.wait("s", 11) > 0


def test_keys_nobody_uses_are_forgotten_so_memory_stays_bounded():
    clock = Clock()
    window = SlidingWindow(40, 60, clock)
    for minute in range(10):
        for browser in range(1000):
            window.take(f"{minute}:{browser}")
        clock.now += 60
    window.wait("now")  # a sweep happens on use, once a window has passed
    assert len(window._keys) <= 2000  # the browsers of the last two minutes at most, not 10,000
