"""``classify --criteria NAME --compare OTHER``: two patient-level criteria on the same patients.

The input is read once and checked against both criteria sets' baselines; each patient is
assessed by both. The table shows both responses per assessment and both best overall
responses; the JSON document adds ``"compare": {"criteria", "parameters"}`` and, per patient,
``"compare"`` (the other criteria's full result) and ``"comparison"`` (the pairs by date); the
CSV adds ``compare_criteria``, ``compare_response``, ``compare_best_overall_response`` and
``agree``.

The compared set runs with its default parameters except the timepoint window and the
best-response rules, which are taken from ``--criteria``'s parameters so that both read the
same assessments by the same confirmation rules.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from rich.markup import escape

from pseudoprog.cli._common import console
from pseudoprog.cli._tables import ColumnSpec, FittedTable, fit_table
from pseudoprog.cli.patient_level import (
    FILE_WIDTH,
    TableFiles,
    _code,
    _emit,
    _guard_note,
    _load_and_assess,
    _num,
    _plain,
    assess_patients,
    baseline_check,
    patients_csv,
    patients_document,
    response_counts,
)
from pseudoprog.criteria.comparison import compare as pair_up
from pseudoprog.criteria.patient_result import PatientAssessment
from pseudoprog.patient import PatientRecord, TrackedLesion

__all__ = ["SHARED_PARAMETERS", "classify_compared", "compared_parameters", "comparison_table"]

#: Parameters the compared criteria take from ``--criteria``'s, when both have them.
SHARED_PARAMETERS = ("timepoint_window_days", "best_response")


def compared_parameters(entry: Any, params: Any) -> Any:
    """The compared set's default parameters, with the window and best-response rules of
    ``params``."""
    defaults = entry.default_parameters()
    names = {f.name for f in dataclasses.fields(defaults)}
    shared = {
        name: getattr(params, name)
        for name in SHARED_PARAMETERS
        if name in names and hasattr(params, name)
    }
    return dataclasses.replace(defaults, **shared)


def _for_compare(check: Any, name: str) -> Any:
    """A baseline check whose fixes say they are needed for ``--compare``."""
    if check is None:
        return None

    def run(record: PatientRecord) -> Iterable[tuple[TrackedLesion | None, str, str]]:
        return [
            (lesion, message, f"{fix} (needed by --compare {name})")
            for lesion, message, fix in check(record)
        ]

    return run


def comparison_table(
    results: Sequence[PatientAssessment],
    others: Sequence[PatientAssessment],
    *,
    width: int,
    title: str,
) -> FittedTable:
    """One row per patient and assessment: both responses, whether they agree, both bests."""
    first = results[0].criteria if results else "criteria"
    second = others[0].criteria if others else "compare"
    columns = [
        ColumnSpec("Patient", min_width=10),
        ColumnSpec("Date"),
        ColumnSpec(first),
        ColumnSpec(second),
        ColumnSpec("Agree"),
        ColumnSpec("Δnadir%", justify="right", level=2),
        ColumnSpec(f"Best {first}", level=1),
        ColumnSpec(f"Best {second}", level=1),
        ColumnSpec("Note", wrap=True, level=3),
    ]
    rows: list[list[str]] = []
    for result, other in zip(results, others, strict=True):
        pairs = pair_up(result, other).timepoints
        points = {t.date: t for t in result.timepoints}
        if not pairs:
            rows.append([escape(result.patient_id), *["-"] * 7, "no follow-up"])
            continue
        for k, pair in enumerate(pairs):
            last = k == len(pairs) - 1
            point = points.get(pair.date)
            rows.append(
                [
                    escape(result.patient_id),
                    pair.date.isoformat(),
                    _code(pair.response),
                    _code(pair.other),
                    "yes" if pair.agree else "[bold]no[/]",
                    "-" if point is None else _num(point.change_from_nadir_pct, "+.1f"),
                    _code(result.best_overall_response) if last else "",
                    _code(other.best_overall_response) if last else "",
                    "" if point is None else escape(_guard_note(point)),
                ]
            )
    return fit_table(
        columns, rows, width=width, title=title, hint="use --format json or csv for every field"
    )


def classify_compared(
    *,
    entry: Any,
    params: Any,
    tables: TableFiles,
    as_of: date | None,
    output_format: str,
    output: Path | None,
    compare: Any,
) -> None:
    """``classify --criteria NAME --compare OTHER``: read once, assess by both, write."""
    other_params = compared_parameters(compare, params)
    cohort, results = _load_and_assess(
        entry=entry,
        params=params,
        tables=tables,
        as_of=as_of,
        also=_for_compare(baseline_check(compare, other_params), compare.name),
    )
    others = assess_patients(cohort.records, entry=compare, params=other_params, as_of=as_of)
    if output_format == "json":
        document = patients_document(
            results,
            criteria=entry.name,
            parameters=params.to_dict(),
            as_of=as_of,
            notices=cohort.notices,
        )
        document["compare"] = {"criteria": compare.name, "parameters": other_params.to_dict()}
        for patient, result, other in zip(document["patients"], results, others, strict=True):
            patient["compare"] = other.to_dict()
            patient["comparison"] = compare_dict(result, other)
        data = orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
    elif output_format == "csv":
        data = patients_csv(results, compared=others)
    else:
        title = f"Response by {entry.name} beside {compare.name}"
        counts = (
            f"{response_counts(results)}\n{compare.name}: "
            f"{response_counts(others).split('; ', 1)[1]}"
        )
        if output is None:
            console.print(comparison_table(results, others, width=console.width, title=title))
            console.print(counts)
            return
        table = comparison_table(results, others, width=FILE_WIDTH, title=title)
        data = _plain(table) + (counts + "\n").encode("utf-8")
    _emit(data, output=output, count=len(results))


def compare_dict(result: PatientAssessment, other: PatientAssessment) -> dict[str, Any]:
    """The pairs of one patient by date, as written to JSON."""
    return pair_up(result, other).to_dict()
