"""Spoiled gradient echo (SPGR) signal and its conversion to contrast agent concentration.

The steady-state SPGR signal is ``S = S0·sin α·(1 − E)/(1 − cos α·E)`` with
``E = exp(−TR·R1)`` (the Ernst equation for a spoiled gradient echo with TE ≪ T2*). Contrast
agent shortens T1 linearly with concentration, ``R1 = R10 + r1·C`` (fast water exchange;
Tofts, J Magn Reson Imaging 1997;7:91–101).
The conversion estimates ``S0`` from the pre-contrast frames and the baseline T1, inverts the
signal equation frame by frame and returns ``C = (R1 − R10)/r1``.

Examples
--------
>>> import numpy as np
>>> conc = np.array([0.0, 0.0, 0.5, 1.0])
>>> s = spgr_signal(conc, t10_s=1.4, flip_angle_deg=15.0, tr_s=0.005, r1_per_mM_s=4.5)
>>> back = signal_to_concentration(s, t10_s=1.4, flip_angle_deg=15.0, tr_s=0.005,
...                                r1_per_mM_s=4.5, baseline=Baseline(stop=2))
>>> np.round(back, 12).tolist()
[0.0, 0.0, 0.5, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pseudoprog.errors import ParameterError

__all__ = ["Baseline", "signal_to_concentration", "spgr_signal"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Baseline:
    """The pre-contrast frames whose mean signal is the baseline: frames ``[first, stop)``.

    The convention matters and differs between tools; the OSIPI signal-to-concentration
    reference values skip the first frame (``first=1``) because it is often not yet in
    steady state.

    >>> Baseline(stop=5, first=1).frames(20)
    range(1, 5)
    """

    stop: int
    first: int = 0

    def frames(self, count: int) -> range:
        """The frame indices used, checked against the number of frames ``count``."""
        if not (0 <= self.first < self.stop <= count):
            raise ParameterError(
                f"baseline frames [{self.first}, {self.stop}) must lie within the {count} "
                "frames and contain at least one frame"
            )
        return range(self.first, self.stop)


def _angles(flip_angle_deg: float) -> tuple[float, float]:
    if not (np.isfinite(flip_angle_deg) and 0.0 < flip_angle_deg < 90.0):
        raise ParameterError(f"flip_angle_deg={flip_angle_deg!r} must be in (0, 90) degrees")
    alpha = np.deg2rad(flip_angle_deg)
    return float(np.sin(alpha)), float(np.cos(alpha))


def _positive(name: str, value: float) -> float:
    if not (np.isfinite(value) and value > 0):
        raise ParameterError(f"{name}={value!r} must be a positive number")
    return float(value)


def spgr_signal(
    concentration: npt.ArrayLike,
    *,
    t10_s: npt.ArrayLike,
    flip_angle_deg: float,
    tr_s: float,
    r1_per_mM_s: float,
    s0: npt.ArrayLike = 1.0,
) -> FloatArray:
    """SPGR signal of tissue with the given concentration (mM), time on the last axis.

    ``t10_s`` and ``s0`` broadcast against the leading shape of ``concentration``.
    """
    sin_a, cos_a = _angles(flip_angle_deg)
    tr = _positive("tr_s", tr_s)
    r1 = _positive("r1_per_mM_s", r1_per_mM_s)
    c = np.asarray(concentration, dtype=np.float64)
    t10 = np.asarray(t10_s, dtype=np.float64)
    if np.any(~np.isfinite(t10) | (t10 <= 0)):
        raise ParameterError("t10_s must be positive and finite (baseline T1 in seconds)")
    r1_t = 1.0 / t10[..., None] + r1 * c
    e = np.exp(-tr * r1_t)
    return np.asarray(
        np.asarray(s0, dtype=np.float64)[..., None] * sin_a * (1.0 - e) / (1.0 - cos_a * e),
        dtype=np.float64,
    )


def signal_to_concentration(
    signal: npt.ArrayLike,
    *,
    t10_s: npt.ArrayLike,
    flip_angle_deg: float,
    tr_s: float,
    r1_per_mM_s: float,
    baseline: Baseline,
) -> FloatArray:
    """Concentration (mM) from SPGR signal, time on the last axis.

    Parameters
    ----------
    signal
        Signal intensities, shape ``(..., T)``.
    t10_s
        Pre-contrast T1 in seconds, a scalar or an array of the leading shape.
    flip_angle_deg, tr_s
        Flip angle (degrees) and repetition time (s) of the dynamic series.
    r1_per_mM_s
        Longitudinal relaxivity of the contrast agent in /mM/s at the field strength used.
    baseline
        Pre-contrast frames averaged for the baseline signal.

    Returns
    -------
    numpy.ndarray
        Concentration in mM. Samples the equation cannot explain (signal at or beyond the
        fully relaxed level, or a non-positive baseline) are NaN.
    """
    sin_a, cos_a = _angles(flip_angle_deg)
    tr = _positive("tr_s", tr_s)
    r1 = _positive("r1_per_mM_s", r1_per_mM_s)
    s = np.asarray(signal, dtype=np.float64)
    if s.ndim < 1:
        raise ParameterError("signal must have time on its last axis; got a scalar")
    frames = baseline.frames(s.shape[-1])
    t10 = np.asarray(t10_s, dtype=np.float64)
    if np.any(~np.isfinite(t10) | (t10 <= 0)):
        raise ParameterError("t10_s must be positive and finite (baseline T1 in seconds)")
    r10 = 1.0 / t10
    e10 = np.exp(-tr * r10)
    s_base = s[..., frames.start : frames.stop].mean(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s0 = s_base * (1.0 - cos_a * e10) / (sin_a * (1.0 - e10))
        y = s / (s0[..., None] * sin_a)
        e = (1.0 - y) / (1.0 - y * cos_a)
        valid = (e > 0) & (e < 1) & (s0[..., None] > 0)
        r1_t = -np.log(np.where(valid, e, 0.5)) / tr
    conc = np.where(valid, (r1_t - np.asarray(r10)[..., None]) / r1, np.nan)
    return np.asarray(conc, dtype=np.float64)
