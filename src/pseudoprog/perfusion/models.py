"""Tracer kinetic models of DCE-MRI: Tofts, extended Tofts and Patlak.

Conventions (docs/conventions.md, "Perfusion"): time in seconds at the API, Ktrans and kep in
/min, ve and vp as fractions, concentrations in mM. The models are those standardised by Tofts
et al., J Magn Reson Imaging 1999;10:223–232 (Tofts, and the extended form that adds
``vp·Cp``), and the Patlak model (Patlak et al., J Cereb Blood Flow Metab 1983;3:1–7):

* extended Tofts: ``Ct(t) = vp·Cp(t) + Ktrans·∫ Cp(τ)·exp(−kep·(t − τ)) dτ``, ``kep = Ktrans/ve``;
* Tofts: the same with ``vp = 0``;
* Patlak: ``Ct(t) = vp·Cp(t) + Ktrans·∫ Cp(τ) dτ``.

The convolution is computed exactly for an input that is linear between samples (a
first-order recursion over the samples, see :func:`_weights`), so that it is correct for any
sampling, uniform or not, and for any kep (kep = 0 gives the trapezoid integral).

Examples
--------
>>> import numpy as np
>>> t = np.arange(0.0, 300.0, 2.0)
>>> cp = np.where(t > 10, 5.0 * np.exp(-(t - 10) / 120.0), 0.0)
>>> ct = extended_tofts(t, cp, ktrans=0.2, ve=0.3, vp=0.05)
>>> ct.shape
(150,)
>>> bool(np.all(ct >= 0))
True
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from pseudoprog.domain import CodedEnum
from pseudoprog.errors import ParameterError

__all__ = [
    "Model",
    "exp_convolve",
    "extended_tofts",
    "patlak",
    "shift_curve",
    "tofts",
]

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

#: Below this value of kep·Δt the series expansions of the convolution weights are used.
_SERIES_LIMIT = 1e-4


class Model(CodedEnum):
    """A tracer kinetic model; the value is the code used on the command line and in files."""

    TOFTS = "tofts"
    EXTENDED_TOFTS = "extended-tofts"
    PATLAK = "patlak"

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return {"etofts": "extended-tofts", "etm": "extended-tofts", "tm": "tofts"}

    @classmethod
    def _described_as(cls) -> tuple[str | None, str]:
        return "model", "model"

    @property
    def parameters(self) -> tuple[str, ...]:
        """Names of the fitted parameters of this model."""
        if self is Model.TOFTS:
            return ("ktrans", "ve", "kep")
        if self is Model.EXTENDED_TOFTS:
            return ("ktrans", "ve", "vp", "kep")
        return ("ktrans", "vp")


def _weights(dt_min: FloatArray, k: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Decay factor and the weights of the left and right sample for one time step.

    For an input linear on a step of length ``dt`` the exact update of the convolution
    ``F(t) = ∫ c(τ) exp(−k (t − τ)) dτ`` is ``F_i = E·F_{i−1} + w0·c_{i−1} + w1·c_i`` with
    ``E = exp(−x)``, ``x = k·dt``, ``w0 + w1 = dt·(1 − E)/x`` and ``w1 = dt·(x − 1 + E)/x²``.
    """
    x = k * dt_min
    small = np.abs(x) < _SERIES_LIMIT
    safe = np.where(small, 1.0, x)
    decay = np.exp(-x)
    phi1 = np.where(small, 1.0 - x / 2.0 + x * x / 6.0, -np.expm1(-x) / safe)
    phi2 = np.where(
        small, 0.5 - x / 6.0 + x * x / 24.0 - x**3 / 120.0, (x + np.expm1(-x)) / (safe * safe)
    )
    w1 = dt_min * phi2
    w0 = dt_min * phi1 - w1
    return decay, w0, w1


def exp_convolve(t_s: ArrayLike, cp: ArrayLike, kep_per_min: ArrayLike) -> FloatArray:
    """Convolve ``cp`` with ``exp(−kep·t)`` on the sampling times ``t_s``.

    Parameters
    ----------
    t_s
        Sampling times in seconds, strictly increasing, shape ``(T,)``.
    cp
        Input curve (e.g. plasma concentration, mM) at ``t_s``, shape ``(T,)``.
    kep_per_min
        Rate constant(s) in /min; any shape ``S``.

    Returns
    -------
    numpy.ndarray
        ``∫ cp(τ)·exp(−kep·(t − τ)) dτ`` in mM·min, shape ``S + (T,)``; the input is taken as
        linear between samples and zero before ``t_s[0]`` contributes nothing.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0.0, 600.0, 301)
    >>> out = exp_convolve(t, np.ones_like(t), 0.5)   # ∫0^t exp(−0.5 τ) dτ, t in min
    >>> bool(abs(out[-1] - (1 - np.exp(-0.5 * 10)) / 0.5) < 1e-12)
    True
    """
    t = np.asarray(t_s, dtype=np.float64) / 60.0
    c = np.asarray(cp, dtype=np.float64)
    k = np.asarray(kep_per_min, dtype=np.float64)
    if t.ndim != 1 or c.shape != t.shape:
        raise ParameterError(
            f"t_s and cp must be 1-D of the same length; got shapes {t.shape} and {c.shape}"
        )
    flat = k.reshape(-1)
    out = np.zeros((flat.size, t.size))
    if t.size < 2:
        return out.reshape((*k.shape, t.size))
    dt = np.diff(t)
    uniform = bool(np.allclose(dt, dt[0], rtol=1e-12, atol=0.0))
    if uniform:
        decay, w0, w1 = _weights(np.full(1, dt[0]), flat)
        if flat.size < 16:
            # The recursion is a first-order IIR filter: one C loop per rate constant.
            from scipy.signal import lfilter  # imported here: scipy.signal is slow to import

            for j in range(flat.size):
                out[j, 1:] = lfilter([w1[j], w0[j]], [1.0, -decay[j]], c[1:], zi=[w0[j] * c[0]])[0]
            return out.reshape((*k.shape, t.size))
    current = np.zeros(flat.size)
    for i in range(1, t.size):
        if not uniform:
            decay, w0, w1 = _weights(np.full(1, dt[i - 1]), flat)
        current = decay * current + w0 * c[i - 1] + w1 * c[i]
        out[:, i] = current
    return out.reshape((*k.shape, t.size))


def shift_curve(t_s: ArrayLike, curve: ArrayLike, delay_s: float) -> FloatArray:
    """Delay a curve by ``delay_s`` seconds: ``curve(t − delay)``, zero before its start.

    Linear interpolation between samples; a negative delay moves the curve earlier and holds
    its last value at the end.

    >>> import numpy as np
    >>> shift_curve([0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0], 1.0).tolist()
    [0.0, 0.0, 1.0, 2.0]
    """
    t = np.asarray(t_s, dtype=np.float64)
    c = np.asarray(curve, dtype=np.float64)
    if delay_s == 0.0:
        return c.copy()
    return np.asarray(np.interp(t - delay_s, t, c, left=0.0, right=c[-1]), dtype=np.float64)


def _check_pair(t_s: ArrayLike, cp: ArrayLike) -> tuple[FloatArray, FloatArray]:
    t = np.asarray(t_s, dtype=np.float64)
    c = np.asarray(cp, dtype=np.float64)
    if t.ndim != 1 or c.shape != t.shape:
        raise ParameterError(
            f"t_s and cp must be 1-D of the same length; got shapes {t.shape} and {c.shape}"
        )
    return t, c


def extended_tofts(
    t_s: ArrayLike,
    cp: ArrayLike,
    *,
    ktrans: ArrayLike,
    ve: ArrayLike,
    vp: ArrayLike,
    delay_s: float = 0.0,
) -> FloatArray:
    """Tissue concentration of the extended Tofts model.

    Parameters
    ----------
    t_s, cp
        Sampling times (s) and plasma concentration (mM), shape ``(T,)``.
    ktrans, ve, vp
        Ktrans (/min), ve and vp; scalars or arrays of one shape ``S``.
    delay_s
        Arterial delay: the tissue sees ``cp(t − delay_s)``.

    Returns
    -------
    numpy.ndarray
        Concentration (mM), shape ``S + (T,)``.
    """
    t, c = _check_pair(t_s, cp)
    c = shift_curve(t, c, delay_s)
    kt, v_e, v_p = np.broadcast_arrays(
        np.asarray(ktrans, np.float64), np.asarray(ve, np.float64), np.asarray(vp, np.float64)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        kep = np.where(v_e > 0, kt / np.where(v_e > 0, v_e, 1.0), 0.0)
    conv = exp_convolve(t, c, kep)
    return np.asarray(v_p[..., None] * c + kt[..., None] * conv, dtype=np.float64)


def tofts(
    t_s: ArrayLike, cp: ArrayLike, *, ktrans: ArrayLike, ve: ArrayLike, delay_s: float = 0.0
) -> FloatArray:
    """Tissue concentration of the Tofts model (the extended model with ``vp = 0``).

    >>> import numpy as np
    >>> t = np.arange(0.0, 60.0, 1.0)
    >>> tofts(t, np.ones_like(t), ktrans=0.0, ve=0.2).max()
    np.float64(0.0)
    """
    return extended_tofts(t_s, cp, ktrans=ktrans, ve=ve, vp=0.0, delay_s=delay_s)


def patlak(
    t_s: ArrayLike, cp: ArrayLike, *, ktrans: ArrayLike, vp: ArrayLike, delay_s: float = 0.0
) -> FloatArray:
    """Tissue concentration of the Patlak model, ``vp·Cp + Ktrans·∫Cp``.

    >>> import numpy as np
    >>> t = np.arange(0.0, 121.0, 60.0)          # 0, 1, 2 min
    >>> patlak(t, np.ones_like(t), ktrans=0.1, vp=0.0).tolist()
    [0.0, 0.1, 0.2]
    """
    t, c = _check_pair(t_s, cp)
    c = shift_curve(t, c, delay_s)
    kt, v_p = np.broadcast_arrays(np.asarray(ktrans, np.float64), np.asarray(vp, np.float64))
    integral = exp_convolve(t, c, 0.0)
    return np.asarray(v_p[..., None] * c + kt[..., None] * integral, dtype=np.float64)
