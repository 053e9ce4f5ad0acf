"""Checking one edited row with the same readers that check input files.

A form's row is written, with the stored rows it must agree with, into small CSV tables that
:func:`~pseudoprog.io.cohort.load_cohort` and :func:`~pseudoprog.io.evidence.load_evidence`
read exactly as they read a user's files. Problems on the form's row become errors beside
its fields; any other problem (e.g. a deletion that would leave a lesion without a baseline)
is an error of the whole form.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pseudoprog.domain import Event, Evidence, Lesion, Measurement
from pseudoprog.errors import InputValidationError, PseudoprogError
from pseudoprog.io.cohort import EVENT_COLUMNS, LESION_COLUMNS, MEASUREMENT_COLUMNS, load_cohort
from pseudoprog.io.evidence import EVIDENCE_COLUMNS, load_evidence

__all__ = ["FormError", "check_event", "check_evidence", "check_measurements"]

#: The row a form's values are written to (the header is row 1).
_FORM_ROW = 2


@dataclass
class FormError(PseudoprogError):
    """Problems with a form: by field, and of the form as a whole."""

    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.text())

    def text(self) -> str:
        parts = [f"{k}: {v}" for k, v in self.fields.items()] + self.general
        return "; ".join(parts)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}" if value == int(value) else repr(value)
    return str(value)


def lesion_cells(lesion: Lesion) -> dict[str, str]:
    """The lesion as cells of the ``lesions`` table."""
    t = lesion.treatment
    return {
        "patient_id": lesion.patient_id,
        "lesion_id": lesion.lesion_id,
        "treatment_date": t.date.isoformat(),
        "dose_gy": _fmt(t.dose_gy),
        "fractions": str(t.fractions),
        "site": lesion.site.value,
        "level": lesion.level or "",
        "histology": lesion.histology or "",
        "age": _fmt(lesion.age),
        "sex": "" if lesion.sex is None else lesion.sex.value,
        "response": "" if lesion.response is None else lesion.response.value,
        "in_vertebral_body": _fmt(lesion.in_vertebral_body),
        "body_involvement_pct": _fmt(lesion.body_involvement_pct),
    }


def measurement_cells(m: Measurement) -> dict[str, str]:
    return {
        "lesion_id": m.lesion_id,
        "date": m.date.isoformat(),
        "sequence": m.sequence.value,
        "size_mm": _fmt(m.size_mm),
    }


def event_cells(e: Event) -> dict[str, str]:
    return {
        "patient_id": e.patient_id,
        "date": e.date.isoformat(),
        "kind": e.kind.value,
        "lesion_id": e.lesion_id or "",
        "detail": e.detail or "",
        "value": _fmt(e.value),
    }


def evidence_cells(e: Evidence) -> dict[str, str]:
    value = e.detail if e.kind == "pathology" and e.detail else _fmt(e.value)
    return {"lesion_id": e.lesion_id, "date": e.date.isoformat(), "kind": e.kind, "value": value}


def _write(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c, "") for c in columns])
    return path


def _columns(spec: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    return (*spec["required"], *spec["optional"])


def _collect(exc: InputValidationError, *, table: str, form_row: int | None) -> FormError:
    errors = FormError()
    for p in exc.problems:
        on_form = form_row is not None and p.row == form_row and p.source.startswith(table)
        text = p.message + (f"; expected {p.expected}" if p.expected else "")
        if on_form and p.column is not None and p.column not in errors.fields:
            errors.fields[p.column] = text
        else:
            errors.general.append(p.message)
    errors.__post_init__()
    return errors


def check_measurements(
    lesion: Lesion, rows: Sequence[Mapping[str, str]], *, form_first: bool
) -> FormError:
    """Check a lesion's measurements (the form's row first when ``form_first``)."""
    with tempfile.TemporaryDirectory(prefix="pseudoprog-form-") as tmp:
        folder = Path(tmp)
        lesions = _write(folder / "lesion.csv", _columns(LESION_COLUMNS), [lesion_cells(lesion)])
        sizes = _write(folder / "form.csv", _columns(MEASUREMENT_COLUMNS), rows)
        try:
            load_cohort(lesions=lesions, measurements=sizes)
        except InputValidationError as exc:
            return _collect(exc, table="measurements", form_row=_FORM_ROW if form_first else None)
    return FormError()


def check_event(
    lesions: Sequence[Lesion], row: Mapping[str, str]
) -> tuple[FormError, Event | None]:
    """Check one event of a patient whose lesions are ``lesions``; returns the errors, or the
    parsed event."""
    with tempfile.TemporaryDirectory(prefix="pseudoprog-form-") as tmp:
        folder = Path(tmp)
        table = _write(
            folder / "lesions.csv", _columns(LESION_COLUMNS), [*map(lesion_cells, lesions)]
        )
        events = _write(folder / "form.csv", _columns(EVENT_COLUMNS), [row])
        try:
            cohort = load_cohort(lesions=table, events=events, require_measurements=False)
        except InputValidationError as exc:
            return _collect(exc, table="events", form_row=_FORM_ROW), None
    return FormError(), (cohort.events[0] if cohort.events else None)


def check_evidence(lesion: Lesion, row: Mapping[str, str]) -> tuple[FormError, Evidence | None]:
    """Check one evidence row of ``lesion``; returns the errors, or the parsed finding."""
    with tempfile.TemporaryDirectory(prefix="pseudoprog-form-") as tmp:
        path = _write(Path(tmp) / "form.csv", _columns(EVIDENCE_COLUMNS), [row])
        try:
            found = load_evidence(path, lesions=[lesion])
        except InputValidationError as exc:
            return _collect(exc, table="evidence", form_row=_FORM_ROW), None
    return FormError(), (found[0] if found else None)
