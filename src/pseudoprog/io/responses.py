"""The input of ``pseudoprog best-response``: two tables and an optional parameters file.

**responses** — one row per patient and assessment: ``patient_id, date, response``. The
response is an overall response (``CR``, ``PR``, ``SD``, ``NON_CR_NON_PD``, ``PD``, ``NE``,
``ND``), matched ignoring case and punctuation, with the usual spellings accepted
(``NON-CR/NON-PD``, ``non-CR/non-PD``, ``complete response``, ``not evaluable``, ...).

**treatment-start** — one row per patient: ``patient_id, treatment_date`` and, optionally,
``progression_date``: progression recorded outside imaging (e.g. clinical progression), which
ends the patient's assessment period. It is a column of this table because it is one date per
patient, like the treatment start; leave the cell empty when there is none.

Both are CSV files or single-sheet workbooks, read with :mod:`pseudoprog.io.tabular`: the whole
input is checked and every problem is reported at once, with the file, row and column. Besides
bad cells, these are problems: a patient in the responses table that is not in the
treatment-start table, two different responses for one patient on one date (both rows are
named), a patient listed twice in the treatment-start table with different dates, and a
progression date before the treatment date. Identical repeated rows are merged, with a note.
A patient of the treatment-start table without responses is accepted: its best overall response
is none (or NE), with a reason.

**Parameters file** — a TOML file of ``key = value`` lines whose keys are those of
:class:`~pseudoprog.criteria.best_response.BestResponseParameters`, e.g.::

    confirmation_required = true
    confirmation_min_days = 28
    sd_min_days = 42
    max_ne_between = 1
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt

from pseudoprog.criteria.best_response import (
    AssessedResponse,
    BestResponse,
    BestResponseParameters,
    best_overall_response,
)
from pseudoprog.criteria.codes import OverallResponse
from pseudoprog.errors import InputValidationError, Problem
from pseudoprog.io.parameters import parameters_from_file
from pseudoprog.io.tabular import ProblemLog, RawTable, read_table

__all__ = [
    "RESPONSE_COLUMNS",
    "TREATMENT_START_COLUMNS",
    "PatientResponses",
    "ResponseInput",
    "load_responses",
    "read_parameters",
]

#: Required and optional columns of each table.
RESPONSE_COLUMNS = {"required": ("patient_id", "date", "response"), "optional": ()}
TREATMENT_START_COLUMNS = {
    "required": ("patient_id", "treatment_date"),
    "optional": ("progression_date",),
}

_RESPONSES = tuple(OverallResponse)


@dataclass(frozen=True)
class PatientResponses:
    """One patient: the treatment start, the assessed responses (by date) and progression."""

    patient_id: str
    treatment_start: date
    responses: tuple[AssessedResponse, ...]
    progression_date: date | None = None

    def best_response(self, params: BestResponseParameters) -> BestResponse:
        """The patient's best overall response under ``params``."""
        return best_overall_response(
            self.responses,
            treatment_start=self.treatment_start,
            params=params,
            progression_date=self.progression_date,
        )


@dataclass(frozen=True)
class ResponseInput:
    """Validated input: the patients in the order of the treatment-start table."""

    patients: tuple[PatientResponses, ...]
    notices: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


def _read(
    path: str | Path, name: str, spec: dict[str, tuple[str, ...]], log: ProblemLog
) -> RawTable | None:
    """The table ``name`` from its file; problems name the table and the file."""
    return read_table(path, log, table=name, columns=spec["required"])


def _note_unknown_columns(
    table: RawTable, spec: dict[str, tuple[str, ...]], log: ProblemLog
) -> None:
    known = set(spec["required"]) | set(spec["optional"])
    extra = [c for c in table.columns if c not in known]
    if extra:
        log.notice(f"{table.label}: ignored column(s) {', '.join(extra)}")


def _day(value: np.datetime64) -> date | None:
    if np.isnat(value):
        return None
    day: date = value.astype("datetime64[D]").astype(object)
    return day


@dataclass(frozen=True)
class _Start:
    row: int
    treatment: date | None
    progression: date | None


def _parse_starts(table: RawTable, log: ProblemLog) -> dict[str, _Start] | None:
    """Patient id -> treatment start and progression date (first row of each patient)."""
    if not table.require(TREATMENT_START_COLUMNS["required"], log):
        return None
    _note_unknown_columns(table, TREATMENT_START_COLUMNS, log)
    patients = table.parse_text("patient_id", log, required=True)
    treated = table.parse_dates("treatment_date", log, required=True)
    progressed = table.parse_dates("progression_date", log, required=False)
    starts: dict[str, _Start] = {}
    merged = 0
    for index, patient in enumerate(patients.tolist()):
        row = index + 2
        start = _Start(row, _day(treated[index]), _day(progressed[index]))
        treated_on, progressed_on = start.treatment, start.progression
        if treated_on is not None and progressed_on is not None and progressed_on < treated_on:
            log.add(
                Problem(
                    table.label,
                    f"progression date before the treatment date {start.treatment}",
                    expected="a date on or after treatment_date, or an empty cell",
                    row=row,
                    column="progression_date",
                    value=str(start.progression),
                )
            )
        if patient == "":
            continue
        first = starts.get(patient)
        if first is None:
            starts[patient] = start
        elif (first.treatment, first.progression) == (start.treatment, start.progression):
            merged += 1
        else:
            log.add(
                Problem(
                    table.label,
                    f"patient {patient} is listed twice with different dates (first on row "
                    f"{first.row})",
                    expected="one row per patient: delete or correct one row",
                    row=row,
                    column="patient_id",
                    value=patient,
                )
            )
    if merged:
        log.notice(f"{table.label}: {merged} identical repeated row(s) were merged")
    return starts


def _parse_responses(
    table: RawTable, starts: dict[str, _Start] | None, start_label: str, log: ProblemLog
) -> dict[str, list[AssessedResponse]] | None:
    """Patient id -> assessed responses, or ``None`` when the table could not be read."""
    if not table.require(RESPONSE_COLUMNS["required"], log):
        return None
    _note_unknown_columns(table, RESPONSE_COLUMNS, log)
    patients = table.parse_text("patient_id", log, required=True)
    dates = table.parse_dates("date", log, required=True)
    codes = table.parse_enum_index("response", OverallResponse, log, required=True)
    if starts is not None:
        unknown = np.array([p != "" and p not in starts for p in patients.tolist()], dtype=bool)
        table.report(
            log,
            unknown,
            "patient_id",
            "patient not in the treatment-start table",
            f"a patient_id listed in the {start_label}, with its treatment_date",
        )
    valid: npt.NDArray[np.bool_] = (patients != "") & ~np.isnat(dates) & (codes >= 0)
    seen: dict[tuple[str, np.datetime64], int] = {}
    by_patient: dict[str, list[AssessedResponse]] = {}
    merged = 0
    for index in np.flatnonzero(valid).tolist():
        patient = str(patients[index])
        key = (patient, dates[index])
        first = seen.get(key)
        if first is not None:
            if codes[first] == codes[index]:
                merged += 1
            else:
                log.add(
                    Problem(
                        table.label,
                        f"patient {patient} has two different responses on {dates[index]} "
                        f"(row {first + 2}: {_RESPONSES[codes[first]].value}, row "
                        f"{index + 2}: {_RESPONSES[codes[index]].value})",
                        expected="one response per patient and date: delete or correct one row",
                        row=index + 2,
                        column="response",
                        value=str(table.column("response")[index]),
                    )
                )
            continue
        seen[key] = index
        day: date = dates[index].astype(object)  # valid rows have a date
        by_patient.setdefault(patient, []).append(AssessedResponse(day, _RESPONSES[codes[index]]))
    if merged:
        log.notice(
            f"{table.label}: {merged} identical repeated row(s) (same patient, date and "
            "response) were merged"
        )
    return by_patient


def load_responses(*, responses: str | Path, treatment_start: str | Path) -> ResponseInput:
    """Read and validate the responses and treatment-start tables.

    Parameters
    ----------
    responses
        CSV (or single-sheet Excel) file with ``patient_id, date, response``.
    treatment_start
        CSV (or single-sheet Excel) file with ``patient_id, treatment_date`` and optionally
        ``progression_date``.

    Raises
    ------
    InputValidationError
        Listing every problem found in both tables; nothing is returned then.
    """
    log = ProblemLog()
    start_table = _read(treatment_start, "treatment-start", TREATMENT_START_COLUMNS, log)
    response_table = _read(responses, "responses", RESPONSE_COLUMNS, log)
    starts = _parse_starts(start_table, log) if start_table is not None else None
    start_label = (
        f"treatment-start table {treatment_start}" if start_table is None else start_table.label
    )
    by_patient = (
        _parse_responses(response_table, starts, start_label, log)
        if response_table is not None
        else None
    )
    log.raise_if_any()
    if starts is None or by_patient is None:  # cannot happen: a failed table logged a problem
        raise InputValidationError(log.problems)
    patients = tuple(
        PatientResponses(
            patient_id=patient,
            treatment_start=start.treatment,
            responses=tuple(sorted(by_patient.get(patient, ()), key=lambda a: a.date)),
            progression_date=start.progression,
        )
        for patient, start in starts.items()
        if start.treatment is not None  # always: an empty required date is a problem
    )
    sources = tuple(t.label for t in (response_table, start_table) if t is not None)
    return ResponseInput(patients, tuple(log.notices), sources)


def read_parameters(path: str | Path) -> BestResponseParameters:
    """The parameters of a TOML file of ``key = value`` lines (keys of the parameter names).

    Keys not in the file keep their defaults.

    Raises
    ------
    ParameterError
        Naming the file, and the key, when the file is missing or not TOML, or a key is unknown
        or has a value of the wrong type.
    """
    return parameters_from_file(path, BestResponseParameters.from_mapping)
