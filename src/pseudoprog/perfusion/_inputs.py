"""Checking and preparing the inputs of a voxel-wise fit (internal).

Shared by the fitters of :mod:`pseudoprog.perfusion.fit` and the reference implementation
:mod:`pseudoprog.perfusion._reference`, so that both see exactly the same arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from pseudoprog.errors import ParameterError
from pseudoprog.perfusion._basis import ConvolutionBasis, KepGrid
from pseudoprog.perfusion._linear import LinearSystem
from pseudoprog.perfusion._parallel import default_workers
from pseudoprog.perfusion.models import Model, shift_curve
from pseudoprog.perfusion.result import Bounds, FitMethod

__all__ = ["CHUNK_SIZE", "Inputs", "Prepared", "prepare"]

FloatArray = npt.NDArray[np.float64]

#: Default number of voxels per chunk (measured fastest on a 2-core machine).
CHUNK_SIZE = {FitMethod.EXACT: 8192, FitMethod.LINEAR: 65536}


@dataclass(frozen=True, slots=True)
class Prepared:
    """One arterial delay: the delayed AIF and what all voxels share for it."""

    delay_s: float
    system: LinearSystem
    _basis: ConvolutionBasis | None

    @property
    def basis(self) -> ConvolutionBasis:
        """The kep-grid basis (built for the exact Tofts and extended Tofts fits)."""
        if self._basis is None:  # pragma: no cover - internal invariant
            raise RuntimeError("no convolution basis was prepared for this model")
        return self._basis


def _as_times(t_s: npt.ArrayLike) -> FloatArray:
    t = np.asarray(t_s, dtype=np.float64)
    if t.ndim != 1:
        raise ParameterError(f"t_s must be a 1-D array of frame times; got shape {t.shape}")
    if t.size < 4:
        raise ParameterError(f"t_s has {t.size} frame times; at least 4 are needed to fit")
    if not np.all(np.isfinite(t)):
        raise ParameterError("t_s contains NaN or infinite values; give finite times in s")
    steps = np.diff(t)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0))
        raise ParameterError(
            f"t_s must be strictly increasing; t_s[{i + 1}]={t[i + 1]} follows t_s[{i}]={t[i]}"
        )
    return t


def _as_aif(cp: npt.ArrayLike, frames: int) -> FloatArray:
    c = np.asarray(cp, dtype=np.float64)
    if c.shape != (frames,):
        raise ParameterError(
            f"cp must have one value per frame, shape ({frames},); got shape {c.shape}"
        )
    if not np.all(np.isfinite(c)):
        raise ParameterError("cp contains NaN or infinite values; give a finite AIF in mM")
    if not np.any(c != 0):
        raise ParameterError("cp is zero at every frame; the AIF must show the bolus")
    return c


def _flatten(ct: npt.ArrayLike, frames: int) -> tuple[npt.NDArray[np.floating], str]:
    """``ct`` as ``(N, T)`` without copying where possible, and the reshape order."""
    arr = np.asarray(ct)
    if arr.ndim < 1 or arr.shape[-1] != frames:
        raise ParameterError(
            f"ct must have time on its last axis with {frames} frames (the length of t_s); "
            f"got shape {arr.shape}"
        )
    if arr.dtype.kind not in "fiub":
        raise ParameterError(f"ct must be numeric; got dtype {arr.dtype}")
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    count = int(np.prod(arr.shape[:-1], dtype=np.int64))
    if arr.ndim > 1 and arr.flags.f_contiguous and not arr.flags.c_contiguous:
        return arr.reshape((count, frames), order="F"), "F"
    return arr.reshape((count, frames)), "C"


def _delays(
    fit_delay: bool, delay_s: float, delay_range_s: tuple[float, float], delay_step_s: float
) -> list[float]:
    if not fit_delay:
        if not np.isfinite(delay_s):
            raise ParameterError(f"delay_s={delay_s!r} must be a finite number of seconds")
        return [float(delay_s)]
    low, high = (float(v) for v in delay_range_s)
    if not (np.isfinite(low) and np.isfinite(high) and low <= high):
        raise ParameterError(
            f"delay_range_s={delay_range_s!r} must be (low, high) seconds with low <= high"
        )
    if not (np.isfinite(delay_step_s) and delay_step_s > 0):
        raise ParameterError(f"delay_step_s={delay_step_s!r} must be a positive number of s")
    count = int(np.floor((high - low) / delay_step_s + 1e-9)) + 1
    return [low + i * delay_step_s for i in range(count)]


@dataclass(frozen=True, slots=True)
class Inputs:
    """Checked inputs of one fit."""

    method: FitMethod
    limits: Bounds
    flat: npt.NDArray[np.floating]  #: ``(N, T)`` view of the curves
    order: str  #: reshape order of the results ("C" or "F")
    lead_shape: tuple[int, ...]
    delays: list[float]
    prepared: list[Prepared]
    chunk_size: int
    workers: int


def prepare(
    model: Model,
    t_s: npt.ArrayLike,
    ct: npt.ArrayLike,
    cp: npt.ArrayLike,
    *,
    method: FitMethod | str,
    fit_delay: bool,
    delay_s: float,
    delay_range_s: tuple[float, float],
    delay_step_s: float,
    bounds: Bounds | None,
    grid_size: int,
    chunk_size: int | None,
    workers: int | None,
    **_: Any,
) -> Inputs:
    """Check every input and build what all voxels share (per arterial delay)."""
    fit_method = FitMethod.parse(method)
    limits = bounds if bounds is not None else Bounds()
    t = _as_times(t_s)
    aif = _as_aif(cp, t.size)
    flat, order = _flatten(ct, t.size)
    lead_shape = tuple(np.shape(ct)[:-1])
    if not isinstance(grid_size, int | np.integer) or grid_size < 8:
        raise ParameterError(f"grid_size={grid_size!r} must be an integer of at least 8")
    if chunk_size is None:
        chunk_size = CHUNK_SIZE[fit_method]
    if not isinstance(chunk_size, int | np.integer) or chunk_size < 1:
        raise ParameterError(f"chunk_size={chunk_size!r} must be a positive integer")
    n_workers = default_workers() if workers is None else int(workers)
    if n_workers < 1:
        raise ParameterError(f"workers={workers!r} must be at least 1")
    delays = _delays(fit_delay, delay_s, delay_range_s, delay_step_s)
    grid = KepGrid(limits.kep_min, limits.kep_max, int(grid_size))
    prepared = []
    for d in delays:
        shifted = shift_curve(t, aif, d)
        needs_basis = model is not Model.PATLAK and fit_method is FitMethod.EXACT
        basis = ConvolutionBasis(t, shifted, grid) if needs_basis else None
        system = LinearSystem(t, shifted, (limits.kep_min, limits.kep_max))
        prepared.append(Prepared(delay_s=d, system=system, _basis=basis))
    return Inputs(
        method=fit_method,
        limits=limits,
        flat=flat,
        order=order,
        lead_shape=lead_shape,
        delays=delays,
        prepared=prepared,
        chunk_size=int(chunk_size),
        workers=n_workers,
    )
