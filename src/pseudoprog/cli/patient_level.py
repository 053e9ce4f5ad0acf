"""Output of patient-level criteria: terminal table, JSON and CSV, one row per timepoint.

``classify --criteria recist1.1`` (or ``irecist``, ``pcwg3-bone``, ``rano-bm``, ``choi``,
``mrecist``) reads the tables with
:func:`pseudoprog.io.patients.load_patients`, runs the engine on every patient and writes the
results with :func:`render_patient_table`, :func:`patients_json` or :func:`patients_csv`.
"""

from __future__ import annotations

import csv
import io
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.markup import escape

from pseudoprog.cli._common import console, err_console
from pseudoprog.cli._tables import ColumnSpec, FittedTable, fit_table, print_wrapped
from pseudoprog.cli.patient_evidence import EvidenceOptions, weigh_evidence
from pseudoprog.criteria.patient_result import PatientAssessment, Pending, TimepointResult
from pseudoprog.evidence.patient_evidence import PatientEvidenceAssessment
from pseudoprog.io.atomic import atomic_write_bytes
from pseudoprog.io.patients import BaselineCheck, PatientCohort, load_patients
from pseudoprog.patient import PatientRecord, TrackedLesion

#: Width of a terminal table written to a file: every column is shown.
FILE_WIDTH = 200

__all__ = [
    "COMPARE_CSV_COLUMNS",
    "CSV_COLUMNS",
    "FILE_WIDTH",
    "TableFiles",
    "assess_patients",
    "assess_patients_command",
    "baseline_check",
    "classify_patients",
    "patients_csv",
    "patients_document",
    "patients_json",
    "render_patient_table",
    "render_point_of_care",
    "response_counts",
]

_COLOURS = {
    "CR": "green",
    "PR": "green",
    "SD": "cyan",
    "NON_CR_NON_PD": "cyan",
    "PD": "red",
    "NE": "yellow",
    "iCR": "green",
    "iPR": "green",
    "iSD": "cyan",
    "iNN": "cyan",
    "iUPD": "magenta",
    "iCPD": "red",
    "NON_PD": "cyan",
    "PDu": "magenta",
}


def _code(value: Any) -> str:
    if value is None:
        return "-"
    text = str(value.value if hasattr(value, "value") else value)
    colour = _COLOURS.get(text)
    return f"[{colour}]{escape(text)}[/]" if colour else escape(text)


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _pending_note(item: Pending) -> str:
    """A short note for a table cell: what awaits confirmation and when the scan is due."""
    if item.due_from is not None and item.due_by is not None:
        window = f"{item.due_from.isoformat()} to {item.due_by.isoformat()}"
    elif item.due_from is not None:
        window = f"from {item.due_from.isoformat()}"
    else:
        window = "next scan"
    return f"unconfirmed since {item.since.isoformat()}; confirm: {window}"


#: Reason code of a timepoint where RECIST 1.1 would read PD on size alone (Choi, mRECIST).
SIZE_ONLY_PD = "size_only_pd"


def _guard_note(point: TimepointResult) -> str:
    """``RECIST 1.1: PD on size alone`` when the timepoint carries the guard's reason."""
    if any(str(r.code) == SIZE_ONLY_PD for r in point.reasons):
        return "RECIST 1.1 would read PD on size alone"
    return ""


def _metric(point: TimepointResult, name: str) -> float | None:
    return point.metrics.get(name)


def render_patient_table(
    results: Sequence[PatientAssessment], *, width: int, title: str
) -> FittedTable:
    """One row per patient and timepoint, the best overall response on each patient's last row.

    At 80 columns the sums, the percentages and the reasons are hidden first, with a note.
    Choi adds the change of attenuation (``ΔHU%``); a timepoint that RECIST 1.1 would read as
    PD on size alone says so in the note.
    """
    columns = [
        ColumnSpec("Patient", min_width=10),
        ColumnSpec("Date"),
        ColumnSpec("Target"),
        ColumnSpec("Non-target"),
        ColumnSpec("New"),
        ColumnSpec("Overall"),
        ColumnSpec("Sum mm", justify="right", level=2),
        ColumnSpec("Δbase%", justify="right", level=2),
        ColumnSpec("Δnadir%", justify="right", level=1),
        ColumnSpec("ΔHU%", justify="right", level=1),
        ColumnSpec("Best", level=0),
        ColumnSpec("Note", wrap=True, level=3),
    ]
    rows: list[list[str]] = []
    for result in results:
        points = result.timepoints
        if not points:
            note = escape("; ".join(w.message for w in result.warnings)) or "no follow-up"
            rows.append([escape(result.patient_id), *["-"] * 10, note])
            continue
        for k, point in enumerate(points):
            last = k == len(points) - 1
            notes = [_guard_note(point)]
            if last:
                notes += [_pending_note(p) for p in result.pending]
            note = "; ".join(n for n in notes if n)
            rows.append(
                [
                    escape(result.patient_id),
                    point.date.isoformat(),
                    _code(point.target_response),
                    _code(point.non_target_response),
                    "yes" if point.new_lesions else "no",
                    _code(point.response),
                    _num(point.target_sum_mm, ".1f"),
                    _num(point.change_from_baseline_pct, "+.1f"),
                    _num(point.change_from_nadir_pct, "+.1f"),
                    _num(_metric(point, "attenuation_change_pct"), "+.1f"),
                    _code(result.best_overall_response) if last else "",
                    escape(note),
                ]
            )
    empty = {
        i
        for i, column in enumerate(columns)
        if column.header in _OPTIONAL_COLUMNS and all(row[i] in ("-", "") for row in rows)
    }
    return fit_table(
        [c for i, c in enumerate(columns) if i not in empty],
        [[cell for i, cell in enumerate(row) if i not in empty] for row in rows],
        width=width,
        title=title,
        hint="use --format json or csv for every field",
    )


#: Columns left out when no row has a value in them (e.g. target sums for bone-scan criteria).
_OPTIONAL_COLUMNS = frozenset(
    {"Target", "Non-target", "Sum mm", "Δbase%", "Δnadir%", "ΔHU%", "Note"}
)


def response_counts(results: Sequence[PatientAssessment]) -> str:
    """``N patients: best overall response CR 1  PR 2 ...`` for the end of a table."""
    counts = Counter(
        "none" if r.best_overall_response is None else r.best_overall_response.value
        for r in results
    )
    text = "  ".join(f"{k} {n}" for k, n in sorted(counts.items()))
    return f"{len(results)} patients; best overall response: {text}"


def patients_document(
    results: Sequence[PatientAssessment],
    *,
    criteria: str,
    parameters: Mapping[str, Any],
    as_of: date | None,
    notices: Sequence[str],
) -> dict[str, Any]:
    """The JSON document: ``{"criteria", "parameters", "as_of", "notices", "patients"}``."""
    return {
        "criteria": criteria,
        "parameters": dict(parameters),
        "as_of": None if as_of is None else as_of.isoformat(),
        "notices": list(notices),
        "patients": [r.to_dict() for r in results],
    }


def patients_json(results: Sequence[PatientAssessment], **head: Any) -> bytes:
    """The JSON document as UTF-8 bytes, indented, ending in a newline."""
    return orjson.dumps(patients_document(results, **head), option=orjson.OPT_INDENT_2) + b"\n"


#: Columns of the CSV output, one row per patient and timepoint.
CSV_COLUMNS = (
    "patient_id",
    "criteria",
    "baseline_date",
    "baseline_sum_mm",
    "date",
    "response",
    "target_response",
    "non_target_response",
    "new_lesions",
    "target_sum_mm",
    "change_from_baseline_pct",
    "change_from_nadir_pct",
    "best_overall_response",
    "best_response_date",
    "best_response_confirmed",
    "reasons",
    "warnings",
)


#: Columns added to the CSV output by ``--compare``.
COMPARE_CSV_COLUMNS = (
    "compare_criteria",
    "compare_response",
    "compare_best_overall_response",
    "agree",
)


def patients_csv(
    results: Sequence[PatientAssessment],
    *,
    compared: Sequence[PatientAssessment] | None = None,
) -> bytes:
    """One CSV row per patient and timepoint (a patient without follow-up gets one row).

    The criteria's own numbers (Choi's ``attenuation_hu``, ``baseline_attenuation_hu``,
    ``attenuation_change_pct``) follow the standard columns; with ``compared`` (the same
    patients by another criteria set, in the same order) the other set's response at the same
    date, its best overall response and whether the two agree follow them.
    """
    metrics = list(
        dict.fromkeys(k for r in results for point in r.timepoints for k in point.metrics)
    )
    columns = [*CSV_COLUMNS, *metrics]
    if compared is not None:
        columns += COMPARE_CSV_COLUMNS
    others = list(compared) if compared is not None else [None] * len(results)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for result, other in zip(results, others, strict=True):
        head = result.to_dict()
        common = {
            "patient_id": result.patient_id,
            "criteria": result.criteria,
            "baseline_date": head["baseline_date"],
            "baseline_sum_mm": _blank(head["baseline_sum_mm"]),
            "best_overall_response": _blank(head["best_overall_response"]),
            "best_response_date": _blank(head["best_response_date"]),
            "best_response_confirmed": _blank(head["best_response_confirmed"]),
            "warnings": " | ".join(w["message"] for w in head["warnings"]),
        }
        theirs = {} if other is None else {t.date.isoformat(): t for t in other.timepoints}
        if other is not None:
            common["compare_criteria"] = other.criteria
            common["compare_best_overall_response"] = _blank(_value(other.best_overall_response))
        for point in head["timepoints"] or [None]:
            row = dict(common)
            if point is not None:
                row.update(
                    {k: _blank(point[k]) for k in CSV_COLUMNS if k in point and k != "reasons"}
                )
                row["reasons"] = " | ".join(r["message"] for r in point["reasons"])
                row.update({k: _blank(v) for k, v in point.get("metrics", {}).items()})
                if other is not None:
                    match = theirs.get(point["date"])
                    row["compare_response"] = _blank(
                        None if match is None else _value(match.response)
                    )
                    row["agree"] = _blank(
                        None if match is None else _agree(point["response"], match.response)
                    )
            writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def _value(code: Any) -> str | None:
    return None if code is None else str(code.value)


def _agree(response: str, other: Any) -> bool:
    """Whether two codes are the same response (iRECIST's iUPD/iCPD read as PD)."""
    plain = getattr(other, "recist", other)
    return bool(response == str(plain.value) or response == str(other.value))


def _blank(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def assess_patients(
    records: Sequence[Any], *, entry: Any, params: Any, as_of: date | None
) -> list[PatientAssessment]:
    """Run a patient-level criteria set's engine on every patient record."""
    engine = entry.assess
    return [engine(record, as_of=as_of, params=params) for record in records]


@dataclass(frozen=True, slots=True)
class TableFiles:
    """The input files as given on the command line."""

    lesions: Path | None
    measurements: Path | None
    events: Path | None
    workbook: Path | None


def _plain(renderable: FittedTable) -> bytes:
    """A table as plain text for a file, at :data:`FILE_WIDTH` columns."""
    buffer = io.StringIO()
    Console(file=buffer, width=FILE_WIDTH, no_color=True).print(renderable)
    return buffer.getvalue().encode("utf-8")


def _emit(data: bytes, *, output: Path | None, count: int) -> None:
    """Write to ``output`` atomically (and say so), or to standard output."""
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        atomic_write_bytes(output, data)
        err_console.print(f"Wrote {count} patients to {output}")


def baseline_check(entry: Any, params: Any) -> BaselineCheck | None:
    """The criteria's check of each patient's baseline with its parameters, if it has one."""
    check = getattr(entry.load(), "baseline_problems", None)
    if check is None:
        return None

    def run(record: PatientRecord) -> Iterable[tuple[TrackedLesion | None, str, str]]:
        found: Iterable[tuple[TrackedLesion | None, str, str]] = check(record, params)
        return found

    return run


def _load_and_assess(
    *,
    entry: Any,
    params: Any,
    tables: TableFiles,
    as_of: date | None,
    also: BaselineCheck | None = None,
) -> tuple[PatientCohort, list[PatientAssessment]]:
    """Read the tables (with the criteria's baseline check, and ``also``), print notices,
    assess everyone."""
    checks = [c for c in (baseline_check(entry, params), also) if c is not None]
    cohort = load_patients(
        lesions=tables.lesions,
        measurements=tables.measurements,
        events=tables.events,
        workbook=tables.workbook,
        baseline_check=(
            None
            if not checks
            else (lambda record: [problem for c in checks for problem in c(record)])
        ),
    )
    for notice in cohort.notices:
        err_console.print(f"[yellow]Note:[/] {escape(notice)}")
    return cohort, assess_patients(cohort.records, entry=entry, params=params, as_of=as_of)


def classify_patients(
    *,
    entry: Any,
    params: Any,
    tables: TableFiles,
    as_of: date | None,
    output_format: str,
    output: Path | None,
) -> None:
    """``classify --criteria NAME`` for a patient-level criteria set: read, assess, write."""
    cohort, results = _load_and_assess(entry=entry, params=params, tables=tables, as_of=as_of)
    title = f"Response by {entry.name} ({entry.citation})"
    if output_format == "json":
        data = patients_json(
            results,
            criteria=entry.name,
            parameters=params.to_dict(),
            as_of=as_of,
            notices=cohort.notices,
        )
    elif output_format == "csv":
        data = patients_csv(results)
    elif output is None:
        console.print(render_patient_table(results, width=console.width, title=title))
        console.print(response_counts(results))
        return
    else:
        table = render_patient_table(results, width=FILE_WIDTH, title=title)
        data = _plain(table) + (response_counts(results) + "\n").encode("utf-8")
    _emit(data, output=output, count=len(results))


def _overdue(result: PatientAssessment, *, as_of: date | None, grace_days: int) -> list[str]:
    """Messages for pending confirmations whose window closed before ``as_of``."""
    if as_of is None:
        return []
    late = []
    for item in result.pending:
        if item.due_by is not None and (as_of - item.due_by).days > grace_days:
            late.append(
                f"OVERDUE: the confirming scan was due by {item.due_by.isoformat()} "
                f"({(as_of - item.due_by).days} days before {as_of.isoformat()})"
            )
    return late


def _evidence_cell(found: PatientEvidenceAssessment) -> str:
    """``size +22.5%, attenuation -36.0%: LR 15.3 (response)`` or the question's code."""
    combined = found.combined
    if combined is None:
        return found.question.value.replace("_", " ")
    size = "-" if found.size_change_pct is None else f"{found.size_change_pct:+.1f}%"
    hu = "-" if found.attenuation_change_pct is None else f"{found.attenuation_change_pct:+.1f}%"
    lean = "response" if combined.estimate > 1 else "progression" if combined.estimate < 1 else "-"
    return f"size {size}, HU {hu}: LR {combined.estimate:.3g} ({lean})"


def render_point_of_care(
    results: Sequence[PatientAssessment],
    *,
    width: int,
    title: str,
    as_of: date | None,
    grace_days: int,
    evidence: Sequence[PatientEvidenceAssessment] | None = None,
) -> FittedTable:
    """One row per patient: the latest assessment, the best response, what is pending.

    With ``evidence`` (liver), a column gives the combined likelihood ratio of response where
    the latest CT raises the question, else the question's code.
    """
    columns = [
        ColumnSpec("Patient", min_width=10),
        ColumnSpec("Last scan"),
        ColumnSpec("Response"),
        ColumnSpec("Best"),
        ColumnSpec("Pending", wrap=True, min_width=24),
    ]
    if evidence is not None:
        columns.append(ColumnSpec("Evidence", wrap=True, min_width=20, level=1))
    found = list(evidence) if evidence is not None else [None] * len(results)
    rows = []
    for result, weighed in zip(results, found, strict=True):
        current = result.current
        pending = [p.message for p in result.pending]
        pending += _overdue(result, as_of=as_of, grace_days=grace_days)
        rows.append(
            [
                escape(result.patient_id),
                "-" if current is None else current.date.isoformat(),
                "-" if current is None else _code(current.response),
                _code(result.best_overall_response),
                escape("; ".join(pending)) or "-",
                *([] if weighed is None else [escape(_evidence_cell(weighed))]),
            ]
        )
    return fit_table(columns, rows, width=width, title=title, hint="use --format json")


def _evidence_text(found: Sequence[PatientEvidenceAssessment], out: Console) -> None:
    """The summary of every patient whose latest CT raises the question, and the table used."""
    asked = [f for f in found if f.question.asked]
    if asked:
        out.print("\nLatest CT raises the question of response vs true progression:\n")
    for item in asked:
        print_wrapped(out, item.summary())
        out.print()
    tables = {f.table.name: f.table for f in found}
    named = ", ".join(f"{t.name} ({t.origin})" for t in tables.values())
    print_wrapped(
        out,
        f"Evidence table: {named}. No probability is given (the table has no prior); the "
        "likelihood ratios multiply the odds held before the evidence; see docs/assess.md.",
    )


def assess_patients_command(
    *,
    entry: Any,
    params: Any,
    tables: TableFiles,
    as_of: date | None,
    json_output: bool,
    output: Path | None,
    grace_days: int,
    evidence: EvidenceOptions | None = None,
) -> None:
    """``assess --criteria NAME`` for a patient-level set: each patient today, and what is due.

    For criteria with an evidence route (``choi``, liver) the evidence is weighed at each
    patient's latest CT (:mod:`pseudoprog.cli.patient_evidence`); every input is validated
    before anything is written.
    """
    cohort, results = _load_and_assess(entry=entry, params=params, tables=tables, as_of=as_of)
    notices = list(cohort.notices)
    weighed = weigh_evidence(
        results,
        cohort.records,
        criteria=entry.name,
        options=evidence or EvidenceOptions(workbook=tables.workbook),
        grace_days=grace_days,
        notices=notices,
    )
    for notice in notices[len(cohort.notices) :]:
        err_console.print(f"[yellow]Note:[/] {escape(notice)}")
    when = "" if as_of is None else f" as of {as_of.isoformat()}"
    title = f"Patients by {entry.name}{when}"
    if json_output:
        document = patients_document(
            results,
            criteria=entry.name,
            parameters=params.to_dict(),
            as_of=as_of,
            notices=notices,
        )
        for k, (patient, result) in enumerate(zip(document["patients"], results, strict=True)):
            patient["overdue"] = _overdue(result, as_of=as_of, grace_days=grace_days)
            if weighed is not None:
                patient["evidence_assessment"] = weighed[k].to_dict()
        data = orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
    else:
        width = console.width if output is None else FILE_WIDTH
        table = render_point_of_care(
            results,
            width=width,
            title=title,
            as_of=as_of,
            grace_days=grace_days,
            evidence=weighed,
        )
        buffer = io.StringIO()
        out = console if output is None else Console(file=buffer, width=width, no_color=True)
        out.print(table)
        if weighed is not None:
            _evidence_text(weighed, out)
        if output is None:
            return
        data = buffer.getvalue().encode("utf-8")
    _emit(data, output=output, count=len(results))
