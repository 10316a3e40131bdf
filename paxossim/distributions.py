"""Delay distributions and retry backoff policies as validated value objects.

Each is a frozen pydantic model, so a scenario file is checked field by field on load,
and the same object samples at run time from an explicit numpy Generator.
"""

from collections.abc import Callable
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# -- message delays ---------------------------------------------------------------------


class Constant(_Value):
    dist: Literal["constant"] = "constant"
    value: NonNegative

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)

    def __str__(self) -> str:
        return f"constant({self.value:g}s)"


class Uniform(_Value):
    dist: Literal["uniform"] = "uniform"
    low: NonNegative
    high: NonNegative

    @model_validator(mode="after")
    def _ordered(self) -> "Uniform":
        if self.high < self.low:
            raise ValueError(f"high must be >= low, got low={self.low:g}, high={self.high:g}")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    def __str__(self) -> str:
        return f"uniform({self.low:g}s, {self.high:g}s)"


class Exponential(_Value):
    dist: Literal["exponential"] = "exponential"
    mean_: Positive = Field(alias="mean")

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @property
    def mean(self) -> float:
        return self.mean_

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_, size)

    def __str__(self) -> str:
        return f"exponential(mean {self.mean_:g}s)"


class LogNormal(_Value):
    dist: Literal["lognormal"] = "lognormal"
    median: Positive
    sigma: NonNegative

    @property
    def mean(self) -> float:
        return self.median * float(np.exp(self.sigma**2 / 2))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(np.log(self.median), self.sigma, size)

    def __str__(self) -> str:
        return f"lognormal(median {self.median:g}s, sigma {self.sigma:g})"


Delay = Annotated[Constant | Uniform | Exponential | LogNormal, Field(discriminator="dist")]


# -- retry backoff ----------------------------------------------------------------------

#: A backoff policy at run time: attempt number (1 for the first retry) -> seconds.
BackoffPolicy = Callable[[int], float]
#: A source of uniform draws in [0, 1), the proposer's own stream.
Uniform01 = Callable[[], float]


class NoBackoff(_Value):
    """Retry at once."""

    kind: Literal["none"] = "none"

    def policy(self, uniform: Uniform01) -> BackoffPolicy:
        return lambda attempt: 0.0


class FixedBackoff(_Value):
    """Wait the same `delay` before every retry: symmetric proposers stay in step."""

    kind: Literal["fixed"] = "fixed"
    delay: NonNegative

    def policy(self, uniform: Uniform01) -> BackoffPolicy:
        return lambda attempt: self.delay


class RandomBackoff(_Value):
    """Wait uniform(0, max): randomness breaks the symmetry of dueling proposers."""

    kind: Literal["random"] = "random"
    max: Positive

    def policy(self, uniform: Uniform01) -> BackoffPolicy:
        return lambda attempt: self.max * uniform()


class ExponentialBackoff(_Value):
    """Full jitter: wait uniform(0, min(cap, base * 2**(attempt-1)))."""

    kind: Literal["exponential"] = "exponential"
    base: Positive
    cap: Positive

    @model_validator(mode="after")
    def _ordered(self) -> "ExponentialBackoff":
        if self.cap < self.base:
            raise ValueError(f"cap must be >= base, got base={self.base:g}, cap={self.cap:g}")
        return self

    def policy(self, uniform: Uniform01) -> BackoffPolicy:
        return lambda attempt: min(self.cap, self.base * 2.0 ** (attempt - 1)) * uniform()


Backoff = Annotated[
    NoBackoff | FixedBackoff | RandomBackoff | ExponentialBackoff, Field(discriminator="kind")
]
