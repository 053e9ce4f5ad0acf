"""The ``evidence`` input table and user evidence tables (YAML or CSV).

:func:`load_evidence` reads the ``evidence`` input table (``lesion_id, date, kind, value``;
optional ``note``) and checks every row against the lesions: unknown lesions, unknown
kinds, values that do not fit their kind (true/false for ``growth_within_80pct_isodose``, a
positive number for the ratios ``dsc_rcbv_ratio`` and ``amino_acid_pet_tbr_mean``, a
percentage of at least -100 for the others), dates before the lesion's treatment, and two
different values for the same lesion, kind and date. A ``pathology`` value is ``necrosis``,
``tumour`` or ``mixed`` (:class:`~pseudoprog.domain.PathologyResult`); an
``other_sites_response`` value is ``response``, ``stable`` or ``progression``
(:class:`~pseudoprog.evidence.features.SiteCourse`). The liver kinds ``attenuation_change_pct``,
``fdg_pet_suv_change_pct`` and ``tumour_marker_change_pct`` are percentages.
:func:`load_patient_evidence` reads the same table for patient-level criteria (liver), against
the patients' lesions and treatment starts.

:func:`load_evidence_table` reads an institution's own evidence table, as YAML (the format of
the packaged ``spine_ssrs.yaml``) or as CSV with one row per feature (columns
:data:`EVIDENCE_TABLE_COLUMNS`), and validates it with
:func:`pseudoprog.evidence.schema.parse_evidence_table`. Sections a CSV table cannot hold
(prior, time course, follow-up) come from the packaged table, and the result says so.

Both raise one :class:`~pseudoprog.errors.InputValidationError` listing every problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import yaml

from pseudoprog.domain import CodedEnum, Evidence, Lesion, PathologyResult, normalize_token
from pseudoprog.errors import InputValidationError, Problem
from pseudoprog.evidence.features import EvidenceFeature, SiteCourse, ValueKind
from pseudoprog.evidence.packaged import default_table
from pseudoprog.evidence.schema import YamlLocator, parse_evidence_table
from pseudoprog.evidence.table import EvidenceTable
from pseudoprog.io.tabular import ProblemLog, RawTable, TableSource, read_table, read_workbook
from pseudoprog.patient import PatientRecord

C = TypeVar("C", bound=CodedEnum)

__all__ = [
    "EVIDENCE_COLUMNS",
    "EVIDENCE_TABLE_COLUMNS",
    "load_evidence",
    "load_evidence_table",
    "load_patient_evidence",
    "parse_evidence",
]

#: Required and optional columns of the ``evidence`` input table.
EVIDENCE_COLUMNS = {"required": ("lesion_id", "date", "kind", "value"), "optional": ("note",)}

#: Columns of a CSV evidence table, and the field of the YAML format each one fills.
EVIDENCE_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "feature": ("feature",),
    "positive_when": ("positive_when",),
    "pseudoprogression_positive": ("counts", "pseudoprogression", "positive"),
    "pseudoprogression_total": ("counts", "pseudoprogression", "total"),
    "progression_positive": ("counts", "progression", "positive"),
    "progression_total": ("counts", "progression", "total"),
    "sensitivity": ("derived", "sensitivity"),
    "specificity": ("derived", "specificity"),
    "lr_positive": ("derived", "lr_positive"),
    "lr_negative": ("derived", "lr_negative"),
    "reported": ("reported",),
    "citation": ("citation",),
    "location": ("location",),
    "description": ("description",),
    "assumptions": ("assumptions",),
}
_CSV_REQUIRED = ("feature", "citation", "location")
#: How problems name a user evidence table (``--evidence-table``), beside its file.
_EVIDENCE_TABLE = "custom evidence"
_YAML_SUFFIXES = {".yaml", ".yml"}


def _columns(table: RawTable) -> list[str]:
    names = getattr(table, "columns", None)
    if names is None:
        names = getattr(getattr(table, "frame", None), "columns", [])
    return [str(c) for c in names]


# ---- the evidence input table ------------------------------------------------------------------


def parse_evidence(
    table: RawTable,
    lesions: Sequence[Lesion] | Mapping[str, date],
    log: ProblemLog,
    *,
    lesions_label: str = "the lesions table",
) -> list[Evidence]:
    """Validate an ``evidence`` table against ``lesions``; problems go to ``log``.

    ``lesions`` are the lesions, or each lesion id mapped to the start of its treatment.
    """
    treated = (
        dict(lesions)
        if isinstance(lesions, Mapping)
        else {lesion.lesion_id: lesion.treatment.date for lesion in lesions}
    )
    if not table.require(EVIDENCE_COLUMNS["required"], log):
        return []
    known = set(EVIDENCE_COLUMNS["required"]) | set(EVIDENCE_COLUMNS["optional"])
    extra = [c for c in _columns(table) if c not in known]
    if extra:
        log.notice(f"{table.label}: ignored column(s) {', '.join(extra)}")
    ids = table.parse_text("lesion_id", log, required=True)
    dates = table.parse_dates("date", log, required=True)
    kinds = table.parse_enum("kind", EvidenceFeature, log, required=True)
    numbers_log, bools_log, ratios_log = ProblemLog(), ProblemLog(), ProblemLog()
    numbers = table.parse_numbers(
        "value", numbers_log, required=True, unit="percent", minimum=-100.0
    )
    ratios = table.parse_numbers(
        "value", ratios_log, required=True, minimum=0.0, strict_minimum=True
    )
    bools = table.parse_bools("value", bools_log)
    raw_values = table.parse_text("value", ProblemLog(), required=False)
    pathology = _coded_values(
        table,
        kinds,
        raw_values,
        log,
        codes=PathologyResult,
        value_kind=ValueKind.PATHOLOGY,
        what="pathology result",
    )
    courses = _coded_values(
        table,
        kinds,
        raw_values,
        log,
        codes=SiteCourse,
        value_kind=ValueKind.COURSE,
        what="course at other sites",
        explain=" (how the disease at the patient's other sites evolved)",
    )

    boolean_rows = {
        i + 2 for i, k in enumerate(kinds) if k is not None and k.value_kind is ValueKind.BOOLEAN
    }
    percent_rows = {
        i + 2 for i, k in enumerate(kinds) if k is not None and k.value_kind is ValueKind.PERCENT
    }
    ratio_rows = {
        i + 2 for i, k in enumerate(kinds) if k is not None and k.value_kind is ValueKind.RATIO
    }
    log.extend(p for p in numbers_log.problems if p.row in percent_rows)
    log.extend(p for p in ratios_log.problems if p.row in ratio_rows)
    log.extend(p for p in bools_log.problems if p.row in boolean_rows)
    for row in sorted(boolean_rows):
        if raw_values[row - 2] == "":
            log.add(
                Problem(
                    table.label,
                    "empty cell",
                    expected=f"true/false, yes/no or 1/0 for {kinds[row - 2].value}",
                    row=row,
                    column="value",
                    value="",
                )
            )

    unknown = np.array([i != "" and i not in treated for i in ids], dtype=bool)
    table.report(
        log,
        unknown,
        "lesion_id",
        "evidence for a lesion that is not in the lesions table",
        f"a lesion_id listed in {lesions_label}",
    )
    days = dates.astype(object)
    out: list[Evidence] = []
    seen: dict[tuple[str, str, Any], tuple[int, float | bool | str]] = {}
    for i in range(len(table)):
        lesion_id = str(ids[i])
        start = treated.get(lesion_id)
        kind = kinds[i]
        if start is None or kind is None or np.isnat(dates[i]):
            continue
        day = days[i]
        if day < start:
            log.add(
                Problem(
                    table.label,
                    f"evidence dated before the lesion's treatment on {start.isoformat()}",
                    expected="the date of the study after treatment that gave the value",
                    row=i + 2,
                    column="date",
                    value=day.isoformat(),
                )
            )
            continue
        value: float | bool | None
        result = pathology[i]
        course = courses[i]
        if kind.value_kind is ValueKind.PATHOLOGY:
            value = None if result is None else result.viable_tumour
        elif kind.value_kind is ValueKind.COURSE:
            value = None if course is None else course.score
        elif kind.value_kind is ValueKind.BOOLEAN:
            value = bools[i]
        elif kind.value_kind is ValueKind.RATIO:
            value = float(ratios[i]) if np.isfinite(ratios[i]) and ratios[i] > 0 else None
        else:
            value = float(numbers[i]) if np.isfinite(numbers[i]) and numbers[i] >= -100 else None
        if value is None:
            continue
        detail = result.value if result is not None else None if course is None else course.value
        compared = value if detail is None else detail
        key = (lesion_id, kind.value, day)
        if key in seen:
            first_row, first_value = seen[key]
            if first_value != compared:
                log.add(
                    Problem(
                        table.label,
                        f"lesion {lesion_id} has two different {kind.value} values on "
                        f"{day.isoformat()} (row {first_row}: {first_value}, row {i + 2}: "
                        f"{compared})",
                        expected="one value per lesion, kind and date: delete or correct one row",
                        row=i + 2,
                        column="value",
                        value=str(raw_values[i]),
                    )
                )
            else:
                log.notice(f"{table.label}: row {i + 2} repeats row {first_row} and was merged")
            continue
        seen[key] = (i + 2, compared)
        out.append(Evidence(lesion_id, day, kind.value, value, detail))
    return out


def _coded_values(
    table: RawTable,
    kinds: Any,
    raw_values: Any,
    log: ProblemLog,
    *,
    codes: type[C],
    value_kind: ValueKind,
    what: str,
    explain: str = "",
) -> list[C | None]:
    """The ``codes`` member of each row whose kind holds ``value_kind`` values (``None`` on
    other rows); an empty or unknown ``value`` is reported as an unknown ``what``."""
    lookup = codes.lookup()
    out: list[C | None] = []
    for i, kind in enumerate(kinds):
        if kind is None or kind.value_kind is not value_kind:
            out.append(None)
            continue
        text = str(raw_values[i])
        found = lookup.get(normalize_token(text))
        if found is None:
            log.add(
                Problem(
                    table.label,
                    "empty cell" if text == "" else f"unknown {what}",
                    expected=f"one of {codes.accepted()} for {kind.value}{explain}",
                    row=i + 2,
                    column="value",
                    value=text,
                )
            )
        out.append(found)
    return out


def load_evidence(
    path: str | Path | None = None,
    *,
    lesions: Sequence[Lesion],
    workbook: str | Path | None = None,
    notices: list[str] | None = None,
) -> tuple[Evidence, ...]:
    """Read and validate the ``evidence`` table (a CSV/Excel file, or a workbook sheet).

    Parameters
    ----------
    path
        CSV or single-sheet Excel file; takes precedence over ``workbook``.
    lesions
        The validated lesions the evidence must refer to.
    workbook
        A workbook whose ``evidence`` sheet is read when present (and ``path`` is not given).
    notices
        When given, notices (merged duplicates, ignored columns) are appended to it.

    Raises
    ------
    InputValidationError
        Listing every problem found.
    """
    return _load(path, lesions, workbook, notices)


def load_patient_evidence(
    path: str | Path | None = None,
    *,
    records: Sequence[PatientRecord],
    workbook: str | Path | None = None,
    notices: list[str] | None = None,
) -> tuple[Evidence, ...]:
    """Read and validate the ``evidence`` table for patient-level criteria (liver).

    The rows are checked as by :func:`load_evidence`, against the lesions of ``records`` and
    each patient's treatment start. A finding of the patient (tumour marker, course at other
    sites) is given on any of the patient's lesions.

    Raises
    ------
    InputValidationError
        Listing every problem found, each with file, row, column, value and fix.
    """
    treated = {
        lesion.lesion_id: record.treatment_start for record in records for lesion in record.lesions
    }
    return _load(path, treated, workbook, notices)


def _load(
    path: str | Path | None,
    lesions: Sequence[Lesion] | Mapping[str, date],
    workbook: str | Path | None,
    notices: list[str] | None,
) -> tuple[Evidence, ...]:
    """The evidence table of ``path`` or ``workbook``, parsed against ``lesions`` (lesions,
    or each lesion's treatment start)."""
    log = ProblemLog()
    table: RawTable | None = None
    required = EVIDENCE_COLUMNS["required"]
    if path is not None:
        table = read_table(path, log, table="evidence", columns=required)
    elif workbook is not None:
        book = read_workbook(workbook, log)
        if book is not None and "evidence" in book.sheets:
            table = book.table("evidence", log, columns=required)
    rows = [] if table is None else parse_evidence(table, lesions, log)
    log.raise_if_any()
    if notices is not None:
        notices.extend(log.notices)
    return tuple(rows)


# ---- user evidence tables -----------------------------------------------------------------------


@dataclass(frozen=True)
class _CsvLocator:
    """Names a field of a CSV evidence table by its row and column."""

    source: str
    rows: Sequence[int]

    def problem(
        self, path: tuple[str | int, ...], message: str, expected: str, value: object
    ) -> Problem:
        index = path[1] if len(path) >= 2 else None
        row = self.rows[index] if isinstance(index, int) else None
        field = tuple(str(p) for p in path[2:])
        if field == ("source",):  # CSV rows cite inline, in the citation column
            field = ("citation",)
            expected = "the full reference of the source (every number needs its citation)"
        column = next((c for c, f in EVIDENCE_TABLE_COLUMNS.items() if f == field), None)
        if column is None and field:  # a group of columns, e.g. all the progression counts
            column = next(
                (c for c, f in EVIDENCE_TABLE_COLUMNS.items() if f[: len(field)] == field), None
            )
        text = message if column is not None or not field else f"{'.'.join(field)}: {message}"
        shown = None if value is None or isinstance(value, Mapping) else str(value)
        return Problem(self.source, text, expected=expected, row=row, column=column, value=shown)


def _csv_entries(table: RawTable, log: ProblemLog) -> tuple[list[dict[str, Any]], list[int]]:
    if not table.require(_CSV_REQUIRED, log):
        return [], []
    for column in _columns(table):
        if column not in EVIDENCE_TABLE_COLUMNS:
            log.add(
                Problem(
                    table.label,
                    f"unknown column '{column}'",
                    expected="columns " + ", ".join(EVIDENCE_TABLE_COLUMNS),
                    column=column,
                )
            )
    cells = {
        column: table.parse_text(column, log, required=False)
        for column in EVIDENCE_TABLE_COLUMNS
        if table.has(column)
    }
    entries: list[dict[str, Any]] = []
    for i in range(len(table)):
        entry: dict[str, Any] = {}
        for column, values in cells.items():
            text = str(values[i])
            if text == "":
                continue
            target = entry
            path = EVIDENCE_TABLE_COLUMNS[column]
            for key in path[:-1]:
                target = target.setdefault(key, {})
            target[path[-1]] = text
        entries.append(entry)
    return entries, [i + 2 for i in range(len(table))]


def load_evidence_table(path: str | Path, *, base: EvidenceTable | None = None) -> EvidenceTable:
    """Read and validate an evidence table from YAML or CSV.

    Parameters
    ----------
    path
        ``.yaml``/``.yml`` (full format) or ``.csv`` (one row per feature).
    base
        The table that supplies the sections left out (default: the packaged table).

    Raises
    ------
    InputValidationError
        Naming the file, the entry (or row), the field (or column), the value and the fix.
    """
    path = Path(path)
    base = base or default_table()
    label = TableSource(path, table=_EVIDENCE_TABLE).label
    if path.suffix.lower() in _YAML_SUFFIXES:
        if not path.is_file():
            what = "is a folder, not a file" if path.is_dir() else "file not found"
            raise InputValidationError(
                [Problem(label, what, expected="the path of an existing YAML file")]
            )
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            denied = isinstance(exc, PermissionError)
            raise InputValidationError(
                [
                    Problem(
                        label,
                        "cannot be opened: permission denied"
                        if denied
                        else f"cannot be opened ({exc.strerror or exc})",
                        expected="the path of a YAML file that you are allowed to read",
                    )
                ]
            ) from None
        except UnicodeDecodeError as exc:
            line = exc.object[: exc.start].count(b"\n") + 1
            raise InputValidationError(
                [
                    Problem(
                        label,
                        f"not UTF-8 text: byte 0x{exc.object[exc.start]:02X} on line {line} is "
                        "not valid UTF-8",
                        expected="a YAML file saved as UTF-8",
                    )
                ]
            ) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = "" if mark is None else f" at line {mark.line + 1}, column {mark.column + 1}"
            raise InputValidationError(
                [
                    Problem(
                        label,
                        f"cannot be read as YAML{where} ({type(exc).__name__})",
                        expected="a UTF-8 YAML file in the format of the packaged spine_ssrs.yaml",
                    )
                ]
            ) from None
        return parse_evidence_table(
            data,
            origin=str(path),
            locator=YamlLocator.for_data(label, data),
            base=base,
            default_name=path.stem,
        )
    log = ProblemLog()
    table = read_table(path, log, table=_EVIDENCE_TABLE, columns=_CSV_REQUIRED)
    entries, rows = ([], []) if table is None else _csv_entries(table, log)
    log.raise_if_any()
    if table is None:  # read_table logged why
        raise InputValidationError(log.problems)
    return parse_evidence_table(
        {"name": path.stem, "features": entries},
        origin=str(path),
        locator=_CsvLocator(table.label, rows),
        base=base,
        default_name=path.stem,
    )
