"""The ``lesions``, ``measurements`` and ``events`` tables (README, "Input tables").

:func:`load_cohort` reads them from CSV files or from one workbook with sheets of those names,
checks the whole input, and returns domain objects only when every row is valid; otherwise it
raises one :class:`~pseudoprog.errors.InputValidationError` listing every problem.
"""

from __future__ import annotations

from collections.abc import Sequence as Seq
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from pseudoprog.domain import (
    ClinicalStatus,
    Event,
    EventKind,
    Lesion,
    LesionHistory,
    ResponseCategory,
    Sequence,
    Sex,
    Site,
    SpinalRegion,
    Treatment,
    normalize_token,
)
from pseudoprog.errors import InputValidationError, ParameterError, Problem
from pseudoprog.io.histories import LesionHistories
from pseudoprog.io.tabular import ProblemLog, RawTable, Workbook, read_table, read_workbook

__all__ = [
    "EVENT_COLUMNS",
    "LESION_COLUMNS",
    "MAX_SIZE_MM",
    "MEASUREMENT_COLUMNS",
    "Cohort",
    "load_cohort",
    "locate_table",
]

#: Required and optional columns of each table.
LESION_COLUMNS = {
    "required": ("patient_id", "lesion_id", "treatment_date", "dose_gy", "fractions"),
    "optional": (
        "site",
        "level",
        "histology",
        "age",
        "sex",
        "response",
        "in_vertebral_body",
        "body_involvement_pct",
    ),
}
MEASUREMENT_COLUMNS = {"required": ("lesion_id", "date", "sequence", "size_mm"), "optional": ()}
EVENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "required": ("patient_id", "date", "kind"),
    "optional": ("lesion_id", "detail", "value"),
}

_SPECS = {"lesions": LESION_COLUMNS, "measurements": MEASUREMENT_COLUMNS, "events": EVENT_COLUMNS}

#: Largest plausible lesion size; larger values are taken for a unit error (cm or µm).
MAX_SIZE_MM = 300.0

_SEQUENCES = tuple(Sequence)


@dataclass(frozen=True)
class Cohort:
    """Validated input: lesions, their histories (when measurements were given) and events.

    ``histories`` is a read-only sequence in the order of ``lesions`` (empty without
    measurements); its items are built when accessed (see
    :class:`~pseudoprog.io.histories.LesionHistories`).
    """

    lesions: tuple[Lesion, ...]
    histories: Seq[LesionHistory]
    events: tuple[Event, ...]
    notices: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def has_measurements(self) -> bool:
        return bool(self.histories)

    @property
    def patients(self) -> tuple[str, ...]:
        """Patient ids in order of first appearance."""
        return tuple(dict.fromkeys(lesion.patient_id for lesion in self.lesions))


def _note_unknown_columns(
    table: RawTable, spec: dict[str, tuple[str, ...]], log: ProblemLog
) -> None:
    known = set(spec["required"]) | set(spec["optional"])
    extra = [c for c in table.columns if c not in known]
    if extra:
        log.notice(f"{table.label}: ignored column(s) {', '.join(extra)}")


def _repeated(values: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """True for every value already seen earlier in the array."""
    _, first = np.unique(values.astype(str), return_index=True)
    seen = np.ones(len(values), dtype=bool)
    seen[first] = False
    return seen


@dataclass
class _Lesions:
    table: RawTable
    ids: npt.NDArray[Any]
    patients: npt.NDArray[Any]
    treated: npt.NDArray[np.datetime64]
    build: dict[str, npt.NDArray[Any]]


def _parse_lesions(table: RawTable, log: ProblemLog) -> _Lesions | None:
    if not table.require(LESION_COLUMNS["required"], log):
        return None
    _note_unknown_columns(table, LESION_COLUMNS, log)
    patients = table.parse_text("patient_id", log, required=True)
    ids = table.parse_text("lesion_id", log, required=True)
    treated = table.parse_dates("treatment_date", log, required=True)
    dose = table.parse_numbers(
        "dose_gy", log, required=True, unit="Gy", minimum=0, strict_minimum=True
    )
    fractions = table.parse_numbers(
        "fractions", log, required=True, minimum=1, integer=True, maximum=50
    )
    sites = table.parse_enum("site", Site, log, required=False)
    levels = table.parse_text("level", log, required=False)
    ages = table.parse_numbers("age", log, required=False, unit="years", minimum=0, maximum=120)
    sexes = table.parse_enum("sex", Sex, log, required=False)
    responses = table.parse_enum("response", ResponseCategory, log, required=False)
    in_body = table.parse_bools("in_vertebral_body", log)
    involvement = table.parse_numbers(
        "body_involvement_pct", log, required=False, unit="percent", minimum=0, maximum=100
    )

    canonical = np.full(len(table), None, dtype=object)
    for i, (level, site) in enumerate(zip(levels, sites, strict=True)):
        if level == "" or site not in (None, Site.SPINE):
            canonical[i] = level or None
            continue
        try:
            canonical[i] = SpinalRegion.normalize_level(level)
        except ParameterError:
            log.add(
                Problem(
                    table.label,
                    "unknown vertebral level",
                    expected="C1-C7, T1-T12, L1-L6 or S1-S5",
                    row=i + 2,
                    column="level",
                    value=level,
                )
            )

    dup = _repeated(ids) & (ids != "")
    if dup.any():
        first_row = {v: i + 2 for i, v in reversed(list(enumerate(ids)))}
        for k in np.flatnonzero(dup):
            log.add(
                Problem(
                    table.label,
                    f"duplicate lesion_id (first on row {first_row[ids[k]]})",
                    expected="one row per lesion with a unique lesion_id",
                    row=int(k) + 2,
                    column="lesion_id",
                    value=str(ids[k]),
                )
            )
    build = {
        "dose": dose,
        "fractions": fractions,
        "site": sites,
        "level": canonical,
        "histology": table.parse_text("histology", log, required=False),
        "age": ages,
        "sex": sexes,
        "response": responses,
        "in_body": in_body,
        "involvement": involvement,
    }
    return _Lesions(table, ids, patients, treated, build)


def _build_lesions(parsed: _Lesions) -> list[Lesion]:
    b = parsed.build
    treated = parsed.treated.astype(object)
    lesions = []
    for i in range(len(parsed.ids)):
        age = b["age"][i]
        involvement = b["involvement"][i]
        lesions.append(
            Lesion(
                patient_id=str(parsed.patients[i]),
                lesion_id=str(parsed.ids[i]),
                treatment=Treatment(treated[i], float(b["dose"][i]), int(b["fractions"][i])),
                site=b["site"][i] or Site.SPINE,
                level=b["level"][i],
                histology=b["histology"][i] or None,
                age=None if np.isnan(age) else float(age),
                sex=b["sex"][i],
                response=b["response"][i],
                in_vertebral_body=b["in_body"][i],
                body_involvement_pct=None if np.isnan(involvement) else float(involvement),
            )
        )
    return lesions


def _parse_measurements(
    table: RawTable, lesions: _Lesions | None, log: ProblemLog
) -> dict[str, Any] | None:
    if not table.require(MEASUREMENT_COLUMNS["required"], log):
        return None
    _note_unknown_columns(table, MEASUREMENT_COLUMNS, log)
    empty_ids = table.empty("lesion_id")
    table.report(log, empty_ids, "lesion_id", "empty cell", "a value for 'lesion_id'")
    dates = table.parse_dates("date", log, required=True)
    seq_codes = table.parse_enum_index("sequence", Sequence, log, required=True)
    sizes = table.parse_numbers(
        "size_mm",
        log,
        required=True,
        unit="mm",
        minimum=0,
        strict_minimum=True,
        maximum=MAX_SIZE_MM,
    )
    if lesions is None:
        return None
    first = ~_repeated(lesions.ids)  # duplicates are reported apart
    found = pc.index_in(
        table.column("lesion_id"), value_set=pa.array(lesions.ids[first].tolist(), pa.string())
    )
    found_np = np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    index = np.where(found_np >= 0, np.flatnonzero(first)[found_np], -1)
    table.report(
        log,
        (index < 0) & ~empty_ids,
        "lesion_id",
        "measurement for a lesion that is not in the lesions table",
        f"a lesion_id listed in {lesions.table.label}",
    )
    days = dates.astype(np.int64)
    valid = (index >= 0) & (seq_codes >= 0) & ~np.isnat(dates) & np.isfinite(sizes)
    valid &= (sizes > 0) & (sizes <= MAX_SIZE_MM)
    rows = np.flatnonzero(valid)
    order = rows[np.lexsort((days[rows], seq_codes[rows], index[rows]))]
    les, seq, day, size = index[order], seq_codes[order], days[order], sizes[order]
    same = (les[1:] == les[:-1]) & (seq[1:] == seq[:-1]) & (day[1:] == day[:-1])
    conflict = same & (size[1:] != size[:-1])
    for k in np.flatnonzero(conflict).tolist():
        a, b = sorted((int(order[k]), int(order[k + 1])))
        log.add(
            Problem(
                table.label,
                f"lesion {lesions.ids[les[k]]} has two different {_SEQUENCES[seq[k]].value} "
                f"sizes on {dates[a]} (row {a + 2}: {sizes[a]:g} mm, row {b + 2}: "
                f"{sizes[b]:g} mm)",
                expected="one size per lesion, date and sequence: delete or correct one row",
                row=b + 2,
                column="size_mm",
                value=f"{sizes[b]:g}",
            )
        )
    identical = same & ~conflict
    if identical.any():
        log.notice(
            f"{table.label}: {int(identical.sum())} identical duplicate row(s) "
            "(same lesion, date, sequence and size) were merged"
        )
        keep = np.concatenate(([True], ~identical))
        les, seq, day, size = les[keep], seq[keep], day[keep], size[keep]
    return {"lesion": les, "sequence": seq, "day": day, "size": size}


def _check_baselines(lesions: _Lesions, parsed: dict[str, Any] | None, log: ProblemLog) -> None:
    first = np.full(len(lesions.ids), np.iinfo(np.int64).max, dtype=np.int64)
    if parsed is not None and len(parsed["lesion"]):
        np.minimum.at(first, parsed["lesion"], parsed["day"])
    treated = lesions.treated.astype(np.int64)
    unique = ~_repeated(lesions.ids)  # duplicates are reported apart
    missing = (first > treated) & ~np.isnat(lesions.treated) & (lesions.ids != "") & unique
    for i in np.flatnonzero(missing):
        log.add(
            Problem(
                lesions.table.label,
                f"lesion {lesions.ids[i]} has no measurement on or before its treatment date "
                f"{lesions.treated[i]} in any sequence, so there is no baseline",
                expected="a baseline study (dated on or before treatment_date) in the "
                "measurements table",
                row=int(i) + 2,
                column="lesion_id",
                value=str(lesions.ids[i]),
            )
        )


def _parse_event_values(
    table: RawTable, kinds: npt.NDArray[Any], log: ProblemLog
) -> npt.NDArray[np.float64]:
    """The optional ``value`` column: any number; a count of new lesions for a bone scan, a
    dose of at least 0 (dexamethasone mg/day) for corticosteroids."""
    values = table.parse_numbers("value", log, required=False)
    scans = np.asarray(kinds == EventKind.NEW_BONE_LESIONS, dtype=bool)
    expected = (
        "the number of new bone lesions on the scan compared with the baseline scan, "
        "a whole number of at least 0"
    )
    table.report(
        log,
        scans & table.empty("value"),
        "value",
        f"no count of new lesions for an event of kind {EventKind.NEW_BONE_LESIONS.value}",
        expected,
    )
    bad = scans & np.isfinite(values) & ((values < 0) | (values != np.round(values)))
    table.report(log, bad, "value", "not a count of new bone lesions", expected)
    doses = np.asarray(kinds == EventKind.CORTICOSTEROIDS, dtype=bool)
    expected = "the corticosteroid dose from this date on in dexamethasone mg/day, 0 for none"
    table.report(
        log,
        doses & table.empty("value"),
        "value",
        f"no dose for an event of kind {EventKind.CORTICOSTEROIDS.value}",
        expected,
    )
    table.report(
        log, doses & np.isfinite(values) & (values < 0), "value", "a negative dose", expected
    )
    return values


def _parse_event_details(
    table: RawTable, kinds: npt.NDArray[Any], details: npt.NDArray[Any], log: ProblemLog
) -> npt.NDArray[Any]:
    """The ``detail`` column; for a clinical status, its code (``improved``, ``stable``, ...)."""
    status = np.asarray(kinds == EventKind.CLINICAL_STATUS, dtype=bool)
    if not status.any():
        return details
    lookup = ClinicalStatus.lookup()
    parsed = np.array([lookup.get(normalize_token(str(d))) for d in details], dtype=object)
    expected = f"the clinical status: one of {ClinicalStatus.accepted()}"
    empty = table.empty("detail")
    table.report(
        log,
        status & empty,
        "detail",
        f"no clinical status for an event of kind {EventKind.CLINICAL_STATUS.value}",
        expected,
    )
    unknown = np.array([p is None for p in parsed], dtype=bool)
    table.report(log, status & ~empty & unknown, "detail", "unknown clinical status", expected)
    out = details.copy()
    for i in np.flatnonzero(status & ~unknown).tolist():
        out[i] = parsed[i].value
    return out


def _parse_events(table: RawTable, lesions: _Lesions | None, log: ProblemLog) -> list[Event] | None:
    if not table.require(EVENT_COLUMNS["required"], log):
        return None
    _note_unknown_columns(table, EVENT_COLUMNS, log)
    patients = table.parse_text("patient_id", log, required=True)
    dates = table.parse_dates("date", log, required=True)
    kinds = table.parse_enum("kind", EventKind, log, required=True)
    lesion_ids = table.parse_text("lesion_id", log, required=False)
    details = _parse_event_details(
        table, kinds, table.parse_text("detail", log, required=False), log
    )
    values = _parse_event_values(table, kinds, log)
    if lesions is None:
        return None
    known_patients = set(lesions.patients.tolist())
    owner = dict(zip(lesions.ids.tolist(), lesions.patients.tolist(), strict=True))
    unknown_patient = np.array([p != "" and p not in known_patients for p in patients], dtype=bool)
    table.report(
        log,
        unknown_patient,
        "patient_id",
        "event for a patient that is not in the lesions table",
        f"a patient_id listed in {lesions.table.label}",
    )
    for i, (lesion_id, patient) in enumerate(zip(lesion_ids, patients, strict=True)):
        if lesion_id == "":
            continue
        if lesion_id not in owner:
            message = "event for a lesion that is not in the lesions table"
            expected = f"a lesion_id listed in {lesions.table.label}, or an empty cell"
        elif patient in known_patients and owner[lesion_id] != patient:
            message = f"lesion belongs to patient {owner[lesion_id]}, not {patient}"
            expected = "the lesion's own patient_id"
        else:
            continue
        log.add(
            Problem(
                table.label, message, expected, row=i + 2, column="lesion_id", value=str(lesion_id)
            )
        )
    days = dates.astype(object)
    return [
        Event(
            str(patients[i]),
            days[i],
            kinds[i],
            lesion_ids[i] or None,
            details[i] or None,
            value=None if np.isnan(values[i]) else float(values[i]),
        )
        for i in range(len(table))
        if kinds[i] is not None and not np.isnat(dates[i])
    ]


def locate_table(
    name: str,
    given: str | Path | None,
    *,
    needed: bool,
    columns: Seq[str],
    workbook: str | Path | None,
    sheets: Workbook | None,
    log: ProblemLog,
    allow_empty: bool = False,
) -> RawTable | None:
    """The table ``name``: from its own file, else from the workbook's sheet of that name.

    A table that is ``needed`` and given nowhere is a problem that says how to give it;
    ``columns`` (its required columns) are named when the file or sheet is empty;
    ``allow_empty`` accepts a header without data rows (a table of no records).
    """
    if given is not None:
        return read_table(given, log, table=name, columns=columns, allow_empty=allow_empty)
    if sheets is not None and (needed or name in sheets.sheets):
        return sheets.table(name, log, columns=columns, allow_empty=allow_empty)
    if needed and workbook is None:
        log.add(
            Problem(
                name,
                f"no {name} table given",
                expected=f"--{name} FILE, or --workbook FILE with a '{name}' sheet",
            )
        )
    return None


def load_cohort(
    *,
    lesions: str | Path | None = None,
    measurements: str | Path | None = None,
    events: str | Path | None = None,
    workbook: str | Path | None = None,
    require_measurements: bool = True,
) -> Cohort:
    """Read and validate the input tables.

    Parameters
    ----------
    lesions, measurements, events
        CSV (or single-sheet Excel) files. A file given here takes precedence over the sheet
        of the same name in ``workbook``.
    workbook
        An Excel workbook with sheets ``lesions``, ``measurements`` and optionally ``events``.
    require_measurements
        When false, a cohort of lesions only (e.g. copied from a paper with its ``response``
        column) is accepted.

    Raises
    ------
    InputValidationError
        Listing every problem found in every table; nothing is returned then.
    """
    log = ProblemLog()
    sheets = None if workbook is None else read_workbook(workbook, log)

    def locate(name: str, given: str | Path | None, needed: bool) -> RawTable | None:
        return locate_table(
            name,
            given,
            needed=needed,
            columns=_SPECS[name]["required"],
            workbook=workbook,
            sheets=sheets,
            log=log,
            allow_empty=name == "events",  # a header only: nothing happened, and that is known
        )

    lesion_table = locate("lesions", lesions, True)
    measurement_table = locate("measurements", measurements, require_measurements)
    event_table = locate("events", events, False)

    parsed_lesions = _parse_lesions(lesion_table, log) if lesion_table is not None else None
    parsed_measurements = (
        _parse_measurements(measurement_table, parsed_lesions, log)
        if measurement_table is not None
        else None
    )
    if parsed_lesions is not None and parsed_measurements is not None:
        _check_baselines(parsed_lesions, parsed_measurements, log)
    parsed_events = (
        _parse_events(event_table, parsed_lesions, log) if event_table is not None else None
    )
    log.raise_if_any()
    if parsed_lesions is None:  # cannot happen: a table that did not parse logged a problem
        raise InputValidationError(log.problems)
    built = _build_lesions(parsed_lesions)
    event_list = parsed_events or []
    histories: Seq[LesionHistory] = (
        LesionHistories(
            built,
            lesion_index=parsed_measurements["lesion"],
            sequence_index=parsed_measurements["sequence"],
            day=parsed_measurements["day"],
            size_mm=parsed_measurements["size"],
            events=parsed_events,
        )
        if parsed_measurements is not None
        else ()
    )
    sources = tuple(
        t.label for t in (lesion_table, measurement_table, event_table) if t is not None
    )
    del lesion_table, measurement_table, event_table, parsed_lesions, parsed_measurements
    pa.default_memory_pool().release_unused()  # the raw text is no longer needed
    return Cohort(tuple(built), histories, tuple(event_list), tuple(log.notices), sources)
