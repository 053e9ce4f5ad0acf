"""``pseudoprog perfusion batch``: one DCE-MRI fit per visit of a cohort, on Dask workers.

A manifest table lists the visits, one row each: ``visit_id``, ``patient_id``, ``dce`` (a
4-D NIfTI or a folder of DICOM files) and, optionally, the options of ``perfusion fit`` as
columns of the same names (:data:`OPTION_COLUMNS`). The whole manifest is checked first
(every row, every column, files that must exist), with problems naming the row, the column
and the fix; nothing is fitted before it is valid.

Each visit is fitted by the function ``perfusion fit`` runs
(:func:`pseudoprog.cli.perfusion.run_fit`) into ``OUT/<visit_id>/`` (maps, ``fit.json``,
``aif.csv``, ``summary.txt`` and ``roi_summary.csv``; the ROI is the ``roi`` label image or,
without one, the mask), written atomically. A completion marker, :data:`MARKER`, is written
last; a re-run skips the visits whose marker records the same inputs and options, so an
interrupted batch resumes where it stopped. A visit that fails is recorded with its error and
the others go on; ``OUT/visits.csv`` lists every visit's status and ``OUT/failures.csv`` the
failed ones with the error, and ``OUT/roi_summary.csv`` gathers the ROI summaries of every
fitted visit.

Without ``--scheduler`` the visits are fitted one after another in this process (each fit
uses every core); with one, each visit is a task on a worker (one thread per fit), and the
files named in the manifest must be on storage every worker can read at the same path.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time
from collections.abc import Callable, Iterator
from collections.abc import Sequence as Seq
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from pseudoprog.errors import InputValidationError, ParameterError, Problem, PseudoprogError
from pseudoprog.io.atomic import atomic_write_bytes, atomic_write_text
from pseudoprog.io.tabular import ProblemLog, RawTable, read_table

if TYPE_CHECKING:
    from rich.console import Console

    from pseudoprog.cli.perfusion import FitRequest

__all__ = [
    "MARKER",
    "OPTION_COLUMNS",
    "BatchResult",
    "Visit",
    "VisitOutcome",
    "VisitStatus",
    "fit_visit",
    "read_manifest",
    "run_batch",
]

#: The completion marker of a visit, written last into its folder.
MARKER = "_batch_visit.json"
#: Exit code of a batch in which some visit failed (the others were fitted).
EXIT_VISITS_FAILED = 3

_PATH_COLUMNS = ("dce", "t1", "mask", "roi", "times")
_NUMBER_COLUMNS: dict[str, dict[str, Any]] = {
    "frame_interval": {"unit": "s", "minimum": 0, "strict_minimum": True},
    "t1_ms": {"unit": "ms", "minimum": 0, "strict_minimum": True},
    "flip_angle": {"unit": "degrees", "minimum": 0, "strict_minimum": True, "maximum": 180},
    "tr_ms": {"unit": "ms", "minimum": 0, "strict_minimum": True},
    "r1": {"unit": "/mM/s", "minimum": 0, "strict_minimum": True},
    "baseline_frames": {"minimum": 1, "integer": True},
    "baseline_skip": {"minimum": 0, "integer": True},
    "aif_t1_ms": {"unit": "ms", "minimum": 0, "strict_minimum": True},
    "hct": {"minimum": 0, "maximum": 1, "strict_minimum": False},
    "bolus_arrival": {"unit": "s"},
}
_BOOL_COLUMNS = ("concentration", "fit_delay")
_CHOICE_COLUMNS = ("model", "method", "t1_unit")
#: Optional manifest columns: the options of ``perfusion fit`` of the same names.
OPTION_COLUMNS = (
    "aif",
    *(c for c in _PATH_COLUMNS if c != "dce"),
    *_NUMBER_COLUMNS,
    *_BOOL_COLUMNS,
    *_CHOICE_COLUMNS,
)
_REQUIRED = ("visit_id", "patient_id", "dce")
_VISIT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class VisitStatus(StrEnum):
    """What happened to a visit in a batch."""

    FITTED = "fitted"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Visit:
    """One row of the manifest: the visit, its patient, its row and the fit to run."""

    visit_id: str
    patient_id: str
    row: int
    request: FitRequest

    @property
    def fingerprint(self) -> str:
        """A digest of the inputs and options; a finished visit is skipped only when equal."""
        values = {f.name: getattr(self.request, f.name) for f in fields(self.request)}
        values.pop("out")
        values.pop("workers")
        text = orjson.dumps({k: None if v is None else str(v) for k, v in values.items()})
        return hashlib.sha256(text).hexdigest()


@dataclass(frozen=True, slots=True)
class VisitOutcome:
    """The result of one visit: its status, the time taken and a one-line message."""

    visit_id: str
    patient_id: str
    status: VisitStatus
    seconds: float
    message: str


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Every visit's outcome, in manifest order."""

    outcomes: tuple[VisitOutcome, ...]

    def count(self, status: VisitStatus) -> int:
        return sum(1 for o in self.outcomes if o.status is status)

    @property
    def failed(self) -> tuple[VisitOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status is VisitStatus.FAILED)


def _resolve(cell: str, base: Path) -> Path:
    path = Path(cell).expanduser()
    return path if path.is_absolute() else base / path


def read_manifest(path: Path, out: Path, *, workers_per_fit: int | None) -> tuple[Visit, ...]:
    """Read and check the manifest; every visit's fit request, writing into ``out/<visit>``.

    Relative paths in the manifest are read from the manifest's folder.

    Raises
    ------
    InputValidationError
        Listing every problem of every row (missing or duplicate visit ids, files that do
        not exist, values that are not numbers, options that do not fit together).
    """
    from pseudoprog.cli.perfusion import (
        FitRequest,
        MethodChoice,
        ModelChoice,
        T1Unit,
        _check_signal_options,
    )
    from pseudoprog.perfusion import PopulationAif

    log = ProblemLog()
    table = read_table(path, log, table="manifest", columns=_REQUIRED)
    if table is None or not table.require(_REQUIRED, log):
        log.raise_if_any()
        raise InputValidationError(log.problems)  # pragma: no cover - a problem was logged
    known = {*_REQUIRED, *OPTION_COLUMNS}
    unknown = [c for c in table.columns if c not in known]
    if unknown:
        log.add(
            Problem(
                table.label,
                f"unknown column(s) {', '.join(unknown)}",
                expected=f"visit_id, patient_id, dce and options of 'perfusion fit' "
                f"({', '.join(OPTION_COLUMNS)}); rename or remove the column",
                column=unknown[0],
            )
        )
    base = path.parent
    visit_ids = table.parse_text("visit_id", log, required=True)
    patients = table.parse_text("patient_id", log, required=True)
    _check_visit_ids(table, visit_ids, log)
    cells = {c: table.parse_text(c, log, required=c == "dce") for c in (*_PATH_COLUMNS, "aif")}
    numbers = {
        c: table.parse_numbers(c, log, required=False, **k) for c, k in _NUMBER_COLUMNS.items()
    }
    flags = {c: table.parse_bools(c, log) for c in _BOOL_COLUMNS}
    choices = {
        "model": table.parse_enum("model", ModelChoice, log, required=False),
        "method": table.parse_enum("method", MethodChoice, log, required=False),
        "t1_unit": table.parse_enum("t1_unit", T1Unit, log, required=False),
    }
    visits = []
    for i in range(len(table)):
        row = i + 2
        paths: dict[str, Path | None] = {}
        for column in _PATH_COLUMNS:
            cell = str(cells[column][i])
            paths[column] = _resolve(cell, base) if cell else None
            target = paths[column]
            if target is not None and not target.exists():
                log.add(
                    Problem(
                        table.label,
                        f"{column} file not found ({target})",
                        expected=f"an existing {_WHAT[column]}; paths are read from the "
                        f"manifest's folder {base} when relative",
                        row=row,
                        column=column,
                        value=cell,
                    )
                )
        aif = str(cells["aif"][i]) or "parker"
        try:
            PopulationAif.parse(aif)
        except ParameterError:
            aif_path = _resolve(aif, base)
            if not aif_path.exists():
                log.add(
                    Problem(
                        table.label,
                        f"aif is neither a population AIF nor an existing file ({aif_path})",
                        expected="parker, weinmann, fritz-hansen, a CSV file (time_s, cp_mM) "
                        "or a NIfTI mask of arterial voxels",
                        row=row,
                        column="aif",
                        value=aif,
                    )
                )
            aif = str(aif_path)

        def number(column: str, i: int = i) -> float | None:
            value = float(numbers[column][i])
            return None if np.isnan(value) else value

        def whole(column: str, i: int = i) -> int | None:
            value = number(column, i)
            return None if value is None else int(value)

        concentration = bool(flags["concentration"][i])
        request = FitRequest(
            dce=paths["dce"] or base,
            out=Path(),
            times=paths["times"],
            frame_interval=number("frame_interval"),
            aif=aif,
            model=choices["model"][i] or ModelChoice.EXTENDED_TOFTS,
            method=choices["method"][i] or MethodChoice.EXACT,
            mask=paths["mask"],
            concentration=concentration,
            t1=paths["t1"],
            t1_unit=choices["t1_unit"][i] or T1Unit.MS,
            t1_ms=number("t1_ms"),
            flip_angle=number("flip_angle"),
            tr_ms=number("tr_ms"),
            r1=number("r1"),
            baseline_frames=whole("baseline_frames"),
            baseline_skip=whole("baseline_skip") or 0,
            aif_t1_ms=number("aif_t1_ms"),
            hct=FitRequest.hct if (hct := number("hct")) is None else hct,
            bolus_arrival=number("bolus_arrival"),
            fit_delay=bool(flags["fit_delay"][i]),
            roi=paths["roi"] or paths["mask"],
            workers=workers_per_fit,
        )
        dicom = request.dce.is_dir()
        if request.times is not None and request.frame_interval is not None:
            log.add(
                Problem(
                    table.label,
                    "both times and frame_interval are given",
                    expected="one of them (or neither: the sidecar <dce>.json beside the series)",
                    row=row,
                    column="frame_interval",
                    value=str(request.frame_interval),
                )
            )
        if not dicom:  # a DICOM series brings its flip angle and TR from its headers
            try:
                _check_signal_options(
                    request.concentration,
                    request.t1,
                    request.t1_ms,
                    request.flip_angle,
                    request.tr_ms,
                    request.r1,
                    request.baseline_frames,
                )
            except ParameterError as exc:
                message = re.sub(
                    r"--([a-z0-9-]+)", lambda m: m.group(1).replace("-", "_"), str(exc)
                )
                log.add(
                    Problem(
                        table.label,
                        f"the options of this visit do not fit together: {message}",
                        expected="the columns 'perfusion fit' needs for this input: "
                        "concentration=yes, or t1 or t1_ms with flip_angle, tr_ms, r1 and "
                        "baseline_frames",
                        row=row,
                        column="concentration",
                        value="yes" if request.concentration else "no",
                    )
                )
        visit_id = str(visit_ids[i])
        visits.append(Visit(visit_id, str(patients[i]), row, replace(request, out=out / visit_id)))
    log.raise_if_any()
    return tuple(visits)


_WHAT = {
    "dce": "4-D NIfTI file or folder of DICOM files",
    "t1": "T1 map (NIfTI)",
    "mask": "mask (NIfTI)",
    "roi": "ROI label image (NIfTI)",
    "times": "JSON file of frame times",
}


def _check_visit_ids(table: RawTable, ids: Any, log: ProblemLog) -> None:
    seen: dict[str, int] = {}
    for i, value in enumerate(ids.tolist()):
        text = str(value)
        if text and not _VISIT_ID.match(text):
            log.add(
                Problem(
                    table.label,
                    "visit_id is not usable as a folder name",
                    expected="letters, digits, '.', '_' and '-', starting with a letter or "
                    "digit (at most 128 characters)",
                    row=i + 2,
                    column="visit_id",
                    value=text,
                )
            )
        elif text in seen:
            log.add(
                Problem(
                    table.label,
                    f"duplicate visit_id (first on row {seen[text]})",
                    expected="one row per visit with a unique visit_id",
                    row=i + 2,
                    column="visit_id",
                    value=text,
                )
            )
        elif text:
            seen[text] = i + 2


def _marker(visit: Visit) -> Path:
    return visit.request.out / MARKER


def is_finished(visit: Visit) -> bool:
    """Whether the visit's marker records a finished fit of the same inputs and options."""
    try:
        marker = orjson.loads(_marker(visit).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return False
    return isinstance(marker, dict) and marker.get("fingerprint") == visit.fingerprint


def fit_visit(visit: Visit) -> VisitOutcome:
    """Fit one visit (on a worker or here); a failure is returned, never raised.

    The maps are written atomically by :func:`pseudoprog.cli.perfusion.run_fit`; the
    completion marker is written last.
    """
    from pseudoprog.cli.perfusion import run_fit

    start = time.perf_counter()
    try:
        run = run_fit(visit.request, show_progress=False)
        message = run.result.summary().splitlines()[0]
        notes = list(run.notes)
    except InputValidationError as exc:
        message = "; ".join(str(p) for p in exc.problems)
        return _failed(visit, start, message)
    except PseudoprogError as exc:
        return _failed(visit, start, str(exc))
    except Exception as exc:  # any other failure of one visit must not stop the others
        return _failed(visit, start, f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - start
    document = {
        "visit_id": visit.visit_id,
        "patient_id": visit.patient_id,
        "fingerprint": visit.fingerprint,
        "seconds": round(seconds, 3),
        "summary": message,
        "notes": notes,
    }
    atomic_write_bytes(_marker(visit), orjson.dumps(document, option=orjson.OPT_INDENT_2))
    return VisitOutcome(visit.visit_id, visit.patient_id, VisitStatus.FITTED, seconds, message)


def _failed(visit: Visit, start: float, message: str) -> VisitOutcome:
    seconds = time.perf_counter() - start
    return VisitOutcome(visit.visit_id, visit.patient_id, VisitStatus.FAILED, seconds, message)


def _outcomes_here(visits: Seq[Visit]) -> Iterator[VisitOutcome]:
    for visit in visits:
        yield fit_visit(visit)


def _outcomes_on_cluster(
    visits: Seq[Visit], scheduler: str, jobs: int | None
) -> Iterator[VisitOutcome]:
    from distributed import as_completed

    from pseudoprog.scale.cluster import SchedulerAddress, connect

    address = SchedulerAddress.parse(scheduler)
    if jobs is not None and not address.is_local:
        raise ParameterError(
            "--jobs sets the workers of --scheduler local; the workers of a running scheduler "
            "are the 'dask worker' processes started for it"
        )
    with connect(address, local_workers=jobs) as client:
        futures = [
            client.submit(
                fit_visit, visit, key=f"pseudoprog-visit-{visit.visit_id}-{i}", pure=False
            )
            for i, visit in enumerate(visits)
        ]
        try:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                outcome: VisitOutcome = future.result()
                yield outcome
        finally:
            for future in futures:
                future.cancel()  # type: ignore[no-untyped-call]


def run_batch(
    manifest: Path,
    out: Path,
    *,
    scheduler: str | None = None,
    jobs: int | None = None,
    console: Console | None = None,
) -> BatchResult:
    """Fit every visit of ``manifest`` into ``out`` (see the module documentation).

    Parameters
    ----------
    manifest
        The manifest table (CSV, Excel or Parquet).
    out
        The output folder: one folder per visit, ``visits.csv``, ``failures.csv`` and
        ``roi_summary.csv``.
    scheduler
        ``None`` to fit here, ``local`` or ``tcp://HOST:PORT`` to fit on a Dask cluster.
    jobs
        Workers of ``--scheduler local``.
    console
        Where the progress bar is drawn (none without it).

    Raises
    ------
    InputValidationError
        If the manifest has problems; nothing is fitted then.
    """
    on_cluster = scheduler is not None
    if jobs is not None and not on_cluster:
        raise ParameterError("--jobs sets the workers of --scheduler local: add --scheduler local")
    visits = read_manifest(manifest, out, workers_per_fit=1 if on_cluster else None)
    done = {v.visit_id for v in visits if is_finished(v)}
    todo = [v for v in visits if v.visit_id not in done]
    outcomes: dict[str, VisitOutcome] = {
        v.visit_id: VisitOutcome(
            v.visit_id, v.patient_id, VisitStatus.SKIPPED, 0.0, "finished earlier"
        )
        for v in visits
        if v.visit_id in done
    }
    source = (
        _outcomes_on_cluster(todo, scheduler, jobs)
        if scheduler is not None and todo
        else _outcomes_here(todo)
    )
    with _bar(console, total=len(visits), skipped=len(done)) as advance:
        for outcome in source:
            outcomes[outcome.visit_id] = outcome
            advance(outcome)
    result = BatchResult(tuple(outcomes[v.visit_id] for v in visits))
    _write_tables(out, visits, result)
    return result


class _Bar:
    """A progress bar of visits done (and failed), or nothing without a console."""

    def __init__(self, console: Console | None, total: int, skipped: int) -> None:
        self.progress = None
        self.failed = 0
        if console is not None:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("visits"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            self.task = self.progress.add_task("Fitting", total=total, completed=skipped)

    def __enter__(self) -> Callable[[VisitOutcome], None]:
        if self.progress is not None:
            self.progress.start()
        return self.advance

    def __exit__(self, *_: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def advance(self, outcome: VisitOutcome) -> None:
        if self.progress is None:
            return
        if outcome.status is VisitStatus.FAILED:
            self.failed += 1
            self.progress.console.print(
                f"[red]Failed:[/] visit {outcome.visit_id}: {outcome.message}",
                markup=True,
                highlight=False,
            )
        description = "Fitting" if not self.failed else f"Fitting ({self.failed} failed)"
        self.progress.update(self.task, advance=1, description=description)


def _bar(console: Console | None, *, total: int, skipped: int) -> _Bar:
    return _Bar(console, total, skipped)


def _write_tables(out: Path, visits: Seq[Visit], result: BatchResult) -> None:
    """``visits.csv``, ``failures.csv`` and the cohort's ``roi_summary.csv``, atomically."""
    by_id = {v.visit_id: v for v in visits}

    def table(header: Seq[str], rows: Seq[Seq[object]]) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return buffer.getvalue()

    atomic_write_text(
        out / "visits.csv",
        table(
            ("visit_id", "patient_id", "row", "status", "seconds", "folder", "message"),
            [
                (o.visit_id, o.patient_id, by_id[o.visit_id].row, o.status.value,
                 f"{o.seconds:.2f}", str(by_id[o.visit_id].request.out), o.message)
                for o in result.outcomes
            ],
        ),
    )  # fmt: skip
    atomic_write_text(
        out / "failures.csv",
        table(
            ("visit_id", "patient_id", "row", "error"),
            [(o.visit_id, o.patient_id, by_id[o.visit_id].row, o.message) for o in result.failed],
        ),
    )
    header: list[str] | None = None
    rows: list[list[str]] = []
    for outcome in result.outcomes:
        summary = by_id[outcome.visit_id].request.out / "roi_summary.csv"
        if outcome.status is VisitStatus.FAILED or not summary.exists():
            continue
        with summary.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            head = next(reader, None)
            if head is None:
                continue
            header = header or ["visit_id", "patient_id", *head]
            rows.extend([outcome.visit_id, outcome.patient_id, *r] for r in reader)
    if header is not None:
        atomic_write_text(out / "roi_summary.csv", table(header, rows))
