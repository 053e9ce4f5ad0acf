"""``pseudoprog best-response``: best overall response of each patient from assessed responses.

The parameters come from the defaults, then ``--parameters FILE.toml``, then the options given
on the command line (each option overrides the file).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from pseudoprog.cli._common import OutputOpt, console, err_console, report_user_errors
from pseudoprog.criteria.best_response import BestResponse, BestResponseParameters
from pseudoprog.criteria.codes import OverallResponse
from pseudoprog.io.atomic import atomic_write_text
from pseudoprog.io.responses import load_responses, read_parameters

__all__ = ["CSV_COLUMNS", "OutputFormat", "register", "render_table"]


class OutputFormat(StrEnum):
    """Output formats of ``best-response``."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


#: Columns of the CSV output, one row per patient.
CSV_COLUMNS = (
    "patient_id",
    "best_overall_response",
    "date",
    "confirmed",
    "reasons",
    "warning_codes",
    "warnings",
)

_COLOURS = {
    OverallResponse.CR: "green",
    OverallResponse.PR: "green",
    OverallResponse.SD: "cyan",
    OverallResponse.NON_CR_NON_PD: "cyan",
    OverallResponse.PD: "red",
    OverallResponse.NE: "yellow",
}

Results = list[tuple[str, BestResponse]]


def _confirmed(value: bool | None) -> str:
    return "-" if value is None else "yes" if value else "no"


def render_table(results: Results, params: BestResponseParameters) -> Table:
    """A terminal table, one row per patient, readable at 80 columns."""
    if params.confirmation_required:
        title = (
            f"Best overall response, confirmed (≥ {params.confirmation_min_days} days; "
            f"SD from day {params.sd_min_days})"
        )
    else:
        title = f"Best overall response, unconfirmed (SD from day {params.sd_min_days})"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("Patient", overflow="fold")
    table.add_column("BOR", no_wrap=True)
    table.add_column("Date", no_wrap=True)
    table.add_column("Confirmed", no_wrap=True)
    table.add_column("Reason", overflow="fold", ratio=1)
    for patient, result in results:
        bor = result.best_overall_response
        shown = "-" if bor is None else f"[bold {_COLOURS[bor]}]{bor.value}[/]"
        note = result.basis
        if result.warnings:
            note += " [yellow](" + ", ".join(w.code for w in result.warnings) + ")[/]"
        table.add_row(
            patient,
            shown,
            "-" if result.date is None else result.date.isoformat(),
            _confirmed(result.confirmed),
            note,
        )
    return table


def _counts(results: Results) -> str:
    counts = Counter(
        "none" if r.best_overall_response is None else r.best_overall_response.value
        for _, r in results
    )
    order = [*(c.value for c in OverallResponse if c is not OverallResponse.ND), "none"]
    return "  ".join(f"{code} {counts[code]}" for code in order if counts[code])


def _document(results: Results, params: BestResponseParameters) -> dict[str, Any]:
    patients = []
    for patient, result in results:
        row = result.to_dict()
        del row["parameters"]
        patients.append({"patient_id": patient, **row})
    return {"parameters": params.to_dict(), "patients": patients}


def _csv(results: Results) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for patient, r in results:
        bor = r.best_overall_response
        writer.writerow(
            (
                patient,
                "" if bor is None else bor.value,
                "" if r.date is None else r.date.isoformat(),
                "" if r.confirmed is None else str(r.confirmed).lower(),
                " | ".join(x.message for x in r.reasons),
                ";".join(w.code for w in r.warnings),
                " | ".join(w.message for w in r.warnings),
            )
        )
    return buffer.getvalue()


def _parameters(file: Path | None, given: dict[str, bool | int | None]) -> BestResponseParameters:
    """Defaults, then the file, then the options given on the command line."""
    values = (BestResponseParameters() if file is None else read_parameters(file)).to_dict()
    values.update({k: v for k, v in given.items() if v is not None})
    return BestResponseParameters.from_mapping(values)


def _flag(name: str, text: str) -> Any:
    return typer.Option(f"--{name}/--no-{name}", help=text, show_default=False)


@report_user_errors
def best_response(
    responses: Annotated[
        Path,
        typer.Option(
            "--responses",
            help="Responses table: patient_id, date, response (CSV or .xlsx).",
            show_default=False,
        ),
    ],
    treatment_start: Annotated[
        Path,
        typer.Option(
            "--treatment-start",
            help="Treatment-start table: patient_id, treatment_date [, progression_date].",
            show_default=False,
        ),
    ],
    parameters: Annotated[
        Path | None,
        typer.Option(
            "--parameters",
            help="TOML file of parameters (the options below override it).",
            show_default=False,
        ),
    ] = None,
    confirmation_required: Annotated[
        bool | None, _flag("confirmation-required", "CR and PR need a confirming assessment.")
    ] = None,
    confirmation_min_days: Annotated[
        int | None,
        typer.Option(
            "--confirmation-min-days",
            min=0,
            help="The confirmation comes at least this many days later (default 28).",
            show_default=False,
        ),
    ] = None,
    sd_min_days: Annotated[
        int | None,
        typer.Option(
            "--sd-min-days",
            min=0,
            help="SD counts from this many days after the treatment start (default 42).",
            show_default=False,
        ),
    ] = None,
    max_ne_between: Annotated[
        int | None,
        typer.Option(
            "--max-ne-between",
            min=0,
            help="NE allowed between a response and its confirmation (default 1).",
            show_default=False,
        ),
    ] = None,
    accept_sd_between: Annotated[
        bool | None,
        _flag("accept-sd-between", "One SD may come between a PR and its confirmation."),
    ] = None,
    missing_as_ne: Annotated[
        bool | None, _flag("missing-as-ne", "A patient with no assessment gets NE, not none.")
    ] = None,
    nd_as_ne: Annotated[
        bool | None, _flag("nd-as-ne", "ND between counts as NE (default yes).")
    ] = None,
    disease_after_cr_as_pd: Annotated[
        bool | None,
        _flag(
            "disease-after-cr-as-pd",
            "SD or PR after a CR is PD (RECIST 1.1 Table 3) (default yes).",
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", case_sensitive=False, help="Output format.")
    ] = OutputFormat.TABLE,
    output: OutputOpt = None,
) -> None:
    """Best overall response of each patient (RECIST 1.1), confirmed or not, with the reasons."""
    params = _parameters(
        parameters,
        {
            "confirmation_required": confirmation_required,
            "confirmation_min_days": confirmation_min_days,
            "sd_min_days": sd_min_days,
            "max_ne_between": max_ne_between,
            "accept_sd_between": accept_sd_between,
            "missing_as_ne": missing_as_ne,
            "nd_as_ne": nd_as_ne,
            "disease_after_cr_as_pd": disease_after_cr_as_pd,
        },
    )
    data = load_responses(responses=responses, treatment_start=treatment_start)
    for notice in data.notices:
        err_console.print(f"[yellow]Note:[/] {notice}")
    results = [(p.patient_id, p.best_response(params)) for p in data.patients]

    if output_format is OutputFormat.JSON:
        text = json.dumps(_document(results, params), indent=2, ensure_ascii=False) + "\n"
    elif output_format is OutputFormat.CSV:
        text = _csv(results)
    else:
        footer = f"{len(results)} patients: {_counts(results)}"
        if output is None:
            console.print(render_table(results, params))
            console.print(footer)
            return
        buffer = io.StringIO()
        Console(file=buffer, width=100, no_color=True).print(render_table(results, params))
        text = buffer.getvalue() + footer + "\n"
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        atomic_write_text(output, text)
        err_console.print(f"Wrote {len(results)} patients to {output}")


def register(app: typer.Typer) -> None:
    """Add the ``best-response`` command to ``app``."""
    app.command("best-response")(best_response)
