"""``pseudoprog perfusion``: DCE-MRI kinetic model fitting (``fit``, ``change``, ``batch``).

``fit`` reads a 4-D DCE series (NIfTI, time last, or a folder of DICOM files) with its frame
times, converts signal to
concentration when asked, fits a kinetic model in every voxel of the mask and writes one NIfTI
map per parameter on the input grid, a text summary, the settings (``fit.json``), the AIF used
(``aif.csv``) and, with ``--roi``, ROI summaries (``roi_summary.csv``). ``change`` compares an
ROI parameter between two visits and writes the percent change as an ``evidence`` row.
``batch`` fits every visit of a manifest with the function ``fit`` runs (:func:`run_fit`),
here or on a Dask cluster (:mod:`pseudoprog.scale.perfusion`).

Every input is checked before anything is computed; output appears only when everything
succeeded.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

import pseudoprog
from pseudoprog.cli._common import console, err_console, report_user_errors
from pseudoprog.cli._tables import print_wrapped
from pseudoprog.errors import InputValidationError, ParameterError, Problem
from pseudoprog.io import dce as dce_io
from pseudoprog.io.atomic import atomic_directory
from pseudoprog.io.nifti import DceSeries, Geometry, VoxelData, load_volume, open_dce, write_maps
from pseudoprog.perfusion import (
    DEFAULT_HCT,
    Baseline,
    FitResult,
    Model,
    PopulationAif,
    RoiStatistic,
    fit_model,
    measured_aif,
    population_aif,
    roi_summaries,
    signal_to_concentration,
)
from pseudoprog.perfusion.roi import VP_CHANGE_KIND, parameter_change, vp_change_evidence

__all__ = ["FitRequest", "FitRun", "perfusion_app", "register", "run_fit"]

perfusion_app = typer.Typer(help="DCE-MRI perfusion: fit kinetic models, compare visits.")

FloatArray = npt.NDArray[np.float64]


class ModelChoice(StrEnum):
    """Kinetic models on the command line."""

    TOFTS = "tofts"
    EXTENDED_TOFTS = "extended-tofts"
    PATLAK = "patlak"


class MethodChoice(StrEnum):
    """Fitting methods on the command line."""

    EXACT = "exact"
    LINEAR = "linear"


class T1Unit(StrEnum):
    """Unit of a T1 map."""

    MS = "ms"
    S = "s"


class StatisticChoice(StrEnum):
    """ROI statistic compared between visits."""

    MEDIAN = "median"
    MEAN = "mean"


_CONVERSION_CHUNK = 65536


def _progress(*, show: bool = True) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not show,
    )


def _collect(problems: list[Problem], step: Callable[[], Any]) -> Any:
    """Run ``step``; add its input problems to ``problems`` and return None if it fails."""
    try:
        return step()
    except InputValidationError as exc:
        problems.extend(exc.problems)
        return None


def _frame_times(
    dce: Path, times: Path | None, frame_interval: float | None
) -> Callable[[int], FloatArray]:
    if times is not None and frame_interval is not None:
        raise ParameterError("give either --times or --frame-interval, not both")

    def times_for(frames: int) -> FloatArray:
        if frame_interval is not None:
            return dce_io.regular_frame_times(frames, frame_interval)
        source = times if times is not None else dce_io.default_sidecar(dce)
        return dce_io.read_frame_times(source, frames)

    return times_for


def _check_signal_options(
    concentration: bool,
    t1: Path | None,
    t1_ms: float | None,
    flip_angle: float | None,
    tr_ms: float | None,
    r1: float | None,
    baseline_frames: int | None,
) -> None:
    if concentration:
        given = [
            name
            for name, value in (
                ("--t1", t1), ("--t1-ms", t1_ms), ("--flip-angle", flip_angle),
                ("--tr-ms", tr_ms), ("--r1", r1), ("--baseline-frames", baseline_frames),
            )
            if value is not None
        ]  # fmt: skip
        if given:
            raise ParameterError(
                f"--concentration says the data already are concentrations; drop {', '.join(given)}"
            )
        return
    if (t1 is None) == (t1_ms is None):
        raise ParameterError(
            "to convert signal to concentration give exactly one of --t1 (T1 map) or --t1-ms "
            "(one T1 for every voxel); or pass --concentration if the data are concentrations"
        )
    missing = [
        name
        for name, value in (
            ("--flip-angle", flip_angle), ("--tr-ms", tr_ms), ("--r1", r1),
            ("--baseline-frames", baseline_frames),
        )
        if value is None
    ]  # fmt: skip
    if missing:
        raise ParameterError(
            f"signal to concentration needs {', '.join(missing)} (or pass --concentration)"
        )


def _to_concentration(
    data: VoxelData,
    *,
    t10_s: FloatArray,
    flip_angle: float,
    tr_ms: float,
    r1: float,
    baseline: Baseline,
) -> int:
    """Convert the voxel signals in place; return the number of voxels with invalid samples."""
    values = data.values
    count = values.shape[1]
    invalid = 0
    for start in range(0, count, _CONVERSION_CHUNK):
        stop = min(count, start + _CONVERSION_CHUNK)
        conc = signal_to_concentration(
            np.asarray(values[:, start:stop]).T,
            t10_s=t10_s[start:stop] if t10_s.size > 1 else t10_s,
            flip_angle_deg=flip_angle,
            tr_s=tr_ms / 1000.0,
            r1_per_mM_s=r1,
            baseline=baseline,
        )
        invalid += int(np.count_nonzero(~np.all(np.isfinite(conc), axis=1)))
        values[:, start:stop] = conc.T
    return invalid


def _estimate_arrival(times: FloatArray, values: npt.NDArray[np.float32]) -> float:
    """Bolus arrival: the frame before the mean curve first reaches 10% of its peak."""
    mean = np.nanmean(np.asarray(values, dtype=np.float64), axis=1)
    peak = float(np.nanmax(mean))
    if not np.isfinite(peak) or peak <= 0:
        return float(times[0])
    first = int(np.argmax(mean >= 0.1 * peak))
    return float(times[max(first - 1, 0)])


@perfusion_app.command("fit")
@report_user_errors
def fit_command(
    dce: Annotated[
        Path,
        typer.Option(
            "--dce",
            help="4-D DCE-MRI NIfTI (time last), or a folder of DICOM files of one DCE series "
            "(frame times, flip angle and TR read from the headers).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Output directory for the maps.")],
    times: Annotated[
        Path | None,
        typer.Option(
            "--times",
            help="JSON with FrameTimes (s) or FrameInterval (s). Default: the sidecar "
            "<dce>.json beside the series.",
            show_default=False,
        ),
    ] = None,
    frame_interval: Annotated[
        float | None,
        typer.Option(
            "--frame-interval", help="Seconds between frames (first at 0).", show_default=False
        ),
    ] = None,
    aif: Annotated[
        str,
        typer.Option(
            "--aif",
            help="parker, weinmann, fritz-hansen, a CSV file (time_s, cp_mM: plasma) or a "
            "NIfTI mask of arterial voxels.",
        ),
    ] = "parker",
    model: Annotated[ModelChoice, typer.Option("--model", help="Kinetic model.")] = (
        ModelChoice.EXTENDED_TOFTS
    ),
    method: Annotated[MethodChoice, typer.Option("--method", help="Fitting method.")] = (
        MethodChoice.EXACT
    ),
    mask: Annotated[
        Path | None,
        typer.Option(
            "--mask", help="Voxels to fit (non-zero); default every voxel.", show_default=False
        ),
    ] = None,
    concentration: Annotated[
        bool, typer.Option("--concentration", help="The series already holds mM.")
    ] = False,
    t1: Annotated[
        Path | None, typer.Option("--t1", help="Pre-contrast T1 map.", show_default=False)
    ] = None,
    t1_unit: Annotated[T1Unit, typer.Option("--t1-unit", help="Unit of the --t1 map.")] = (
        T1Unit.MS
    ),
    t1_ms: Annotated[
        float | None,
        typer.Option(
            "--t1-ms", help="One pre-contrast T1 (ms) for every voxel.", show_default=False
        ),
    ] = None,
    flip_angle: Annotated[
        float | None, typer.Option("--flip-angle", help="Flip angle, degrees.", show_default=False)
    ] = None,
    tr_ms: Annotated[
        float | None, typer.Option("--tr-ms", help="Repetition time, ms.", show_default=False)
    ] = None,
    r1: Annotated[
        float | None,
        typer.Option("--r1", help="Relaxivity of the contrast agent, /mM/s.", show_default=False),
    ] = None,
    baseline_frames: Annotated[
        int | None,
        typer.Option(
            "--baseline-frames",
            min=1,
            help="Pre-contrast frames: the baseline is the mean of frames [--baseline-skip, N).",
            show_default=False,
        ),
    ] = None,
    baseline_skip: Annotated[
        int, typer.Option("--baseline-skip", min=0, help="Leading frames left out of the baseline.")
    ] = 0,
    aif_t1_ms: Annotated[
        float | None,
        typer.Option(
            "--aif-t1-ms",
            help="Blood T1 (ms) for an arterial-ROI AIF; default: the tissue T1 source.",
            show_default=False,
        ),
    ] = None,
    hct: Annotated[float, typer.Option("--hct", help="Haematocrit (blood → plasma).")] = (
        DEFAULT_HCT
    ),
    bolus_arrival: Annotated[
        float | None,
        typer.Option(
            "--bolus-arrival",
            help="Bolus arrival (s) of a population AIF; default: estimated from the mean curve.",
            show_default=False,
        ),
    ] = None,
    fit_delay: Annotated[
        bool, typer.Option("--fit-delay", help="Fit an arterial delay per voxel.")
    ] = False,
    delay_min: Annotated[float, typer.Option("--delay-min", help="Smallest delay, s.")] = -5.0,
    delay_max: Annotated[float, typer.Option("--delay-max", help="Largest delay, s.")] = 10.0,
    delay_step: Annotated[float, typer.Option("--delay-step", help="Delay grid step, s.")] = 0.5,
    roi: Annotated[
        Path | None,
        typer.Option("--roi", help="Label image: write roi_summary.csv.", show_default=False),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Threads (default: every core).", show_default=False),
    ] = None,
    dicom_out: Annotated[
        Path | None,
        typer.Option(
            "--dicom-out",
            help="Also write a DICOM Parametric Map per parameter here (DICOM --dce only).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Fit a kinetic model in every voxel and write parameter maps."""
    run = run_fit(
        FitRequest(
            dce=dce,
            out=out,
            times=times,
            frame_interval=frame_interval,
            aif=aif,
            model=model,
            method=method,
            mask=mask,
            concentration=concentration,
            t1=t1,
            t1_unit=t1_unit,
            t1_ms=t1_ms,
            flip_angle=flip_angle,
            tr_ms=tr_ms,
            r1=r1,
            baseline_frames=baseline_frames,
            baseline_skip=baseline_skip,
            aif_t1_ms=aif_t1_ms,
            hct=hct,
            bolus_arrival=bolus_arrival,
            fit_delay=fit_delay,
            delay_min=delay_min,
            delay_max=delay_max,
            delay_step=delay_step,
            roi=roi,
            workers=workers,
            dicom_out=dicom_out,
        ),
        warn=lambda text: err_console.print(f"[yellow]Warning:[/] {text}"),
    )
    for note in run.notes:
        err_console.print(f"[yellow]Note:[/] {note}")
    print_wrapped(console, f"{run.result.summary()}\nMaps written to {run.out}")


@dataclass(frozen=True, kw_only=True)
class FitRequest:
    """The inputs and options of one ``perfusion fit`` (one visit), as on the command line."""

    dce: Path
    out: Path
    times: Path | None = None
    frame_interval: float | None = None
    aif: str = "parker"
    model: ModelChoice = ModelChoice.EXTENDED_TOFTS
    method: MethodChoice = MethodChoice.EXACT
    mask: Path | None = None
    concentration: bool = False
    t1: Path | None = None
    t1_unit: T1Unit = T1Unit.MS
    t1_ms: float | None = None
    flip_angle: float | None = None
    tr_ms: float | None = None
    r1: float | None = None
    baseline_frames: int | None = None
    baseline_skip: int = 0
    aif_t1_ms: float | None = None
    hct: float = DEFAULT_HCT
    bolus_arrival: float | None = None
    fit_delay: bool = False
    delay_min: float = -5.0
    delay_max: float = 10.0
    delay_step: float = 0.5
    roi: Path | None = None
    workers: int | None = None
    dicom_out: Path | None = None


@dataclass(frozen=True)
class FitRun:
    """What :func:`run_fit` did: the fit, its notes and where the maps are."""

    result: FitResult
    notes: tuple[str, ...]
    out: Path


def run_fit(
    request: FitRequest,
    *,
    show_progress: bool = True,
    warn: Callable[[str], None] = lambda text: None,
) -> FitRun:
    """Run ``perfusion fit``: check every input, fit, and write the outputs atomically.

    Parameters
    ----------
    request
        The inputs and options (see ``pseudoprog perfusion fit --help``).
    show_progress
        Show progress bars on standard error.
    warn
        Receives warnings about the input (e.g. DICOM header values overridden).

    Raises
    ------
    InputValidationError
        Listing every problem of the inputs; nothing is written then.
    ParameterError
        For options that do not fit together.
    """
    dce = request.dce
    out = request.out
    times = request.times
    frame_interval = request.frame_interval
    aif = request.aif
    model = request.model
    method = request.method
    mask = request.mask
    concentration = request.concentration
    t1 = request.t1
    t1_unit = request.t1_unit
    t1_ms = request.t1_ms
    flip_angle = request.flip_angle
    tr_ms = request.tr_ms
    r1 = request.r1
    baseline_frames = request.baseline_frames
    baseline_skip = request.baseline_skip
    aif_t1_ms = request.aif_t1_ms
    hct = request.hct
    bolus_arrival = request.bolus_arrival
    fit_delay = request.fit_delay
    delay_min = request.delay_min
    delay_max = request.delay_max
    delay_step = request.delay_step
    roi = request.roi
    workers = request.workers
    dicom_out = request.dicom_out
    dicom = None
    if dce.is_dir():
        from pseudoprog.cli._dicom_dce import dicom_input

        if times is not None and frame_interval is not None:
            raise ParameterError("give either --times or --frame-interval, not both")
        dicom = dicom_input(
            dce,
            times=times,
            frame_interval=frame_interval,
            flip_angle=flip_angle,
            tr_ms=tr_ms,
            concentration=concentration,
        )
        flip_angle, tr_ms = dicom.flip_angle, dicom.tr_ms
        for warning in dicom.warnings:
            warn(warning)
    elif dicom_out is not None:
        raise ParameterError(
            "--dicom-out needs a DICOM series as --dce (a folder of DICOM files): the maps "
            "reference their source images"
        )
    _check_signal_options(concentration, t1, t1_ms, flip_angle, tr_ms, r1, baseline_frames)
    times_for = _frame_times(dce, times, frame_interval)
    problems: list[Problem] = []
    series: DceSeries | None = (
        dicom.series if dicom is not None else _collect(problems, lambda: open_dce(dce, times_for))
    )
    geometry = series.geometry if series is not None else None
    mask_data = _load_like(problems, mask, geometry, "mask")
    roi_data = _load_like(problems, roi, geometry, "ROI label image")
    t1_map = _load_like(problems, t1, geometry, "T1 map")
    population: PopulationAif | None = None
    aif_path: Path | None = None
    try:
        population = PopulationAif.parse(aif)
    except ParameterError:
        aif_path = Path(aif)
        if not aif_path.exists():
            problems.append(
                Problem(
                    aif,
                    "is neither a population AIF nor an existing file",
                    "parker, weinmann, fritz-hansen, a .csv or a .nii/.nii.gz mask",
                )
            )
    aif_mask = None
    if (
        aif_path is not None
        and aif_path.exists()
        and aif_path.name.lower().endswith((".nii", ".nii.gz"))
    ):
        aif_mask = _load_like(problems, aif_path, geometry, "arterial mask")
    if roi is not None and roi_data is not None:
        finite = roi_data[np.isfinite(roi_data)]
        if not np.any(np.rint(finite) != 0):
            problems.append(
                Problem(
                    str(roi),
                    "the ROI label image has no non-zero label",
                    "lesions outlined with labels 1, 2, …",
                )
            )
    if problems or series is None or geometry is None:
        raise InputValidationError(problems)

    baseline = None
    if not concentration:
        baseline = Baseline(stop=int(baseline_frames or 0), first=baseline_skip)
        baseline.frames(series.frames)  # checks the window against the series
    fit_mask = _mask_of(mask_data, geometry, mask)
    t1_values = _t1_values(t1_map, t1_unit, t1_ms, fit_mask, t1)
    cp = None
    if aif_path is not None and aif_mask is None:
        cp = dce_io.read_aif_csv(aif_path, series.times_s)

    with _progress(show=show_progress) as bar:
        task = bar.add_task("Reading", total=series.frames)
        data = series.read(fit_mask, progress=lambda n: bar.advance(task, n))
    with data:
        notes: list[str] = []
        if baseline is not None and t1_values is not None:
            invalid = _to_concentration(
                data,
                t10_s=t1_values,
                flip_angle=float(flip_angle or 0),
                tr_ms=float(tr_ms or 0),
                r1=float(r1 or 0),
                baseline=baseline,
            )
            if invalid:
                notes.append(
                    f"{invalid} voxels have samples the SPGR equation cannot explain (signal "
                    "beyond full relaxation or no baseline signal); they are flagged failed"
                )
        arrival = None
        if cp is None and aif_mask is not None:
            cp = _arterial_aif(
                series,
                aif_mask > 0,
                baseline,
                t1_map,
                t1_unit,
                t1_ms,
                aif_t1_ms,
                flip_angle,
                tr_ms,
                r1,
                hct,
                aif_path,
            )
        elif cp is None and population is not None:
            arrival = (
                bolus_arrival
                if bolus_arrival is not None
                else _estimate_arrival(series.times_s, data.values)
            )
            cp = population_aif(population, series.times_s, delay_s=arrival, hct=hct)
        if cp is None:  # pragma: no cover - every branch above sets it
            raise ParameterError("no arterial input function")

        with _progress(show=show_progress) as bar:
            task = bar.add_task("Fitting", total=data.values.shape[1])
            result = fit_model(
                Model.parse(model.value),
                series.times_s,
                data.values.T,
                cp,
                method=method.value,
                fit_delay=fit_delay,
                delay_range_s=(delay_min, delay_max),
                delay_step_s=delay_step,
                workers=workers,
                progress=lambda n: bar.advance(task, n),
            )
        settings = _settings(
            series,
            result,
            aif,
            population,
            arrival,
            hct,
            concentration,
            t1,
            t1_ms,
            t1_unit,
            flip_angle,
            tr_ms,
            r1,
            baseline,
            mask,
            fit_delay,
        )
        dicom_maps = None
        if dicom is not None:
            settings["dicom"] = dicom.settings()
            if dicom_out is not None:
                settings["dicom_out"] = str(dicom_out)
                dicom_maps = partial(_write_dicom_maps, dicom_out, dicom.dicom, result.model.value)
        _write_outputs(out, data, series, result, cp, roi_data, settings, notes, dicom_maps)
    return FitRun(result=result, notes=tuple(notes), out=out)


def _load_like(
    problems: list[Problem], path: Path | None, geometry: Geometry | None, role: str
) -> FloatArray | None:
    if path is None:
        return None
    loaded = _collect(problems, lambda: load_volume(path, like=geometry, role=role))
    return None if loaded is None else np.asarray(loaded[0])


def _mask_of(
    data: FloatArray | None, geometry: Geometry, path: Path | None
) -> npt.NDArray[np.bool_]:
    if data is None:
        return np.ones(geometry.shape, dtype=bool)
    mask: npt.NDArray[np.bool_] = np.isfinite(data) & (data != 0)
    if not np.any(mask):
        raise InputValidationError(
            [Problem(str(path), "the mask selects no voxel", "non-zero values where to fit")]
        )
    return mask


def _t1_values(
    t1_map: FloatArray | None,
    unit: T1Unit,
    t1_ms: float | None,
    mask: npt.NDArray[np.bool_],
    path: Path | None,
) -> FloatArray | None:
    if t1_map is not None:
        seconds = t1_map.reshape(-1, order="F")[np.flatnonzero(mask.reshape(-1, order="F"))]
        seconds = seconds / 1000.0 if unit is T1Unit.MS else seconds
        bad = ~np.isfinite(seconds) | (seconds <= 0)
        if np.any(bad):
            raise InputValidationError(
                [
                    Problem(
                        str(path),
                        f"T1 is missing, zero or negative in {int(bad.sum())} masked voxels",
                        "a positive T1 in every voxel of the mask",
                    )
                ]
            )
        return np.asarray(seconds, dtype=np.float64)
    if t1_ms is not None:
        if not (np.isfinite(t1_ms) and t1_ms > 0):
            raise ParameterError(f"--t1-ms={t1_ms} must be a positive T1 in ms")
        return np.array([t1_ms / 1000.0])
    return None


def _arterial_aif(
    series: DceSeries,
    artery: npt.NDArray[np.bool_],
    baseline: Baseline | None,
    t1_map: FloatArray | None,
    t1_unit: T1Unit,
    t1_ms: float | None,
    aif_t1_ms: float | None,
    flip_angle: float | None,
    tr_ms: float | None,
    r1: float | None,
    hct: float,
    path: Path | None,
) -> FloatArray:
    if not np.any(artery):
        raise InputValidationError(
            [Problem(str(path), "the arterial mask selects no voxel", "non-zero arterial voxels")]
        )
    with series.read(artery) as arterial:
        if baseline is not None:
            t10 = (
                np.array([aif_t1_ms / 1000.0])
                if aif_t1_ms is not None
                else _t1_values(t1_map, t1_unit, t1_ms, artery, path)
            )
            if t10 is None:  # pragma: no cover - guarded by the option checks
                raise ParameterError("no T1 for the arterial voxels; give --aif-t1-ms")
            _to_concentration(
                arterial,
                t10_s=t10,
                flip_angle=float(flip_angle or 0),
                tr_ms=float(tr_ms or 0),
                r1=float(r1 or 0),
                baseline=baseline,
            )
        return measured_aif(np.asarray(arterial.values, dtype=np.float64).T, hct=hct)


def _settings(
    series: DceSeries,
    result: FitResult,
    aif: str,
    population: PopulationAif | None,
    arrival: float | None,
    hct: float,
    concentration: bool,
    t1: Path | None,
    t1_ms: float | None,
    t1_unit: T1Unit,
    flip_angle: float | None,
    tr_ms: float | None,
    r1: float | None,
    baseline: Baseline | None,
    mask: Path | None,
    fit_delay: bool,
) -> dict[str, Any]:
    b = result.bounds
    return {
        "pseudoprog_version": pseudoprog.__version__ if hasattr(pseudoprog, "__version__") else "",
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "dce": str(series.path),
        "frames": series.frames,
        "frame_times_s": [round(float(t), 6) for t in series.times_s],
        "mask": None if mask is None else str(mask),
        "model": result.model.value,
        "method": result.method.value,
        "aif": population.value if population is not None else aif,
        "bolus_arrival_s": arrival,
        "hct": hct,
        "input": "concentration" if concentration else "signal",
        "t1_map": None if t1 is None else str(t1),
        "t1_map_unit": None if t1 is None else t1_unit.value,
        "t1_ms": t1_ms,
        "flip_angle_deg": flip_angle,
        "tr_ms": tr_ms,
        "r1_per_mM_s": r1,
        "baseline_frames": None if baseline is None else [baseline.first, baseline.stop],
        "fit_delay": fit_delay,
        "delays_searched_s": list(result.delays_searched_s),
        "bounds": {
            "kep_min_per_min": b.kep_min, "kep_max_per_min": b.kep_max,
            "ktrans_max_per_min": b.ktrans_max, "ve_max": b.ve_max, "vp_max": b.vp_max,
        },
        "units": {"ktrans": "/min", "kep": "/min", "ve": "fraction", "vp": "fraction",
                  "delay_s": "s", "rss": "mM^2", "r2": "1"},
    }  # fmt: skip


def _write_outputs(
    out: Path,
    data: VoxelData,
    series: DceSeries,
    result: FitResult,
    cp: FloatArray,
    roi_data: FloatArray | None,
    settings: dict[str, Any],
    notes: list[str],
    dicom_maps: Callable[[dict[str, npt.NDArray[np.float32]]], None] | None = None,
) -> None:
    geometry = series.geometry
    labels = None
    if roi_data is not None:
        labels = np.where(np.isfinite(roi_data), np.rint(roi_data), 0).astype(np.int64)
    parameters: dict[str, npt.NDArray[np.float32]] = {}
    with atomic_directory(out) as staging:
        # One volume at a time keeps memory at a few volumes whatever the image size.
        ok_volume = data.scatter(result.ok, fill=0).astype(bool)
        summaries = []
        for name, values in result.maps().items():
            volume: npt.NDArray[np.generic]
            if name in ("ok", "flags"):
                volume = data.scatter(values, fill=0).astype(np.uint8)
            else:
                volume = data.scatter(values)
                if labels is not None:
                    summaries.extend(roi_summaries({name: volume}, labels, ok=ok_volume))
                if dicom_maps is not None and name in result.model.parameters:
                    parameters[name] = volume
            write_maps(staging, {name: volume}, geometry)
            del volume
        text = result.summary() + "\n" + "".join(f"Note: {n}\n" for n in notes)
        (staging / "summary.txt").write_text(text, encoding="utf-8")
        dce_io.write_json(staging / "fit.json", settings)
        aif_lines = ["time_s,cp_mM"] + [
            f"{t:.6g},{c:.6g}" for t, c in zip(series.times_s, cp, strict=True)
        ]
        (staging / "aif.csv").write_text("\n".join(aif_lines) + "\n", encoding="utf-8")
        if labels is not None:
            dce_io.write_roi_summaries(staging / "roi_summary.csv", summaries)
        if dicom_maps is not None:
            # written last, before the NIfTI outputs are committed: a failure leaves neither
            dicom_maps(parameters)


def _write_dicom_maps(
    directory: Path, dicom: Any, model: str, maps: dict[str, npt.NDArray[np.float32]]
) -> None:
    """Write the Parametric Maps into ``directory`` (staged, then moved in)."""
    from pseudoprog.io.dicom_maps import write_parametric_maps

    version = getattr(pseudoprog, "__version__", "")
    with atomic_directory(directory) as staging:
        write_parametric_maps(staging, dicom, maps, model=model, software_version=version or "0")


def _resolve_map(path: Path, parameter: str) -> tuple[Path, Path | None]:
    """A map file, or in a ``fit`` output directory the parameter's map and ``ok.nii.gz``."""
    if path.is_dir():
        ok = path / "ok.nii.gz"
        return path / f"{parameter}.nii.gz", ok if ok.exists() else None
    return path, None


@perfusion_app.command("change")
@report_user_errors
def change_command(
    before: Annotated[Path, typer.Option("--before", help="Baseline map, or its fit directory.")],
    after: Annotated[Path, typer.Option("--after", help="Follow-up map, or its fit directory.")],
    roi: Annotated[Path, typer.Option("--roi", help="Lesion ROI (label image) on --before.")],
    lesion_id: Annotated[str, typer.Option("--lesion-id", help="Lesion of the evidence row.")],
    when: Annotated[
        datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="Follow-up date (YYYY-MM-DD).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Evidence CSV to create or append to.")],
    after_roi: Annotated[
        Path | None,
        typer.Option(
            "--after-roi", help="ROI on --after if it differs from --roi.", show_default=False
        ),
    ] = None,
    label: Annotated[
        int | None,
        typer.Option(
            "--label",
            help="Label of the lesion in the ROI; default every non-zero.",
            show_default=False,
        ),
    ] = None,
    parameter: Annotated[str, typer.Option("--parameter", help="Map to compare.")] = "vp",
    statistic: Annotated[
        StatisticChoice, typer.Option("--statistic", help="ROI statistic compared.")
    ] = StatisticChoice.MEDIAN,
    all_voxels: Annotated[
        bool, typer.Option("--all-voxels", help="Also use voxels whose fit is not ok.")
    ] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace an existing row for the lesion and date.")
    ] = False,
) -> None:
    """Percent change of an ROI parameter between two visits, as an evidence row."""
    problems: list[Problem] = []
    summaries = []
    for visit, source, roi_path in (("before", before, roi), ("after", after, after_roi or roi)):
        map_path, ok_path = _resolve_map(source, parameter)
        role = f"{parameter} map"
        loaded = _collect(problems, partial(load_volume, map_path, role=role))
        if loaded is None:
            continue
        values, geometry = loaded
        labels = _load_like(problems, roi_path, geometry, f"ROI of the {visit} visit")
        ok = (
            None
            if all_voxels or ok_path is None
            else _load_like(problems, ok_path, geometry, "ok map")
        )
        if labels is None:
            continue
        region = np.rint(np.nan_to_num(labels)).astype(np.int64)
        region = (region == label) if label is not None else (region != 0)
        if not np.any(region):
            problems.append(
                Problem(
                    str(roi_path),
                    f"the ROI of the {visit} visit selects no voxel"
                    + ("" if label is None else f" with label {label}"),
                    "the lesion outlined with a non-zero label",
                )
            )
            continue
        rows = roi_summaries(
            {parameter: values}, region.astype(np.int64), ok=None if ok is None else ok > 0
        )
        summaries.append(rows[0])
    if problems:
        raise InputValidationError(problems)
    first, second = summaries
    stat = RoiStatistic.parse(statistic.value)
    day = when.date()
    if parameter == "vp":
        evidence = vp_change_evidence(lesion_id, day, first, second, statistic=stat)
    else:
        from pseudoprog.domain import Evidence

        value = parameter_change(first, second, statistic=stat)
        evidence = Evidence(
            lesion_id=lesion_id.strip(), date=day, kind=f"dce_{parameter}_change_pct", value=value
        )
    note = (
        f"ROI {stat.value} {parameter}: {first.value(stat):.4g} ({before}) -> "
        f"{second.value(stat):.4g} ({after}); {first.used}/{second.used} voxels"
    )
    total = dce_io.write_evidence_rows(out, [evidence], notes=[note], replace=replace)
    kind = evidence.kind if evidence.kind != VP_CHANGE_KIND else VP_CHANGE_KIND
    print_wrapped(
        console,
        f"{lesion_id}: {parameter} {stat.value} {first.value(stat):.4g} -> "
        f"{second.value(stat):.4g} = {float(evidence.value):+.1f}% ({kind})\n"
        f"Evidence table {out}: {total} rows",
    )


@perfusion_app.command("batch")
@report_user_errors
def batch_command(
    manifest: Annotated[
        Path,
        typer.Option(
            "--manifest",
            help="Table of visits (CSV, Excel or Parquet): visit_id, patient_id, dce and the "
            "options of 'perfusion fit' as columns (aif, t1, t1_ms, mask, roi, flip_angle, ...).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Output folder: one folder per visit.")],
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Fit on a Dask cluster: 'local' or a running scheduler tcp://HOST:PORT "
            "(default: one visit after another here).",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, help="Workers of --scheduler local.", show_default=False
        ),
    ] = None,
) -> None:
    """Fit every visit of a manifest; visits finished earlier are skipped, failures listed."""
    from pseudoprog.scale.perfusion import EXIT_VISITS_FAILED, VisitStatus, run_batch

    result = run_batch(manifest, out, scheduler=scheduler, jobs=jobs, console=err_console)
    counts = ", ".join(f"{result.count(s)} {s.value}" for s in VisitStatus)
    print_wrapped(console, f"{len(result.outcomes)} visits: {counts}. Results in {out}")
    if result.failed:
        err_console.print(f"[red]{len(result.failed)} visits failed;[/] see {out / 'failures.csv'}")
        raise typer.Exit(EXIT_VISITS_FAILED)


def register(app: typer.Typer) -> None:
    """Add the ``perfusion`` command group to ``app``."""
    app.add_typer(perfusion_app, name="perfusion")
