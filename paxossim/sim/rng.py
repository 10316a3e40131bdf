"""One seed per run, split into independent named streams.

Each component draws from its own Generator, derived from the run's seed and a fixed
key, so adding draws to one component (say, a proposer's backoff) leaves every other
component's draws untouched: common random numbers when comparing strategies.
"""

from collections.abc import Callable

import numpy as np

NETWORK = 0
FAULTS = 1  # reserved: faults are scheduled, not drawn, so far
WORKLOAD = 2  # reserved: proposal times are given, not drawn, so far
BACKOFF = 3  # one stream per proposer node: (BACKOFF, node)
ELECTION = 4  # one stream per proposer node: (ELECTION, node)
SERVICE = 5  # one stream per cluster node with a service time: (SERVICE, node)


def stream(seed: int, *key: int) -> np.random.Generator:
    """The Generator for component `key` of the run seeded with `seed`."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


class Lazy:
    """Makes a Generator on first use and hands out the same one after: making one
    costs more than a whole short run, and many runs never need theirs."""

    __slots__ = ("_factory", "_rng")

    def __init__(self, factory: Callable[[], np.random.Generator]):
        self._factory = factory
        self._rng: np.random.Generator | None = None

    def get(self) -> np.random.Generator:
        if self._rng is None:
            self._rng = self._factory()
        return self._rng


class Draws:
    """Values of one distribution, drawn a block at a time: one float from numpy costs
    about as much as a hundred. The order of values is fixed by the seed alone."""

    __slots__ = ("_sample", "_rng", "_values")

    def __init__(
        self,
        sample: Callable[[np.random.Generator, int], np.ndarray],
        rng: Callable[[], np.random.Generator],
        block: int = 128,
    ):
        self._sample = lambda g: sample(g, block)
        self._rng = rng
        self._values: list[float] = []

    def __call__(self) -> float:
        if not self._values:
            self._values = self._sample(self._rng()).tolist()[::-1]
        return self._values.pop()


def uniforms(rng: Callable[[], np.random.Generator]) -> Draws:
    """Uniform draws in [0, 1)."""
    return Draws(lambda g, n: g.random(n), rng)
