"""Writing classification results as JSON or CSV (one contract for the CLI and the API)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from collections.abc import Sequence as Seq
from datetime import date
from typing import Any

from pseudoprog.criteria.result import Assessment, CriteriaParameters
from pseudoprog.domain import Sequence

__all__ = ["CSV_COLUMNS", "assessments_to_csv", "assessments_to_json", "classification_document"]

#: Columns of the CSV output, one row per lesion.
CSV_COLUMNS = (
    "patient_id",
    "lesion_id",
    "response",
    "primary_sequence",
    "deciding_sequence",
    "time_to_peak_weeks",
    "peak_change_mm",
    "time_to_baseline_weeks",
    *(f"{s.value}_response" for s in Sequence),
    "reasons",
    "warnings",
)


def classification_document(
    assessments: Seq[Assessment],
    *,
    parameters: CriteriaParameters,
    as_of: date | None = None,
    notices: Iterable[str] = (),
) -> dict[str, Any]:
    """The JSON document: ``{"parameters", "as_of", "notices", "lesions"}``."""
    return {
        "parameters": parameters.to_dict(),
        "as_of": None if as_of is None else as_of.isoformat(),
        "notices": list(notices),
        "lesions": [a.to_dict() for a in assessments],
    }


def assessments_to_json(
    assessments: Seq[Assessment],
    *,
    parameters: CriteriaParameters,
    as_of: date | None = None,
    notices: Iterable[str] = (),
) -> str:
    """Serialize results as one JSON object (see :func:`classification_document`)."""
    document = classification_document(
        assessments, parameters=parameters, as_of=as_of, notices=notices
    )
    return json.dumps(document, indent=1, allow_nan=False) + "\n"


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def assessments_to_csv(assessments: Iterable[Assessment]) -> str:
    """Serialize results as CSV text with :data:`CSV_COLUMNS`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for a in assessments:
        per = a.per_sequence
        writer.writerow(
            (
                a.lesion.patient_id,
                a.lesion.lesion_id,
                a.category.value,
                a.parameters.primary_sequence.value,
                "" if a.sequence is None else a.sequence.value,
                _cell(a.time_to_peak_weeks),
                _cell(a.peak_change_mm),
                _cell(a.time_to_baseline_weeks),
                *(
                    "" if s not in per or per[s].category is None else per[s].category.value  # type: ignore[union-attr]
                    for s in Sequence
                ),
                " | ".join(r.message for r in a.reasons),
                " | ".join(w.message for w in a.warnings),
            )
        )
    return buffer.getvalue()
