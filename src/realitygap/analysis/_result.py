"""What every analysis returns: estimates that carry their uncertainty, and frozen results.

An :class:`Estimate` holds the number, its interval, n and the method. Below the minimum n it
holds no number at all and renders as "insufficient data", so nothing downstream can show a
figure the data cannot support.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, is_dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from realitygap.analysis._options import INSUFFICIENT as INSUFFICIENT  # re-exported
from realitygap.analysis._options import MIN_N as MIN_N


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its interval.

    ``value``, ``low`` and ``high`` are None when n is below the guardrail.
    ``n_effective`` is Kish's effective sample size when weights were used.
    """

    value: float | None
    low: float | None
    high: float | None
    n: int
    method: str
    confidence: float = 0.95
    n_effective: float | None = None

    @property
    def insufficient(self) -> bool:
        return self.value is None

    @classmethod
    def insufficient_data(cls, n: int, method: str, confidence: float = 0.95) -> Estimate:
        return cls(None, None, None, n, method, confidence)

    def format(self, digits: int = 1, scale: float = 1.0, unit: str = "") -> str:
        """``"42.0 [38.1, 45.9] n=512"``, or ``"insufficient data (n=12)"``."""
        if self.value is None or self.low is None or self.high is None:
            return f"{INSUFFICIENT} (n={self.n})"
        v, lo, hi = (x * scale for x in (self.value, self.low, self.high))
        return f"{v:.{digits}f}{unit} [{lo:.{digits}f}, {hi:.{digits}f}] n={self.n}"

    def to_dict(self, prefix: str = "") -> dict[str, Any]:
        out = {f"{prefix}{k}": v for k, v in asdict(self).items()}
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in out.items()}


@runtime_checkable
class Result(Protocol):
    """The interface the CLI, the report and (later) the web layer render."""

    def to_frame(self) -> pd.DataFrame: ...

    def to_dict(self) -> dict[str, Any]: ...

    def __str__(self) -> str: ...


class Values:
    """Base of every result dataclass: values stay values.

    ``frozen=True`` stops rebinding a field; this stops changing a field in place. Reading a
    DataFrame, Series or array field gives a copy, and a dict field a read-only view, so
    ``result.matrix.iloc[0, 1] = -999`` changes nothing that a later call reads (nested
    mappings are read-only too).
    """

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if isinstance(value, pd.DataFrame | pd.Series | np.ndarray):
            return value.copy()
        if isinstance(value, dict):
            return _read_only(value)
        return value


def _read_only(mapping: dict[Any, Any]) -> Mapping[Any, Any]:
    """A read-only view of a mapping whose nested mappings are read-only views too."""
    if not any(isinstance(v, dict) for v in mapping.values()):
        return MappingProxyType(mapping)
    return MappingProxyType(
        {k: _read_only(v) if isinstance(v, dict) else v for k, v in mapping.items()}
    )


def plain(obj: Any) -> Any:
    """Convert a result (dataclasses, frames, numpy scalars, timestamps) to JSON-ready values."""
    if isinstance(obj, pd.DataFrame):
        return [plain(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, Mapping):
        return {str(k): plain(v) for k, v in obj.items()}
    if callable(getattr(obj, "to_dict", None)):
        return plain(obj.to_dict())
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, list | tuple | np.ndarray):
        return [plain(v) for v in obj]
    if isinstance(obj, pd.Timestamp | datetime | date):
        return obj.isoformat()
    if callable(getattr(obj, "item", None)):  # numpy scalar
        return plain(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
