"""Speed and accuracy of the extended Tofts fitters on a large synthetic volume.

A volume of ``--voxels`` curves (default 1,000,000) × ``--frames`` frames (default 120, one
every 2.5 s) is simulated from the extended Tofts model with the Parker AIF and Gaussian
noise, stored time-major in float32 as a 4-D NIfTI image would be. It is fitted with
``method="linear"`` and ``method="exact"``; a straightforward per-voxel
``scipy.optimize.curve_fit`` of the same model (OSIPI-style start and bounds) runs on a random
subset. The script prints voxels per second, the speed ratios, the median and 95th-percentile
absolute errors against the truth, how often ``exact`` reaches a residual no larger than
``curve_fit``'s, and the peak memory of the process.

The speed table fits ``--speed-voxels`` voxels (default 300,000) with both methods in both
layouts (time-major ``(T, N)`` passed as ``data.T``, and voxel-major ``(N, T)`` contiguous),
in float32 and float64, and a volume where 40% of the voxels are background noise; each
configuration runs ``--speed-repeats`` times (default 5), interleaved with the reference
implementation (the driver before the fused kernels, ``pseudoprog.perfusion._reference``), and
the medians and ranges are printed, as wall time and as CPU time (the throughput the fit
would have if it had the cores to itself: useful when the machine is shared). The one-time
cost of the first call (loading the compiled loops) is measured in fresh processes.

Run: ``python benchmarks/perfusion.py`` (``--help`` for the options). With ``--osipi`` it
instead prints the maximum absolute errors of both methods on every OSIPI DCE model set (data
read in place from ``../shared/reference/osipi`` or ``$PSEUDOPROG_OSIPI_DIR``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import resource
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.optimize import curve_fit

from pseudoprog.perfusion import (
    FitResult,
    exp_convolve,
    extended_tofts,
    fit_extended_tofts,
    parker_aif,
)

PARAMETERS = ("ktrans", "ve", "vp")
REPO = Path(__file__).resolve().parents[1]


def simulate(
    voxels: int, frames: int, dt: float, sigma: float, seed: int
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Frame times, plasma AIF, truth and noisy curves, time-major float32 ``(T, N)``."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) * dt
    cp = parker_aif(t, delay_s=20.0)
    truth = {
        "ktrans": rng.uniform(0.01, 0.5, voxels),
        "ve": rng.uniform(0.05, 0.6, voxels),
        "vp": rng.uniform(0.0, 0.1, voxels),
    }
    data = np.empty((frames, voxels), dtype=np.float32)
    step = 100_000
    for start in range(0, voxels, step):
        stop = min(voxels, start + step)
        kt, ve, vp = (truth[p][start:stop] for p in PARAMETERS)
        kep = kt / ve
        # Time-major recursion over all voxels of the block (exact for a linear AIF).
        clean = np.empty((frames, stop - start))
        conv = np.zeros(stop - start)
        h = dt / 60.0
        x = kep * h
        decay = np.exp(-x)
        w1 = h * (x + np.expm1(-x)) / (x * x)
        w0 = h * (-np.expm1(-x) / x) - w1
        clean[0] = vp * cp[0]
        for i in range(1, frames):
            conv = decay * conv + w0 * cp[i - 1] + w1 * cp[i]
            clean[i] = vp * cp[i] + kt * conv
        data[:, start:stop] = clean + rng.normal(0.0, sigma, clean.shape)
    return t, cp, truth, data


def errors(fitted: dict[str, np.ndarray], truth: dict[str, np.ndarray]) -> dict[str, str]:
    """Median and 95th percentile of the absolute error, per parameter."""
    out = {}
    for name in PARAMETERS:
        err = np.abs(fitted[name] - truth[name])
        err = err[np.isfinite(err)]
        out[name] = f"{np.median(err):.4f} / {np.percentile(err, 95):.4f}"
    return out


def timed(
    label: str, run: Callable[[], FitResult], voxels: int, repeats: int
) -> tuple[FitResult, float]:
    """Run ``repeats`` times; print median and best; return the result and the median time."""
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    if result is None:  # pragma: no cover - repeats >= 1
        raise SystemExit("no run")
    median = float(np.median(times))
    best = min(times)
    print(
        f"  {label:<10} {median:8.2f} s  {voxels / median:>12,.0f} voxels/s "
        f"(median of {repeats}; best {voxels / best:,.0f}/s)"
    )
    return result, median


OSIPI_SETS = {
    "Tofts (QIBA v11, 25 curves)": (
        "tofts",
        "dce_DRO_data_tofts.csv",
        {"ktrans": "Ktrans", "ve": "ve"},
        10,
    ),
    "extended Tofts (Bosca-Jackson, 15 curves)": (
        "extended-tofts",
        "dce_DRO_data_extended_tofts.csv",
        {"ktrans": "Ktrans", "ve": "ve", "vp": "vp"},
        5,
    ),
    "Patlak (9 curves)": ("patlak", "patlak_sd_0.02_delay_0.csv", {"ktrans": "ps", "vp": "vp"}, 0),
}
OSIPI_TOLERANCE = {"ktrans": (0.005, 0.1), "ve": (0.05, 0.0), "vp": (0.025, 0.0)}


def osipi_report() -> None:
    """Maximum absolute error per parameter on the OSIPI DCE sets, both methods, ± delay.

    Delayed Tofts/extended Tofts curves are made as OSIPI does (tissue curve shifted by 10/5
    frames, zero-padded); the Patlak set ships its delayed curves. Tolerances: OSIPI.
    """
    import pandas as pd

    from pseudoprog.perfusion import fit_model

    default = REPO / ".." / "shared" / "reference" / "osipi"
    folder = Path(os.environ.get("PSEUDOPROG_OSIPI_DIR", default)) / "DCEmodels" / "data"
    if not folder.exists():
        raise SystemExit(f"OSIPI data not found in {folder.resolve()}")
    for title, (model, name, columns, shift) in OSIPI_SETS.items():
        for delayed in (False, True):
            file = "patlak_sd_0.02_delay_5.csv" if delayed and model == "patlak" else name
            frame = pd.read_csv(folder / file)
            curve_col = "C" if "C" in frame else "C_t"
            aif_col = "ca" if "ca" in frame else "cp_aif"
            groups: dict[str, list[int]] = {}
            for i, row in frame.iterrows():
                groups.setdefault(str(row[aif_col]) + str(row["t"]), []).append(int(i))
            for method in ("exact", "linear"):
                worst = dict.fromkeys([*columns, "delay_s"], 0.0)
                failures = 0
                for rows in groups.values():
                    first = frame.iloc[rows[0]]
                    t = np.array(first["t"].split(), float)
                    cp = np.array(first[aif_col].split(), float)
                    curves = np.stack([np.array(frame.iloc[i][curve_col].split(), float)
                                       for i in rows])  # fmt: skip
                    expected = np.zeros(len(rows))
                    if delayed and shift:
                        curves = np.concatenate(
                            [np.zeros((len(rows), shift)), curves[:, :-shift]], axis=1
                        )
                        expected[:] = t[shift]
                    elif delayed:
                        expected = frame.iloc[rows]["arterial_delay"].to_numpy(float)
                    fit = fit_model(model, t, curves, cp, method=method, fit_delay=delayed)
                    for ours, theirs in columns.items():
                        ref = frame.iloc[rows][theirs].to_numpy(float)
                        err = np.abs(getattr(fit, ours) - ref)
                        worst[ours] = max(worst[ours], float(err.max()))
                        a_tol, r_tol = OSIPI_TOLERANCE[ours]
                        failures += int(np.sum(err > a_tol + r_tol * np.abs(ref)))
                    if delayed:
                        err = np.abs(fit.delay_s - expected)
                        worst["delay_s"] = max(worst["delay_s"], float(err.max()))
                        failures += int(np.sum(err > 1.0))
                shown = ", ".join(
                    f"{k} {v:.4f}" for k, v in worst.items() if delayed or k != "delay_s"
                )
                label = "with fitted delay" if delayed else "no delay"
                print(
                    f"{title:<42} {label:<17} {method:<6} max |error|: {shown}; "
                    f"outside tolerance: {failures}"
                )


def first_call_cost(method: str, runs: int = 3) -> list[tuple[float, float]]:
    """Wall and CPU seconds of the first 1,000-voxel fit in fresh processes (imports apart)."""
    import subprocess
    import sys

    code = (
        "import time, numpy as np\n"
        "from pseudoprog.perfusion import fit_extended_tofts, parker_aif\n"
        "t = np.arange(120) * 2.5; cp = parker_aif(t, delay_s=20.0)\n"
        "ct = np.random.default_rng(0).normal(0.1, 0.02, (1000, 120)).astype(np.float32)\n"
        "w = time.perf_counter(); c = time.process_time()\n"
        f"fit_extended_tofts(t, ct, cp, method='{method}')\n"
        "print(time.perf_counter() - w, time.process_time() - c)\n"
    )
    out = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        wall, cpu = (float(v) for v in done.stdout.split())
        out.append((wall, cpu))
    return out


def speed_table(voxels: int, repeats: int, workers: int | None, seed: int) -> None:
    """Medians and ranges, fast fitters and the reference interleaved (see the docstring)."""
    from pseudoprog.perfusion._reference import fit_reference

    t, cp, _, data32 = simulate(voxels, 120, 2.5, 0.02, seed)
    rng = np.random.default_rng(seed + 2)
    background = data32.copy()
    noise = rng.random(voxels) < 0.4
    background[:, noise] = rng.normal(0.0, 0.02, (120, int(noise.sum()))).astype(np.float32)
    volumes = {
        "float32 time-major": data32.T,
        "float32 voxel-major": np.ascontiguousarray(data32.T),
        "float64 time-major": data32.astype(np.float64).T,
        "float64 voxel-major": np.ascontiguousarray(data32.T, dtype=np.float64),
        "float32 tm, 40% background": background.T,
        "float32 vm, 40% background": np.ascontiguousarray(background.T),
    }
    cores = workers or len(os.sched_getaffinity(0))
    print(
        f"Speed, {voxels:,} voxels x 120 frames, {cores} workers, median of {repeats} runs "
        "(range); wall | CPU-time equivalent; reference = the driver before the fused kernels"
    )
    for method in ("linear", "exact"):
        for label, ct in volumes.items():
            fit_extended_tofts(t, ct[:2000], cp, method=method, workers=workers)  # warm
            runs: dict[str, list[tuple[float, float]]] = {"fast": [], "reference": []}
            for _ in range(repeats):
                for name in runs:
                    fitter = (
                        fit_extended_tofts
                        if name == "fast"
                        else (lambda *a, **k: fit_reference("extended-tofts", *a, **k))
                    )
                    wall, cpu = time.perf_counter(), time.process_time()
                    fitter(t, ct, cp, method=method, workers=workers)
                    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                    runs[name].append((voxels / wall / 1e6, cores * voxels / cpu / 1e6))
            cells = []
            for name, values in runs.items():
                v = np.asarray(values)
                cells.append(
                    f"{name} {np.median(v[:, 0]):5.2f} ({v[:, 0].min():.2f}-{v[:, 0].max():.2f})"
                    f" | {np.median(v[:, 1]):5.2f} ({v[:, 1].min():.2f}-{v[:, 1].max():.2f})"
                )
            print(f"  {method:<6} {label:<27} M voxels/s: " + "; ".join(cells))
    for method in ("linear", "exact"):
        costs = np.asarray(first_call_cost(method))
        print(
            f"  first call in a fresh process, {method}: wall {np.median(costs[:, 0]):.2f} s "
            f"({costs[:, 0].min():.2f}-{costs[:, 0].max():.2f}), CPU "
            f"{np.median(costs[:, 1]):.2f} s ({costs[:, 1].min():.2f}-{costs[:, 1].max():.2f})"
        )
    print(f"  load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voxels", type=int, default=1_000_000)
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--dt", type=float, default=2.5, help="seconds between frames")
    parser.add_argument("--noise", type=float, default=0.02, help="noise SD, mM")
    parser.add_argument("--subset", type=int, default=2000, help="voxels fitted by curve_fit")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each fast method")
    parser.add_argument("--osipi", action="store_true", help="print the OSIPI validation table")
    parser.add_argument("--speed-voxels", type=int, default=300_000)
    parser.add_argument("--speed-repeats", type=int, default=5)
    parser.add_argument("--speed-only", action="store_true", help="only the speed table")
    args = parser.parse_args()
    if args.osipi:
        osipi_report()
        return
    if args.speed_voxels > 0:
        speed_table(args.speed_voxels, args.speed_repeats, args.workers, args.seed)
    if args.speed_only:
        return

    print("Machine")
    print(f"  {platform.platform()}, Python {platform.python_version()}")
    print(f"  CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"  load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(
        f"Data: {args.voxels:,} voxels x {args.frames} frames every {args.dt} s, extended "
        f"Tofts, Parker AIF, noise SD {args.noise} mM (float32, time-major)"
    )
    t, cp, truth, data = simulate(args.voxels, args.frames, args.dt, args.noise, args.seed)
    ct = data.T  # (N, T) view; time on the last axis

    print("One-time set-up per process (loading compiled loops, first call on 1,000 voxels)")
    for method in ("linear", "exact"):
        start = time.perf_counter()
        fit_extended_tofts(t, ct[:1000], cp, method=method, workers=args.workers)
        print(f"  {method:<10} {time.perf_counter() - start:8.2f} s")

    print("Fits")
    linear, t_linear = timed(
        "linear",
        lambda: fit_extended_tofts(t, ct, cp, method="linear", workers=args.workers),
        args.voxels,
        args.repeats,
    )
    exact, t_exact = timed(
        "exact",
        lambda: fit_extended_tofts(t, ct, cp, method="exact", workers=args.workers),
        args.voxels,
        args.repeats,
    )

    rng = np.random.default_rng(args.seed + 1)
    subset = np.sort(rng.choice(args.voxels, size=min(args.subset, args.voxels), replace=False))
    curves = np.asarray(data[:, subset].T, dtype=np.float64)

    def model(_: np.ndarray, kt: float, ve: float, vp: float) -> np.ndarray:
        return extended_tofts(t, cp, ktrans=kt, ve=ve, vp=vp)

    start = time.perf_counter()
    cf = np.full((subset.size, 3), np.nan)
    for i, y in enumerate(curves):
        with contextlib.suppress(RuntimeError):  # no convergence: left as NaN
            cf[i], _ = curve_fit(model, t, y, p0=(0.6, 0.2, 0.01), bounds=([0, 1e-6, 0], [5, 1, 1]))
    elapsed_cf = time.perf_counter() - start
    speed_cf = subset.size / elapsed_cf
    print(f"  curve_fit  {elapsed_cf:8.2f} s  {speed_cf:>12,.0f} voxels/s ({subset.size:,} voxels)")
    print("Speed ratios")
    print(f"  exact / curve_fit  : {args.voxels / t_exact / speed_cf:,.0f}x")
    print(f"  linear / curve_fit : {args.voxels / t_linear / speed_cf:,.0f}x")

    print("Absolute error vs truth, median / 95th percentile (Ktrans /min, ve, vp)")
    full_truth = truth
    for name, res in (("linear", linear), ("exact", exact)):
        fitted = {p: getattr(res, p) for p in PARAMETERS}
        print(f"  {name:<9} all voxels   : {errors(fitted, full_truth)}")
    sub_truth = {p: truth[p][subset] for p in PARAMETERS}
    for name, res in (("linear", linear), ("exact", exact)):
        fitted = {p: getattr(res, p)[subset] for p in PARAMETERS}
        print(f"  {name:<9} subset       : {errors(fitted, sub_truth)}")
    print(
        f"  curve_fit subset       : {errors(dict(zip(PARAMETERS, cf.T, strict=True)), sub_truth)}"
    )

    def rss(kt: np.ndarray, kep: np.ndarray, vp: np.ndarray) -> np.ndarray:
        model_curves = vp[:, None] * cp + kt[:, None] * exp_convolve(t, cp, kep)
        return np.sum((curves - model_curves) ** 2, axis=1)

    with np.errstate(divide="ignore", invalid="ignore"):
        rss_cf = rss(cf[:, 0], cf[:, 0] / cf[:, 1], cf[:, 2])
    rss_exact = rss(exact.ktrans[subset], exact.kep[subset], exact.vp[subset])
    finite = np.isfinite(rss_cf)
    not_worse = rss_exact[finite] <= rss_cf[finite] * (1 + 1e-6) + 1e-12
    better = rss_exact[finite] < rss_cf[finite] * (1 - 1e-6)
    print(
        f"Residuals on the subset: exact <= curve_fit in {not_worse.mean():.1%} of voxels, "
        f"clearly lower in {better.mean():.1%}; curve_fit failed in {np.sum(~finite)}"
    )
    if not np.all(not_worse):
        worst = np.max((rss_exact[finite] - rss_cf[finite]) / rss_cf[finite])
        print(f"  largest relative excess of exact over curve_fit: {worst:.2e}")
    print(f"ok voxels: linear {linear.ok.mean():.1%}, exact {exact.ok.mean():.1%}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"Peak memory (max RSS): {peak:.2f} GB")
    print(f"Load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
