"""``pseudoprog study`` and ``pseudoprog accuracy``: cohort analyses and report."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from pseudoprog.cli._common import (
    DeclineWindowOpt,
    ErrorMmOpt,
    EventsOpt,
    LesionsOpt,
    MeasurementsOpt,
    PeakWindowOpt,
    PrimarySequenceOpt,
    WorkbookOpt,
    console,
    criteria_parameters,
    err_console,
    load_input,
    report_user_errors,
)
from pseudoprog.cli._tables import print_wrapped
from pseudoprog.domain import Sequence, normalize_token
from pseudoprog.errors import InputValidationError, Problem
from pseudoprog.io.atomic import atomic_write_bytes, atomic_write_text
from pseudoprog.io.cohort import Cohort
from pseudoprog.io.tabular import ProblemLog, RawTable, read_table
from pseudoprog.stats.accuracy import DiagnosticAccuracy, Direction, diagnostic_accuracy
from pseudoprog.stats.study import DEFAULT_TITLE, StudyInput, StudyResult, run_study

__all__ = ["load_accuracy_table", "register"]

_TRUE = {"1", "TRUE", "T", "YES", "Y", "POSITIVE", "POS"}
_FALSE = {"0", "FALSE", "F", "NO", "N", "NEGATIVE", "NEG"}


class SyntheticInput(StrEnum):
    """Input tables that can be marked synthetic."""

    LESIONS = "lesions"
    MEASUREMENTS = "measurements"
    EVENTS = "events"


class AccuracyFormat(StrEnum):
    """Output formats of ``accuracy``."""

    TEXT = "text"
    JSON = "json"


def _check_responses(cohort: Cohort) -> None:
    """Without measurements every lesion needs a response: report each row that has none."""
    if cohort.has_measurements:
        return
    source = cohort.sources[0] if cohort.sources else "lesions"
    problems = [
        Problem(
            source,
            "no response for this lesion, and no measurements to classify it",
            expected="a response (PR, SD, PD, OPP) in the response column, or --measurements "
            "so that the classifier assigns responses",
            row=i + 2,
            column="response",
            value="",
        )
        for i, lesion in enumerate(cohort.lesions)
        if lesion.response is None
    ]
    if problems:
        raise InputValidationError(problems)


def _events_given(cohort: Cohort, events: Path | None, workbook: Path | None) -> bool:
    if events is not None or cohort.events:
        return True
    return workbook is not None and any(s.startswith("events sheet of ") for s in cohort.sources)


@report_user_errors
def study(
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Directory for study.json, report.html and the figures."
        ),
    ],
    lesions: LesionsOpt = None,
    measurements: MeasurementsOpt = None,
    events: EventsOpt = None,
    workbook: WorkbookOpt = None,
    title: Annotated[str, typer.Option("--title", help="Title of the report.")] = DEFAULT_TITLE,
    synthetic: Annotated[
        list[SyntheticInput] | None,
        typer.Option(
            "--synthetic",
            case_sensitive=False,
            help="Mark an input table as synthetic (repeat for several); the report then "
            "says which results rest on synthetic data.",
        ),
    ] = None,
    keep_excluded: Annotated[
        bool,
        typer.Option(
            "--keep-excluded",
            help="Keep lesions that fail an inclusion criterion in the analyses "
            "(they are still listed).",
        ),
    ] = False,
    error_mm: ErrorMmOpt = 2.0,
    primary_sequence: PrimarySequenceOpt = Sequence.T1,
    decline_window_days: DeclineWindowOpt = 92,
    opp_peak_window_weeks: PeakWindowOpt = 26.0,
    classification: Annotated[
        Path | None,
        typer.Option(
            "--classification",
            help="A results folder of 'classify --format parquet' (any size): the response, "
            "survival, cumulative-incidence and time-course analyses from per-part aggregates "
            "(with --lesions also the cohort description and the Cox models); writes "
            "study.json.",
            show_default=False,
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="With --classification: reduce the parts on a Dask cluster ('local' or "
            "tcp://HOST:PORT).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the analyses of Amini et al. 2016 on a cohort and write a report.

    With --measurements, responses come from the classifier; without, from the response
    column of the lesions table (a cohort copied from a paper).
    """
    if classification is not None or scheduler is not None:
        from pseudoprog.scale.study import study_command  # Dask only on a cluster

        study_command(
            classification,
            output,
            lesions=lesions,
            tables=(measurements, events, workbook),
            keep_excluded=keep_excluded,
            title=title,
            scheduler=scheduler,
            console=console,
            err_console=err_console,
        )
        return
    params = criteria_parameters(
        error_mm=error_mm,
        primary_sequence=primary_sequence,
        decline_window_days=decline_window_days,
        opp_peak_window_weeks=opp_peak_window_weeks,
    )
    cohort = load_input(
        lesions=lesions,
        measurements=measurements,
        events=events,
        workbook=workbook,
        require_measurements=False,
    )
    _check_responses(cohort)
    result = run_study(
        cohort.lesions,
        histories=cohort.histories if cohort.has_measurements else None,
        events=cohort.events,
        events_available=_events_given(cohort, events, workbook),
        params=params,
        apply_exclusions=not keep_excluded,
        synthetic_inputs={StudyInput(s.value) for s in synthetic or ()},
        title=title,
        sources=cohort.sources,
    )
    from pseudoprog.report.study import write_study

    files = write_study(result, output)
    _print_study(result)
    err_console.print(
        f"Wrote {files.json}, {len(files.figures)} figure(s) and the report:\n{files.report}"
    )


def _print_study(result: StudyResult) -> None:
    print_wrapped(console, result.summary())


def load_accuracy_table(
    path: Path,
    *,
    marker: str,
    outcome: str,
    positive: str | None = None,
) -> tuple[list[float], list[bool]]:
    """Read a marker and a binary outcome from a CSV or Excel table, checking every row.

    The outcome is positive for ``1/true/yes/positive`` (and negative for
    ``0/false/no/negative``), or, with ``positive``, for that value (the other rows must all
    share one other value).

    Raises
    ------
    InputValidationError
        Listing missing columns, empty or non-numeric markers and non-binary outcomes.
    """
    log = ProblemLog()
    marker_col = marker.strip().lower().replace(" ", "_")
    outcome_col = outcome.strip().lower().replace(" ", "_")
    table = read_table(path, log, table="accuracy", columns=(marker_col, outcome_col))
    log.raise_if_any()
    if table is None:  # read_table logs a problem whenever it returns None
        raise InputValidationError(log.problems)
    if not table.require((marker_col, outcome_col), log):
        log.raise_if_any()
    values = table.parse_numbers(marker_col, log, required=True)
    flags = _parse_outcome(table, outcome_col, positive, log)
    if not log.problems:
        n_pos = int(np.sum(flags))
        if n_pos == 0 or n_pos == len(flags):
            log.add(
                Problem(
                    table.label,
                    f"every row has the same outcome ({'positive' if n_pos else 'negative'})",
                    expected="both positive and negative rows",
                    column=outcome_col,
                )
            )
    log.raise_if_any()
    return [float(v) for v in values], [bool(f) for f in flags]


def _parse_outcome(
    table: RawTable, column: str, positive: str | None, log: ProblemLog
) -> np.ndarray[tuple[int], np.dtype[np.bool_]]:
    cells = table.parse_text(column, log, required=False)
    keys = np.array([normalize_token(str(c)) for c in cells], dtype=object)
    empty = keys == ""
    table.report(log, empty, column, "empty cell", "the outcome of every row")
    if positive is None:
        flags = np.array([k in _TRUE for k in keys], dtype=bool)
        bad = ~empty & ~flags & np.array([k not in _FALSE for k in keys], dtype=bool)
        table.report(
            log,
            bad,
            column,
            "outcome is not binary",
            "1/0, true/false, yes/no or positive/negative; or name the positive value with "
            "--positive",
        )
        return flags
    wanted = normalize_token(positive)
    flags = keys == wanted
    others = sorted(
        {str(c) for c, k, e in zip(cells, keys, empty, strict=True) if not e and k != wanted}
    )
    if not flags.any():
        log.add(
            Problem(
                table.label,
                f"no row has the positive value {positive!r}",
                expected=f"one of the values in the column ({', '.join(others[:10])})",
                column=column,
            )
        )
    if len(others) > 1:
        log.add(
            Problem(
                table.label,
                f"outcome has more than two values besides empty cells: {positive!r} and "
                f"{', '.join(repr(o) for o in others[:10])}",
                expected=f"{positive!r} and exactly one other value",
                column=column,
            )
        )
    return np.asarray(flags, dtype=bool)


@report_user_errors
def accuracy(
    table: Annotated[
        Path, typer.Option("--table", help="CSV or Excel table, one row per subject.")
    ],
    marker: Annotated[str, typer.Option("--marker", help="Column of the marker (numbers).")],
    outcome: Annotated[
        str, typer.Option("--outcome", help="Column of the reference outcome (binary).")
    ],
    positive: Annotated[
        str | None,
        typer.Option(
            "--positive",
            help="Value of the outcome column that is positive (default: 1/true/yes).",
            show_default=False,
        ),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            help="Test positive at or beyond this marker value (default: Youden threshold).",
            show_default=False,
        ),
    ] = None,
    direction: Annotated[
        Direction,
        typer.Option(
            "--direction",
            case_sensitive=False,
            help="Whether higher or lower marker values point to a positive outcome.",
        ),
    ] = Direction.HIGHER,
    output_format: Annotated[
        AccuracyFormat, typer.Option("--format", case_sensitive=False, help="Output format.")
    ] = AccuracyFormat.TEXT,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the result here (atomically).")
    ] = None,
    figure: Annotated[
        Path | None, typer.Option("--figure", help="Also write the ROC curve as a PNG file.")
    ] = None,
) -> None:
    """Diagnostic accuracy of a marker against a binary outcome.

    Sensitivity and specificity (Wilson and exact 95% CIs), Mann-Whitney U, ROC AUC with a
    DeLong 95% CI, and the Youden threshold.
    """
    values, flags = load_accuracy_table(table, marker=marker, outcome=outcome, positive=positive)
    result = diagnostic_accuracy(
        values,
        flags,
        threshold=threshold,
        direction=direction,
        marker_name=marker,
        outcome_name=outcome if positive is None else f"{outcome} = {positive}",
    )
    text = (
        json.dumps(result.to_dict(), indent=1, allow_nan=False) + "\n"
        if output_format is AccuracyFormat.JSON
        else result.summary() + "\n"
    )
    _write_accuracy(result, text, output, figure)


def _write_accuracy(
    result: DiagnosticAccuracy, text: str, output: Path | None, figure: Path | None
) -> None:
    png = None
    if figure is not None:
        from pseudoprog.report.figures import roc_figure

        png = roc_figure(result)
    if output is None:
        typer.echo(text, nl=False)
    else:
        atomic_write_text(output, text)
        err_console.print(f"Wrote {output}")
    if figure is not None and png is not None:
        atomic_write_bytes(figure, png)
        err_console.print(f"Wrote {figure}")


def register(app: typer.Typer) -> None:
    """Add the ``study`` and ``accuracy`` commands to ``app``."""
    app.command("study", help=_STUDY_HELP)(study)
    app.command("accuracy", help=_ACCURACY_HELP)(accuracy)


_STUDY_HELP = (
    "Run the analyses of Amini et al. 2016 on a cohort and write report.html, study.json and "
    "the figures into --output.\n\n"
    "With --measurements, responses come from the classifier and the time-to-event analyses "
    "run; without, responses come from the response column of the lesions table (a cohort "
    "copied from a paper)."
)
_ACCURACY_HELP = (
    "Diagnostic accuracy of a marker against a binary outcome: sensitivity and specificity "
    "(Wilson and exact 95% CIs), Mann-Whitney U, ROC AUC with a DeLong 95% CI, and the Youden "
    "threshold."
)
