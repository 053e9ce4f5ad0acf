"""Per-chunk finishing of a fit: R², physical-range flags, failures (numba; internal).

Runs in the worker that fitted the chunk, right after it, so that the whole fit is one pass
over the output arrays. The rules are those of the reference ``fit._assemble_reference``:

* a voxel whose RSS or total sum of squares is not finite has FAILED: that flag alone, and
  NaN parameters, R² and delay;
* otherwise UNPHYSICAL is added where Ktrans, ve or vp is negative or above its limit, and
  DELAY_AT_BOUND where the fitted delay is the first or last of more than one searched;
* R² is ``1 − rss/sstot`` where ``sstot > 0``, NaN elsewhere; ``ok`` is True where no flag of
  ``FitFlag.not_ok()`` is set.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["finish_chunk"]

FloatArray = npt.NDArray[np.float64]


@njit(nogil=True, cache=True, error_model="numpy")
def finish_chunk(
    params: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    rss: FloatArray,
    sstot: FloatArray,
    flags: npt.NDArray[np.uint8],
    which: npt.NDArray[np.intp],
    delays: FloatArray,
    limits: tuple[float, float, float],
    bits: tuple[int, int, int, int],
    out: tuple[FloatArray, npt.NDArray[np.bool_], FloatArray],
) -> int:  # pragma: no cover - compiled; tested through the fits
    """Finish the voxels of one chunk in place; returns how many FAILED.

    ``params`` are Ktrans, ve, vp and kep; ``which`` the index in ``delays`` of each voxel's
    delay; ``limits`` Ktrans, ve and vp maxima; ``bits`` the flags FAILED, UNPHYSICAL,
    DELAY_AT_BOUND and the not-ok mask; ``out`` receives R², ok and the delay in seconds.
    """
    ktrans, ve, vp, kep = params
    r2, ok, delay = out
    ktrans_max, ve_max, vp_max = limits
    failed_bit, unphysical_bit, delay_bit, not_ok = bits
    last = delays.size - 1
    failed = 0
    for i in range(rss.size):
        s = sstot[i]
        r = rss[i]
        if not (np.isfinite(s) and np.isfinite(r)):
            failed += 1
            flags[i] = failed_bit
            ktrans[i] = np.nan
            ve[i] = np.nan
            vp[i] = np.nan
            kep[i] = np.nan
            r2[i] = np.nan
            ok[i] = False
            delay[i] = np.nan
            continue
        r2[i] = 1.0 - r / s if s > 0 else np.nan
        kt = ktrans[i]
        e = ve[i]
        p = vp[i]
        flag = flags[i]
        if kt < 0 or kt > ktrans_max or e < 0 or e > ve_max or p < 0 or p > vp_max:
            flag |= unphysical_bit
        k = which[i]
        if last > 0 and (k == 0 or k == last):
            flag |= delay_bit
        flags[i] = flag
        ok[i] = (flag & not_ok) == 0
        delay[i] = delays[k]
    return failed
