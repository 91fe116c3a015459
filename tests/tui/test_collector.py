"""Full garbage collection waits for a quiet moment at the counter (or a few minutes)."""

from __future__ import annotations

import gc
import weakref

from clerk_console.tui.collector import IdleCollector


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Cycle:
    """Garbage only a full collection frees (it refers to itself)."""

    def __init__(self) -> None:
        self.me = self


def aged_cycle() -> weakref.ref[Cycle]:
    """A cycle that has lived through the young collections, as a closed screen's have."""
    cycle = Cycle()
    gc.collect(1)  # into the oldest generation, where only a full pass looks
    ref = weakref.ref(cycle)
    del cycle
    gc.collect(1)
    return ref


def test_held_back_while_keys_come_then_collected_when_quiet() -> None:
    clock = Clock()
    collector = IdleCollector(quiet=2.0, longest=300.0, clock=clock)
    before = gc.get_threshold()
    collector.start()
    try:
        assert gc.get_threshold()[:2] == before[:2]  # young generations as usual
        assert gc.get_threshold()[2] > 10**6
        ref = aged_cycle()
        assert ref() is not None
        clock.now += 1.0
        collector.touch()  # a key
        clock.now += 1.0
        assert not collector.tick()
        assert ref() is not None
        clock.now += 1.5  # 2.5 s without a key
        assert collector.tick()
        assert ref() is None
    finally:
        collector.stop()
    assert gc.get_threshold() == before


def test_collected_after_the_longest_wait_even_while_typing() -> None:
    clock = Clock()
    collector = IdleCollector(quiet=2.0, longest=300.0, clock=clock)
    collector.start()
    try:
        ref = aged_cycle()
        for _ in range(299):
            clock.now += 1.0
            collector.touch()
            assert not collector.tick()
        clock.now += 1.0
        collector.touch()
        assert collector.tick()
        assert ref() is None
    finally:
        collector.stop()
