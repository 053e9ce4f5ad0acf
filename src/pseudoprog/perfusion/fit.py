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
from typing import Any

import numpy as np
import numpy.typing as npt

from pseudoprog.errors import FitWarning
from pseudoprog.perfusion._chunk import ChunkResult
from pseudoprog.perfusion._engine import Source, fit_chunk
from pseudoprog.perfusion._inputs import CHUNK_SIZE, Inputs, prepare
from pseudoprog.perfusion._parallel import run_chunks, single_threaded_blas
from pseudoprog.perfusion.models import Model
from pseudoprog.perfusion.result import Bounds, FitFlag, FitMethod, FitResult

__all__ = ["fit_extended_tofts", "fit_model", "fit_patlak", "fit_tofts"]

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[int], None]

#: Default number of kep grid nodes between ``kep_min`` and ``kep_max``.
GRID_SIZE = 48
#: Voxels per chunk are a multiple of this (whole blocks of the compiled loops).
_ALIGN = 128
#: Fewest voxels per chunk when the default chunk size is shrunk to balance the workers.
_MIN_CHUNK = 4096


def _fit(model: Model, *args: Any, **kwargs: Any) -> FitResult:
    with single_threaded_blas():
        inputs = prepare(model, *args, **kwargs)
        return _run(model, inputs, progress=kwargs.get("progress"), fit_delay=kwargs["fit_delay"])


def _chunks(count: int, inputs: Inputs, explicit: bool) -> list[tuple[int, int]]:
    """Chunk bounds: the requested size, or by default a size that gives every worker a few
    equal chunks (never more than the default size)."""
    size = inputs.chunk_size
    if not explicit and inputs.workers > 1:
        share = -(-count // (4 * inputs.workers))
        share = -(-share // _ALIGN) * _ALIGN
        size = max(_MIN_CHUNK, min(size, share))
    return [(s, min(count, s + size)) for s in range(0, count, size)]


def _run(model: Model, inputs: Inputs, *, progress: Progress | None, fit_delay: bool) -> FitResult:
    """Fit every chunk on the worker threads; each worker also finishes its chunk."""
    from pseudoprog.perfusion._finish import finish_chunk  # numba: imported when used

    flat, limits, prepared = inputs.flat, inputs.limits, inputs.prepared
    count = flat.shape[0]
    fields = {name: np.empty(count) for name in ("ktrans", "ve", "vp", "kep", "rss", "sstot")}
    flags = np.zeros(count, np.uint8)
    r2 = np.empty(count)
    ok = np.empty(count, np.bool_)
    delay = np.empty(count)
    which = np.zeros(count, np.intp)
    delays = np.asarray(inputs.delays, dtype=np.float64)
    source = Source(flat)
    bits = (
        int(FitFlag.FAILED),
        int(FitFlag.UNPHYSICAL),
        int(FitFlag.DELAY_AT_BOUND),
        int(FitFlag.not_ok()),
    )
    maxima = (limits.ktrans_max, limits.ve_max, limits.vp_max)

    def work(start: int, stop: int) -> int:
        s = slice(start, stop)
        f = {name: values[s] for name, values in fields.items()}
        dest = ChunkResult(f["ktrans"], f["ve"], f["vp"], f["kep"], f["rss"], f["sstot"], flags[s])
        for k, prep in enumerate(prepared):
            if k == 0:
                fit_chunk(model, inputs.method, prep, source, (start, stop), limits, dest)
                continue
            res = ChunkResult.empty(stop - start)
            fit_chunk(model, inputs.method, prep, source, (start, stop), limits, res)
            better = np.isfinite(res.rss) & ~(dest.rss <= res.rss)
            dest.take(res, better)
            which[s][better] = k
        params = (dest.ktrans, dest.ve, dest.vp, dest.kep)
        failed = finish_chunk(
            params, dest.rss, dest.sstot, dest.flags, which[s], delays, maxima, bits,
            (r2[s], ok[s], delay[s]),
        )  # fmt: skip
        return int(failed)

    explicit = inputs.chunk_size != CHUNK_SIZE[inputs.method]
    bounds = _chunks(count, inputs, explicit)
    n_failed = sum(run_chunks(work, bounds, workers=inputs.workers, progress=progress))
    if n_failed:
        warnings.warn(
            f"{n_failed} of {count} voxels could not be fitted (non-finite samples or a "
            "singular system); their parameters are NaN and flagged FAILED",
            FitWarning,
            stacklevel=4,
        )

    def shaped(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        if inputs.order == "F":
            return np.asarray(values.reshape(inputs.lead_shape, order="F"))
        return np.asarray(values.reshape(inputs.lead_shape, order="C"))

    nan = np.full(count, np.nan)
    return FitResult(
        model=model,
        method=inputs.method,
        ktrans=shaped(fields["ktrans"]),
        ve=shaped(fields["ve"] if model is not Model.PATLAK else nan),
        vp=shaped(fields["vp"] if model is not Model.TOFTS else nan),
        kep=shaped(fields["kep"] if model is not Model.PATLAK else nan.copy()),
        delay_s=shaped(delay),
        rss=shaped(fields["rss"]),
        r2=shaped(r2),
        ok=shaped(ok),
        flags=shaped(flags),
        bounds=limits,
        delays_searched_s=tuple(inputs.delays),
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
