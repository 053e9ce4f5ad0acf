"""Voxel-wise fitting of the Tofts, extended Tofts and Patlak models.

``ct`` holds one concentration curve per voxel, time on its last axis and any leading shape;
``cp`` is the plasma concentration of the arterial input, shared by all voxels. Times are in
seconds, Ktrans and kep come out in /min (docs/conventions.md, "Perfusion").

Two methods:

* ``"exact"`` — the least-squares optimum of the model with Ktrans ≥ 0, vp ≥ 0 and
  ve ≤ ``Bounds.ve_max``, kep searched in ``[Bounds.kep_min, Bounds.kep_max]``: the model is
  linear in Ktrans and vp for a fixed kep, so they are eliminated in closed form (variable
  projection) and the remaining one-dimensional problem is solved on a grid and refined to
  machine precision;
* ``"linear"`` — the closed-form linear least-squares fit of the integrated model (Murase,
  Magn Reson Med 2004;51:858–862): fastest, slightly biased with noise, unconstrained.

With ``fit_delay=True`` the arterial delay is searched on a grid (``delay_range_s``,
``delay_step_s``), each voxel keeping the delay of smallest residual.

Examples
--------
>>> import numpy as np
>>> from pseudoprog.perfusion import extended_tofts, fit_extended_tofts, parker_aif
>>> t = np.arange(0.0, 300.0, 2.5)
>>> cp = parker_aif(t, delay_s=15.0)
>>> ct = extended_tofts(t, cp, ktrans=[0.1, 0.25], ve=[0.2, 0.4], vp=[0.02, 0.05])
>>> result = fit_extended_tofts(t, ct, cp)
>>> np.round(result.ktrans, 6).tolist(), np.round(result.vp, 6).tolist()
([0.1, 0.25], [0.02, 0.05])
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from pseudoprog.errors import FitWarning, ParameterError
from pseudoprog.perfusion._basis import ConvolutionBasis, KepGrid
from pseudoprog.perfusion._chunk import ChunkResult
from pseudoprog.perfusion._exact import fit_extended_tofts_exact, fit_tofts_exact, project
from pseudoprog.perfusion._linear import LinearSystem, fit_linear, fit_patlak_chunk
from pseudoprog.perfusion._parallel import default_workers, run_chunks, single_threaded_blas
from pseudoprog.perfusion.models import Model, shift_curve
from pseudoprog.perfusion.result import Bounds, FitFlag, FitMethod, FitResult

__all__ = ["fit_extended_tofts", "fit_model", "fit_patlak", "fit_tofts"]

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[int], None]

#: Default number of kep grid nodes between ``kep_min`` and ``kep_max``.
GRID_SIZE = 48
#: Default number of voxels per chunk (measured fastest on a 2-core machine).
CHUNK_SIZE = {FitMethod.EXACT: 8192, FitMethod.LINEAR: 65536}


@dataclass(frozen=True, slots=True)
class _Prepared:
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


def _fit_one_delay(
    model: Model,
    method: FitMethod,
    prep: _Prepared,
    data: npt.NDArray[np.floating],
    bounds: tuple[int, int],
    limits: Bounds,
) -> ChunkResult:
    """Fit columns ``bounds`` of the time-major ``data`` at one arterial delay."""
    start, stop = bounds
    if model is Model.PATLAK:
        return fit_patlak_chunk(
            prep.system, data, start, stop, nonnegative=method is FitMethod.EXACT
        )
    if method is FitMethod.LINEAR:
        return fit_linear(prep.system, data, start, stop, with_vp=model is Model.EXTENDED_TOFTS)
    yt = data[:, start:stop]
    pr = project(prep.basis, yt)
    if model is Model.TOFTS:
        return fit_tofts_exact(prep.basis, pr, ve_max=limits.ve_max)
    return fit_extended_tofts_exact(prep.basis, pr, ve_max=limits.ve_max)


def _fit(model: Model, *args: Any, **kwargs: Any) -> FitResult:
    with single_threaded_blas():
        return _fit_impl(model, *args, **kwargs)


def _fit_impl(
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
    progress: Progress | None,
) -> FitResult:
    fit_method = FitMethod.parse(method)
    limits = bounds if bounds is not None else Bounds()
    t = _as_times(t_s)
    aif = _as_aif(cp, t.size)
    flat, order = _flatten(ct, t.size)
    lead_shape = np.shape(ct)[:-1]
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
        prepared.append(_Prepared(delay_s=d, system=system, _basis=basis))

    count = flat.shape[0]
    fields = ("ktrans", "ve", "vp", "kep", "rss", "sstot")
    out = {name: np.full(count, np.nan) for name in fields}
    flags = np.zeros(count, np.uint8)
    delay_index = np.zeros(count, np.intp)

    time_major = flat.T  # (T, N): C-contiguous when the input was time-major in memory

    def work(start: int, stop: int) -> tuple[int, ChunkResult, npt.NDArray[np.intp]]:
        if time_major.flags.c_contiguous:
            data, bounds = time_major, (start, stop)  # read in place
        else:
            data, bounds = np.ascontiguousarray(flat[start:stop].T), (0, stop - start)
        best: ChunkResult | None = None
        which = np.zeros(stop - start, np.intp)
        for k, prep in enumerate(prepared):
            res = _fit_one_delay(model, fit_method, prep, data, bounds, limits)
            if best is None:
                best = res
                continue
            better = np.isfinite(res.rss) & ~(best.rss <= res.rss)
            best.take(res, better)
            which[better] = k
        if best is None:  # pragma: no cover - there is always at least one delay
            raise RuntimeError("no arterial delay to fit")
        return start, best, which

    bounds_list = [(s, min(count, s + chunk_size)) for s in range(0, count, chunk_size)]
    for start, res, which in run_chunks(work, bounds_list, workers=n_workers, progress=progress):
        stop = start + res.rss.size
        for name in fields:
            out[name][start:stop] = getattr(res, name)
        flags[start:stop] = res.flags
        delay_index[start:stop] = which

    return _assemble(
        model,
        fit_method,
        out,
        flags,
        delay_index,
        delays,
        limits,
        lead_shape,
        order,
        fit_delay=fit_delay,
    )


def _assemble(
    model: Model,
    method: FitMethod,
    out: dict[str, FloatArray],
    flags: npt.NDArray[np.uint8],
    delay_index: npt.NDArray[np.intp],
    delays: list[float],
    limits: Bounds,
    lead_shape: tuple[int, ...],
    order: str,
    *,
    fit_delay: bool,
) -> FitResult:
    rss, sstot = out["rss"], out["sstot"]
    failed = ~np.isfinite(sstot) | ~np.isfinite(rss)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(sstot > 0, 1.0 - rss / np.where(sstot > 0, sstot, 1.0), np.nan)
    kt, ve, vp = out["ktrans"], out["ve"], out["vp"]
    with np.errstate(invalid="ignore"):
        unphysical = (
            (kt < 0)
            | (kt > limits.ktrans_max)
            | (ve < 0)
            | (ve > limits.ve_max)
            | (vp < 0)
            | (vp > limits.vp_max)
        )
    flags[unphysical] |= np.uint8(FitFlag.UNPHYSICAL)
    if fit_delay and len(delays) > 1:
        at_end = (delay_index == 0) | (delay_index == len(delays) - 1)
        flags[at_end] |= np.uint8(FitFlag.DELAY_AT_BOUND)
    flags[failed] = np.uint8(FitFlag.FAILED)
    for name in ("ktrans", "ve", "vp", "kep"):
        out[name][failed] = np.nan
    r2[failed] = np.nan
    ok = (flags & np.uint8(FitFlag.not_ok())) == 0
    n_failed = int(np.count_nonzero(failed))
    if n_failed:
        warnings.warn(
            f"{n_failed} of {failed.size} voxels could not be fitted (non-finite samples or a "
            "singular system); their parameters are NaN and flagged FAILED",
            FitWarning,
            stacklevel=4,
        )
    delay = np.asarray(delays, dtype=np.float64)[delay_index]
    delay[failed] = np.nan

    def shaped(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return np.asarray(values.reshape(lead_shape, order="F" if order == "F" else "C"))

    return FitResult(
        model=model,
        method=method,
        ktrans=shaped(kt),
        ve=shaped(ve if model is not Model.PATLAK else np.full_like(ve, np.nan)),
        vp=shaped(vp if model is not Model.TOFTS else np.full_like(vp, np.nan)),
        kep=shaped(out["kep"] if model is not Model.PATLAK else np.full_like(ve, np.nan)),
        delay_s=shaped(delay),
        rss=shaped(rss),
        r2=shaped(r2),
        ok=shaped(ok),
        flags=shaped(flags),
        bounds=limits,
        delays_searched_s=tuple(delays),
    )


def fit_model(
    model: Model | str,
    t_s: npt.ArrayLike,
    ct: npt.ArrayLike,
    cp: npt.ArrayLike,
    *,
    method: FitMethod | str = FitMethod.EXACT,
    fit_delay: bool = False,
    delay_s: float = 0.0,
    delay_range_s: tuple[float, float] = (0.0, 10.0),
    delay_step_s: float = 0.5,
    bounds: Bounds | None = None,
    grid_size: int = GRID_SIZE,
    chunk_size: int | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> FitResult:
    """Fit ``model`` to every voxel of ``ct``.

    Parameters
    ----------
    model
        :class:`Model` or its code (``"tofts"``, ``"extended-tofts"``, ``"patlak"``).
    t_s
        Frame times in seconds, strictly increasing, shape ``(T,)``.
    ct
        Tissue concentration (mM), shape ``(..., T)``; float32 input is projected in single
        precision (about 1e-6 relative), anything else in double precision.
    cp
        Plasma concentration of the arterial input (mM) at ``t_s``, shape ``(T,)``.
    method
        ``"exact"`` (non-negative least-squares optimum) or ``"linear"`` (Murase 2004).
    fit_delay
        Search the arterial delay on the grid ``delay_range_s`` with step ``delay_step_s``.
    delay_s
        Fixed arterial delay in seconds when ``fit_delay`` is False.
    bounds
        kep search range and physical limits; see :class:`Bounds`.
    grid_size
        Number of kep grid nodes (log-spaced); the optimum is refined between nodes.
    chunk_size, workers
        Voxels per chunk (default 8192 for exact, 65536 for linear) and worker threads
        (default: the CPUs available).
    progress
        Called with the number of voxels of each finished chunk (for progress bars).

    Returns
    -------
    FitResult
        Arrays shaped like ``ct.shape[:-1]``.
    """
    return _fit(
        Model.parse(model),
        t_s,
        ct,
        cp,
        method=method,
        fit_delay=fit_delay,
        delay_s=delay_s,
        delay_range_s=delay_range_s,
        delay_step_s=delay_step_s,
        bounds=bounds,
        grid_size=grid_size,
        chunk_size=chunk_size,
        workers=workers,
        progress=progress,
    )


def fit_tofts(
    t_s: npt.ArrayLike,
    ct: npt.ArrayLike,
    cp: npt.ArrayLike,
    *,
    method: FitMethod | str = FitMethod.EXACT,
    fit_delay: bool = False,
    delay_s: float = 0.0,
    delay_range_s: tuple[float, float] = (0.0, 10.0),
    delay_step_s: float = 0.5,
    bounds: Bounds | None = None,
    grid_size: int = GRID_SIZE,
    chunk_size: int | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> FitResult:
    """Fit the Tofts model (Ktrans, ve; ``vp`` is NaN). See :func:`fit_model`.

    >>> import numpy as np
    >>> from pseudoprog.perfusion import parker_aif, tofts
    >>> t = np.arange(0.0, 360.0, 2.0)
    >>> cp = parker_aif(t, delay_s=10.0)
    >>> r = fit_tofts(t, tofts(t, cp, ktrans=0.3, ve=0.4), cp)
    >>> round(r.ktrans.item(), 6), round(r.ve.item(), 6), round(r.kep.item(), 6)
    (0.3, 0.4, 0.75)
    """
    return _fit(
        Model.TOFTS,
        t_s,
        ct,
        cp,
        method=method,
        fit_delay=fit_delay,
        delay_s=delay_s,
        delay_range_s=delay_range_s,
        delay_step_s=delay_step_s,
        bounds=bounds,
        grid_size=grid_size,
        chunk_size=chunk_size,
        workers=workers,
        progress=progress,
    )


def fit_extended_tofts(
    t_s: npt.ArrayLike,
    ct: npt.ArrayLike,
    cp: npt.ArrayLike,
    *,
    method: FitMethod | str = FitMethod.EXACT,
    fit_delay: bool = False,
    delay_s: float = 0.0,
    delay_range_s: tuple[float, float] = (0.0, 10.0),
    delay_step_s: float = 0.5,
    bounds: Bounds | None = None,
    grid_size: int = GRID_SIZE,
    chunk_size: int | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> FitResult:
    """Fit the extended Tofts model (Ktrans, ve, vp). See :func:`fit_model`."""
    return _fit(
        Model.EXTENDED_TOFTS,
        t_s,
        ct,
        cp,
        method=method,
        fit_delay=fit_delay,
        delay_s=delay_s,
        delay_range_s=delay_range_s,
        delay_step_s=delay_step_s,
        bounds=bounds,
        grid_size=grid_size,
        chunk_size=chunk_size,
        workers=workers,
        progress=progress,
    )


def fit_patlak(
    t_s: npt.ArrayLike,
    ct: npt.ArrayLike,
    cp: npt.ArrayLike,
    *,
    method: FitMethod | str = FitMethod.EXACT,
    fit_delay: bool = False,
    delay_s: float = 0.0,
    delay_range_s: tuple[float, float] = (0.0, 10.0),
    delay_step_s: float = 0.5,
    bounds: Bounds | None = None,
    chunk_size: int | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> FitResult:
    """Fit the Patlak model (Ktrans, vp; ``ve`` and ``kep`` are NaN).

    The model is linear, so both methods solve it in closed form; ``"exact"`` adds the
    constraints Ktrans ≥ 0 and vp ≥ 0. See :func:`fit_model`.
    """
    return _fit(
        Model.PATLAK,
        t_s,
        ct,
        cp,
        method=method,
        fit_delay=fit_delay,
        delay_s=delay_s,
        delay_range_s=delay_range_s,
        delay_step_s=delay_step_s,
        bounds=bounds,
        grid_size=GRID_SIZE,
        chunk_size=chunk_size,
        workers=workers,
        progress=progress,
    )
