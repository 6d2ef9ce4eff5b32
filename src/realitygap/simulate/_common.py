"""What every part of the simulator shares: the calendar, random streams and small helpers.

The simulated company has 24 months of history, 2024-01-01 to 2025-12-31. Customer survey
waves are fielded in the middle month of four quarters, so every wave has at least six months
of behaviour before and after it (what the silent-churner rule compares).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from scipy import special

START = np.datetime64("2024-01-01T00:00:00", "s")
END = np.datetime64("2026-01-01T00:00:00", "s")  # exclusive: the data ends 2025-12-31
HORIZON_DAYS = float((END - START) / np.timedelta64(1, "D"))
DAY_S = 86_400.0
HALF_YEAR_DAYS = 182.0


@dataclass(frozen=True)
class Wave:
    """One survey wave: its name and the day (since START) its invitations begin."""

    name: str
    invite_day: float


WAVES: tuple[Wave, ...] = (
    Wave("2024-Q3", 213.0),  # 2024-08-01
    Wave("2024-Q4", 305.0),  # 2024-11-01
    Wave("2025-Q1", 396.0),  # 2025-02-01
    Wave("2025-Q2", 486.0),  # 2025-05-02
)
INVITE_SPREAD_DAYS = 14.0  # invitations of a wave go out over two weeks


def rng_for(seed: int, stream: str) -> np.random.Generator:
    """An independent random stream per (seed, part of the simulator).

    Each part draws from its own stream, so changing how one part draws never changes what
    another part generates for the same seed.
    """
    return np.random.default_rng([seed, zlib.crc32(stream.encode("utf-8"))])


def to_timestamp(days: np.ndarray) -> np.ndarray:
    """Days since START (float) -> numpy datetime64[s] timestamps."""
    seconds = np.round(np.asarray(days, dtype=np.float64) * DAY_S).astype(np.int64)
    out: np.ndarray = START + seconds.astype("timedelta64[s]")
    return out


def normal_cdf(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = special.ndtr(x)
    return out


def rounded_scale_probabilities(
    mean: np.ndarray, sd: np.ndarray | float, low: int, high: int
) -> np.ndarray:
    """P(answer = k) for k = low..high when the answer is clip(round(mean + N(0, sd))).

    ``mean`` has any shape; the result adds a last axis of length high - low + 1.
    """
    mean = np.asarray(mean, dtype=np.float64)[..., None]
    cuts = np.arange(low, high, dtype=np.float64) + 0.5  # boundaries between answers
    upper = normal_cdf((cuts - mean) / sd)
    cdf = np.concatenate([upper, np.ones(mean.shape)], axis=-1)
    lower = np.concatenate([np.zeros(mean.shape), upper], axis=-1)
    probs: np.ndarray = cdf - lower
    return probs


def rounded_scale_expectation(
    mean: np.ndarray, sd: np.ndarray | float, low: int, high: int
) -> np.ndarray:
    """E[clip(round(mean + N(0, sd)), low, high)] (same shape as ``mean``)."""
    probs = rounded_scale_probabilities(mean, sd, low, high)
    values = np.arange(low, high + 1, dtype=np.float64)
    out: np.ndarray = probs @ values
    return out


def rounded_answer(
    rng: np.random.Generator, mean: np.ndarray, sd: float, low: int, high: int
) -> np.ndarray:
    """Sample clip(round(mean + N(0, sd)), low, high) as int8."""
    noisy = mean + rng.normal(0.0, sd, size=np.shape(mean))
    out: np.ndarray = np.clip(np.rint(noisy), low, high).astype(np.int8)
    return out


def logistic(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = special.expit(x)
    return out
