"""The fitting driver as it was before the fused kernels: the reference implementation.

Kept, unchanged in its numerics, as the specification the fast paths of
:mod:`pseudoprog.perfusion.fit` are tested against: the linear fits through the compiled
:func:`pseudoprog.perfusion._kernels.murase_fit` on time-major chunks (voxel-major input is
transposed chunk by chunk), the exact fits through the NumPy functions of
:mod:`pseudoprog.perfusion._exact`, and the results finished by :func:`_assemble`.
:func:`fit_reference` takes the arguments of :func:`pseudoprog.perfusion.fit.fit_model`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import numpy.typing as npt

from pseudoprog.errors import FitWarning
from pseudoprog.perfusion._chunk import ChunkResult
from pseudoprog.perfusion._exact import fit_extended_tofts_exact, fit_tofts_exact, project
from pseudoprog.perfusion._inputs import Prepared, prepare
from pseudoprog.perfusion._linear import fit_linear, fit_patlak_chunk
from pseudoprog.perfusion._parallel import run_chunks, single_threaded_blas
from pseudoprog.perfusion.models import Model
from pseudoprog.perfusion.result import Bounds, FitFlag, FitMethod, FitResult

__all__ = ["fit_reference"]

FloatArray = npt.NDArray[np.float64]


def _fit_one_delay(
    model: Model,
    method: FitMethod,
    prep: Prepared,
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


def fit_reference(
    model: Model | str, t_s: npt.ArrayLike, ct: npt.ArrayLike, cp: npt.ArrayLike, **options: Any
) -> FitResult:
    """Fit as :func:`pseudoprog.perfusion.fit.fit_model` did before the fused kernels."""
    kind = Model.parse(model)
    defaults: dict[str, Any] = {
        "method": FitMethod.EXACT,
        "fit_delay": False,
        "delay_s": 0.0,
        "delay_range_s": (0.0, 10.0),
        "delay_step_s": 0.5,
        "bounds": None,
        "grid_size": 48,
        "chunk_size": None,
        "workers": None,
        "progress": None,
    }
    defaults.update(options)
    with single_threaded_blas():
        return _fit_impl(kind, t_s, ct, cp, **defaults)


def _fit_impl(
    model: Model,
    t_s: npt.ArrayLike,
    ct: npt.ArrayLike,
    cp: npt.ArrayLike,
    **options: Any,
) -> FitResult:
    inputs = prepare(model, t_s, ct, cp, **options)
    fit_method, limits, flat = inputs.method, inputs.limits, inputs.flat
    prepared, delays, chunk_size = inputs.prepared, inputs.delays, inputs.chunk_size
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
    progress = options.get("progress")
    for start, res, which in run_chunks(
        work, bounds_list, workers=inputs.workers, progress=progress
    ):
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
        inputs.lead_shape,
        inputs.order,
        fit_delay=bool(options.get("fit_delay")),
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
