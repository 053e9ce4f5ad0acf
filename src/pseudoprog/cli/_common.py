"""Shared pieces of the command-line interface: consoles, exit codes, error reporting."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from pseudoprog.criteria.amini2016 import Amini2016Parameters
from pseudoprog.domain import ResponseCategory, Sequence
from pseudoprog.errors import InputValidationError, ParameterError, PseudoprogError
from pseudoprog.io.cohort import Cohort, load_cohort

__all__ = [
    "CATEGORY_COLOURS",
    "EXIT_INPUT",
    "MAX_PROBLEMS_SHOWN",
    "AsOfOpt",
    "CriteriaOpt",
    "DeclineWindowOpt",
    "ErrorMmOpt",
    "EventsOpt",
    "LesionsOpt",
    "MeasurementsOpt",
    "OutputOpt",
    "ParametersFileOpt",
    "PeakWindowOpt",
    "PrimarySequenceOpt",
    "SetOpt",
    "WorkbookOpt",
    "changed_options",
    "console",
    "criteria_parameters",
    "err_console",
    "load_input",
    "parameter_values",
    "report_user_errors",
]

#: Exit code for input that failed validation (same as a usage error).
EXIT_INPUT = 2
#: How many problems are printed one by one before the rest is summarised.
MAX_PROBLEMS_SHOWN = 200

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")


def print_problems(error: InputValidationError) -> None:
    """Print every problem (up to :data:`MAX_PROBLEMS_SHOWN`, then a summary) to stderr."""
    problems = error.problems
    noun = "problem" if len(problems) == 1 else "problems"
    err_console.print(
        f"[bold red]Input rejected:[/] {len(problems)} {noun} found; nothing was computed "
        "and no output was written."
    )
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        err_console.print(f"  - {escape(str(problem))}")
    rest = problems[MAX_PROBLEMS_SHOWN:]
    if rest:
        kinds = Counter((p.source, p.column or "-", p.message) for p in rest)
        err_console.print(f"  ... and {len(rest)} more:")
        for (source, column, message), count in kinds.most_common():
            err_console.print(f"    {count} x {escape(source)}, column {column}: {escape(message)}")


def report_user_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn pseudoprog errors into a clear message and exit code 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except InputValidationError as exc:
            print_problems(exc)
            raise typer.Exit(EXIT_INPUT) from None
        except (ParameterError, PseudoprogError) as exc:
            err_console.print(f"[bold red]Error:[/] {escape(str(exc))}")
            raise typer.Exit(EXIT_INPUT) from None

    return wrapper


# ---- the input tables, shared by every command that reads a cohort ----------------------

LesionsOpt = Annotated[
    Path | None, typer.Option("--lesions", help="Lesions table (CSV or .xlsx).", show_default=False)
]
MeasurementsOpt = Annotated[
    Path | None, typer.Option("--measurements", help="Measurements table.", show_default=False)
]
EventsOpt = Annotated[
    Path | None, typer.Option("--events", help="Events table (optional).", show_default=False)
]
WorkbookOpt = Annotated[
    Path | None,
    typer.Option(
        "--workbook",
        help="Excel workbook with sheets lesions, measurements and (optionally) events.",
        show_default=False,
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write here (atomically) instead of the terminal."),
]
AsOfOpt = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        help="See only studies and events up to this date (YYYY-MM-DD).",
        show_default=False,
    ),
]


def load_input(
    *,
    lesions: Path | None,
    measurements: Path | None,
    events: Path | None,
    workbook: Path | None,
    require_measurements: bool = True,
) -> Cohort:
    """Load and validate the input tables, printing any notices to stderr."""
    cohort = load_cohort(
        lesions=lesions,
        measurements=measurements,
        events=events,
        workbook=workbook,
        require_measurements=require_measurements,
    )
    for notice in cohort.notices:
        err_console.print(f"[yellow]Note:[/] {notice}")
    return cohort


# ---- the criteria parameters, shared by every command that classifies ---------------------

ErrorMmOpt = Annotated[float, typer.Option("--error-mm", help="Measurement error e, in mm.")]
PrimarySequenceOpt = Annotated[
    Sequence,
    typer.Option(
        "--primary-sequence", case_sensitive=False, help="Sequence that decides the response."
    ),
]
DeclineWindowOpt = Annotated[
    int,
    typer.Option("--decline-window-days", help="A decline of e must come within this many days."),
]
PeakWindowOpt = Annotated[
    float,
    typer.Option("--opp-peak-window-weeks", help="Latest peak (weeks) still read as OPP."),
]


def changed_options(
    *,
    error_mm: float,
    primary_sequence: Sequence,
    decline_window_days: int,
    opp_peak_window_weeks: float,
) -> dict[str, object]:
    """The Amini 2016 options given on the command line with a value other than the default."""
    options = {
        "error_mm": error_mm,
        "primary_sequence": primary_sequence,
        "decline_window_days": decline_window_days,
        "opp_peak_window_weeks": opp_peak_window_weeks,
    }
    defaults = Amini2016Parameters()
    return {k: v for k, v in options.items() if v != getattr(defaults, k)}


def criteria_parameters(
    *,
    error_mm: float,
    primary_sequence: Sequence,
    decline_window_days: int,
    opp_peak_window_weeks: float,
    parameters_file: Path | None = None,
    assignments: list[str] | None = None,
) -> Amini2016Parameters:
    """The Amini 2016 parameters: a TOML file and ``--set`` values, then the dedicated options.

    A dedicated option (``--error-mm`` ...) left at its default does not override the file.
    """
    from pseudoprog.criteria.registry import get

    changed = changed_options(
        error_mm=error_mm,
        primary_sequence=primary_sequence,
        decline_window_days=decline_window_days,
        opp_peak_window_weeks=opp_peak_window_weeks,
    )
    values = parameter_values(parameters_file, assignments)
    params: Amini2016Parameters = get("amini2016").make_parameters({**values, **changed})
    return params


#: Colours of the response categories in terminal output.
CATEGORY_COLOURS = {
    ResponseCategory.PR: "green",
    ResponseCategory.SD: "cyan",
    ResponseCategory.PD: "red",
    ResponseCategory.OPP: "magenta",
    ResponseCategory.INDETERMINATE: "yellow",
    ResponseCategory.SUSPECTED_PROGRESSION: "dark_orange",
    ResponseCategory.TREATMENT_EFFECT: "magenta",
}


# ---- choosing a criteria set and its parameters ------------------------------------------

CriteriaOpt = Annotated[
    str | None,
    typer.Option(
        "--criteria",
        help="Criteria set (see 'pseudoprog criteria list'). Default: by lesion site "
        "(spine: amini2016).",
        show_default=False,
    ),
]
ParametersFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--parameters",
        help="TOML file of criteria parameters, one 'name = value' per line.",
        show_default=False,
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="A criteria parameter NAME=VALUE (repeatable); overrides --parameters.",
        show_default=False,
    ),
]


def parameter_values(
    parameters_file: Path | None, assignments: list[str] | None
) -> dict[str, object]:
    """Criteria parameter values from a TOML file, then ``--set NAME=VALUE`` options."""
    from pseudoprog.io.parameters import parse_assignment, read_parameters_file

    values: dict[str, object] = {}
    if parameters_file is not None:
        values.update(read_parameters_file(parameters_file))
    for text in assignments or ():
        name, value = parse_assignment(text)
        values[name] = value
    return values
