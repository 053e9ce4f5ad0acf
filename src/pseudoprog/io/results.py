"""Writing classification results as JSON or CSV (one contract for the CLI and the API).

The JSON document is ``{"parameters", "as_of", "notices", "lesions"}``; the CSV has one row
per lesion with :data:`CSV_COLUMNS`. Both are assembled from per-lesion pieces, so that a
registry can be serialised in chunks on several processes (:mod:`pseudoprog.io.bulk`) with
exactly the same output.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from collections.abc import Sequence as Seq
from datetime import date
from typing import Any

import orjson

from pseudoprog.criteria.result import Assessment, CriteriaParameters
from pseudoprog.domain import Sequence

__all__ = [
    "CSV_COLUMNS",
    "assessments_to_csv",
    "assessments_to_json",
    "classification_document",
    "csv_rows",
    "json_document",
    "json_lesions",
]

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
    *(f"{s}_response" for s in Sequence),
    "reasons",
    "warnings",
)


def _head(
    parameters: CriteriaParameters, as_of: date | None, notices: Iterable[str]
) -> dict[str, Any]:
    return {
        "parameters": parameters.to_dict(),
        "as_of": None if as_of is None else as_of.isoformat(),
        "notices": list(notices),
    }


def classification_document(
    assessments: Seq[Assessment],
    *,
    parameters: CriteriaParameters,
    as_of: date | None = None,
    notices: Iterable[str] = (),
) -> dict[str, Any]:
    """The JSON document as Python objects."""
    return {
        **_head(parameters, as_of, notices),
        "lesions": [a.to_dict() for a in assessments],
    }


def json_lesions(assessments: Iterable[Assessment]) -> bytes:
    """The lesion objects as UTF-8 JSON, comma-separated (the inside of ``lesions``)."""
    return b",".join(orjson.dumps(a.to_dict()) for a in assessments)


def json_document(
    lesion_chunks: Iterable[bytes],
    *,
    parameters: CriteriaParameters,
    as_of: date | None = None,
    notices: Iterable[str] = (),
) -> list[bytes]:
    """The UTF-8 JSON document, in pieces, around chunks made by :func:`json_lesions`.

    The pieces are kept apart so that a large document is never copied into one buffer.
    """
    head = orjson.dumps(_head(parameters, as_of, notices))
    pieces = [head[:-1] + b',"lesions":[']
    for chunk in lesion_chunks:
        if chunk:
            if len(pieces) > 1:
                pieces.append(b",")
            pieces.append(chunk)
    pieces.append(b"]}\n")
    return pieces


def assessments_to_json(
    assessments: Seq[Assessment],
    *,
    parameters: CriteriaParameters,
    as_of: date | None = None,
    notices: Iterable[str] = (),
) -> str:
    """Serialize results as one compact JSON object (see :func:`classification_document`)."""
    pieces = json_document(
        [json_lesions(assessments)], parameters=parameters, as_of=as_of, notices=notices
    )
    return b"".join(pieces).decode("utf-8")


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def csv_rows(assessments: Iterable[Assessment]) -> str:
    """CSV rows (no header) for the lesions, in :data:`CSV_COLUMNS` order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for a in assessments:
        per = a.per_sequence
        by_sequence = []
        for s in Sequence:
            r = per.get(s)
            by_sequence.append("" if r is None or r.category is None else str(r.category))
        writer.writerow(
            (
                a.lesion.patient_id,
                a.lesion.lesion_id,
                str(a.category),
                str(a.parameters.primary_sequence),
                "" if a.sequence is None else str(a.sequence),
                _cell(a.time_to_peak_weeks),
                _cell(a.peak_change_mm),
                _cell(a.time_to_baseline_weeks),
                *by_sequence,
                " | ".join(r.message for r in a.reasons),
                " | ".join(w.message for w in a.warnings),
            )
        )
    return buffer.getvalue()


def csv_header() -> str:
    """The CSV header line."""
    return ",".join(CSV_COLUMNS) + "\n"


def assessments_to_csv(assessments: Iterable[Assessment]) -> str:
    """Serialize results as CSV text with :data:`CSV_COLUMNS`."""
    return csv_header() + csv_rows(assessments)
